package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

func sampleComparison() []Comparison {
	return []Comparison{
		{
			Label: "round-robin",
			Sim:   ComparedLatency{Mean: 15.12, P50: 10.9, P90: 33.1, P99: 70.2},
			Real:  ComparedLatency{Mean: 16.01, P50: 11.4, P90: 35, P99: 77.77},
			Rel:   ComparedLatency{Mean: 0.0589, P50: 0.0459, P90: 0.0574, P99: 0.1078},
			KS:    0.0312, W1: 0.9123,
		},
		{
			Label: "p2c",
			Sim:   ComparedLatency{Mean: 12, P50: 9, P90: 25, P99: 50},
			Real:  ComparedLatency{Mean: 11.9, P50: 9, P90: 24.5, P99: 49},
			Rel:   ComparedLatency{Mean: -0.0083, P50: 0, P90: -0.02, P99: -0.02},
			KS:    0.004, W1: 0.1,
		},
	}
}

func TestWriteComparisonGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteComparison(&buf, sampleComparison()); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.txt", buf.Bytes())
}

func TestCompareSimJSON(t *testing.T) {
	s := sample()
	data, err := EncodeSummary(s)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("compare_sim")) {
		t.Error("summary.json has compare_sim without a comparison")
	}
	s.CompareSim = sampleComparison()
	if data, err = EncodeSummary(s); err != nil {
		t.Fatal(err)
	}
	var back struct {
		CompareSim []map[string]any `json:"compare_sim"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.CompareSim) != 2 {
		t.Fatalf("compare_sim has %d entries, want 2:\n%s", len(back.CompareSim), data)
	}
	for _, key := range []string{"label", "sim_ms", "real_ms", "rel_diff", "ks", "w1_ms"} {
		if _, ok := back.CompareSim[0][key]; !ok {
			t.Errorf("compare_sim[0] lacks %q", key)
		}
	}
	got, err := decodeSummary(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.CompareSim[0] != s.CompareSim[0] {
		t.Errorf("round trip: %+v, want %+v", got.CompareSim[0], s.CompareSim[0])
	}
}

// decodeSummary is ReadSummary's decoding, without the file.
func decodeSummary(data []byte) (*Summary, error) {
	var s Summary
	err := json.Unmarshal(data, &s)
	return &s, err
}
