package report

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
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

// sampleRigComparison is sampleComparison with rig corrections: for
// round-robin the rig takes up most of the mean gap, for p2c (real a little
// faster than sim) the correction overshoots and widens it.
func sampleRigComparison() []Comparison {
	cs := sampleComparison()
	cs[0].RigCorrected = &RigCorrected{
		Sim:  ComparedLatency{Mean: 15.87, P50: 11.3, P90: 34.6, P99: 76.9},
		Real: cs[0].Real,
		Rel:  ComparedLatency{Mean: 0.0088, P50: 0.0088, P90: 0.0116, P99: 0.0113},
		KS:   0.0081, W1: 0.205,
	}
	cs[1].RigCorrected = &RigCorrected{
		Sim:  ComparedLatency{Mean: 12.75, P50: 9.7, P90: 25.8, P99: 51},
		Real: cs[1].Real,
		Rel:  ComparedLatency{Mean: -0.0667, P50: -0.0722, P90: -0.031, P99: -0.0392},
		KS:   0.05, W1: 0.8,
	}
	return cs
}

// TestWriteComparisonRigGolden: each rig-corrected row sits right under its
// raw one, and a line per algorithm says how much of the gap the rig
// explains.
func TestWriteComparisonRigGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteComparison(&buf, sampleRigComparison()); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare-rig.txt", buf.Bytes())
	out := buf.String()
	for _, want := range []string{
		`"+ rig" rows`,
		"\n  round-robin ", "\n    + rig ",
		// 1 - |16.01-15.87| / |16.01-15.12| = 1 - 0.14/0.89 = 84%
		"round-robin: rig explains 84% of the mean gap (real - sim: +0.890 ms raw, +0.140 ms rig-corrected)",
		"p2c: the rig correction widens the mean gap (real - sim: -0.100 ms raw, -0.850 ms rig-corrected)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestRigExplains(t *testing.T) {
	c := Comparison{Sim: ComparedLatency{Mean: 10}, Real: ComparedLatency{Mean: 12}}
	if _, ok := c.RigExplains(); ok {
		t.Error("RigExplains without a correction reports a share")
	}
	for _, tc := range []struct {
		corrected float64 // the corrected sim's mean; real is 12, raw sim 10
		want      float64
	}{
		{12, 1},     // the rig is the whole gap
		{11.5, .75}, // a quarter of the 2 ms remains
		{12.5, .75}, // an overshoot by as much counts the same
		{10, 0},     // a rig of 0 explains nothing
		{15, -.5},   // the correction widens the gap
	} {
		c.RigCorrected = &RigCorrected{Sim: ComparedLatency{Mean: tc.corrected}, Real: c.Real}
		got, ok := c.RigExplains()
		if !ok || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("corrected sim mean %v: RigExplains = %v, %v; want %v", tc.corrected, got, ok, tc.want)
		}
	}
	c.Sim.Mean = 12 // no raw gap: nothing to explain
	if _, ok := c.RigExplains(); ok {
		t.Error("RigExplains with equal raw means reports a share")
	}
	if note := RigNote(Comparison{Label: "x"}); note != "" {
		t.Errorf("RigNote without a correction = %q, want empty", note)
	}
}

// TestRigCorrectedJSON: rig_corrected is in summary.json only when there
// is a correction, with the raw entry's shape (label aside), and comes back
// as it went.
func TestRigCorrectedJSON(t *testing.T) {
	s := sample()
	s.CompareSim = sampleComparison()
	data, err := EncodeSummary(s)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("rig_corrected")) {
		t.Error("summary.json has rig_corrected without a correction")
	}
	s.CompareSim = sampleRigComparison()
	if data, err = EncodeSummary(s); err != nil {
		t.Fatal(err)
	}
	var back struct {
		CompareSim []map[string]json.RawMessage `json:"compare_sim"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	var rc map[string]any
	if err := json.Unmarshal(back.CompareSim[0]["rig_corrected"], &rc); err != nil {
		t.Fatalf("compare_sim[0].rig_corrected: %v\n%s", err, data)
	}
	var keys []string
	for k := range rc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"ks", "real_ms", "rel_diff", "sim_ms", "w1_ms"}; !slices.Equal(keys, want) {
		t.Errorf("rig_corrected has keys %v, want %v", keys, want)
	}
	for _, k := range []string{"sim_ms", "real_ms", "rel_diff"} {
		var l map[string]float64
		if err := json.Unmarshal(back.CompareSim[0][k], &l); err != nil || len(l) != 4 {
			t.Errorf("compare_sim[0].%s = %s, want {mean, p50, p90, p99}", k, back.CompareSim[0][k])
		}
	}
	got, err := decodeSummary(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.CompareSim, s.CompareSim) {
		t.Errorf("round trip: %+v, want %+v", got.CompareSim, s.CompareSim)
	}
}

// TestRunRigLatencyJSON: run.json has rig_latency_ms {mean, p50, p99} only
// when the rig was measured, so the simulator's run.json is unchanged.
func TestRunRigLatencyJSON(t *testing.T) {
	r := &Run{}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("rig_latency_ms")) {
		t.Errorf("run.json without a rig measurement has rig_latency_ms: %s", data)
	}
	r.RigLatency = &RigLatency{Mean: 0.41, P50: 0.35, P99: 1.2}
	if data, err = json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	if want := `"rig_latency_ms":{"mean":0.41,"p50":0.35,"p99":1.2}`; !bytes.Contains(data, []byte(want)) {
		t.Errorf("run.json = %s, want it to hold %s", data, want)
	}
}
