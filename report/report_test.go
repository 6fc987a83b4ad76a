package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// sample is a hand-built Summary exercising what the writers must handle: a
// label that needs CSV quoting, params, all error causes, tiny and large
// latencies, and a resolved scenario with nested maps.
func sample() *Summary {
	return &Summary{
		Scenario: "failover",
		Engine:   "sim",
		Seed:     42,
		Algorithms: []Algorithm{
			{
				Label: "round-robin", Algorithm: "round-robin",
				Requests: 200000, Completed: 199010,
				Errors:          Errors{Failed: 990},
				ThroughputRPS:   1990.1,
				Latency:         Latency{Mean: 12.1, P50: 9.8, P90: 24, P99: 61.2, P999: 90.3, Max: 130, MeanCI95: 0.21},
				Fairness:        Fairness{Jain: 0.998, MaxOverMean: 1.04, CoV: 0.03},
				WaitProbability: 0.41,
				Servers: []Server{
					{Name: "web-0", Requests: 100000, Utilization: 0.71, Errors: 990, Latency: ServerLatency{Mean: 11.9}},
					{Name: "web-1", Requests: 100000, Utilization: 0.70, Latency: ServerLatency{Mean: 12.3}},
				},
			},
			{
				Label: "p3c, fast", Algorithm: "p2c",
				Params:   map[string]any{"choices": 3, "a_flag": true},
				Requests: 200000, Completed: 199500,
				Errors:        Errors{Rejected: 300, Failed: 150, Timeout: 50},
				ThroughputRPS: 99.96,
				Latency:       Latency{Mean: 0.012345, P50: 0.0098, P90: 1.5, P99: 9.996, P999: 1234.5, Max: 130000, MeanCI95: 0.001},
				Fairness:      Fairness{Jain: 0.5, MaxOverMean: 2, CoV: 1},
				Servers: []Server{
					{Name: "web-0", Requests: 150000, Utilization: 0.9, Errors: 500, Latency: ServerLatency{Mean: 0.02}},
					{Name: "web-1", Requests: 50000, Utilization: 0.3, Latency: ServerLatency{Mean: 0.004}},
				},
			},
		},
		Verdict: sampleVerdict(),
		ScenarioResolved: map[string]any{
			"name":    "failover",
			"servers": []any{map[string]any{"name": "web", "count": 2, "service": map[string]any{"dist": "exponential", "mean": "10ms"}}},
			"seed":    42,
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDir(dir, sample(), nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{SummaryJSON, SummaryCSV} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name, got)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.txt", table.Bytes())
	if _, err := os.Stat(filepath.Join(dir, RunJSON)); err == nil {
		t.Errorf("run.json written for a nil Run")
	}
}

func TestWriteDirDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := WriteDir(dir, sample(), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{SummaryJSON, SummaryCSV} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s: two writes of the same Summary differ", name)
		}
	}
}

// TestWriteDirAtomic checks that a successful write leaves exactly the three
// files, that overwriting works, and that a failing write (NaN cannot be
// encoded in JSON) leaves neither a temporary file nor a partial result.
func TestWriteDirAtomic(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 22, 1, 2, 3, 456789000, time.UTC)
	run := NewRun(start, []string{"sim", "run", "x.yaml"}, "x.yaml")
	run.Finish(start.Add(1500 * time.Millisecond))
	for range 2 { // the second time overwrites
		if err := WriteDir(dir, sample(), run); err != nil {
			t.Fatal(err)
		}
	}
	assertFiles(t, dir, RunJSON, SummaryCSV, SummaryJSON)

	bad := sample()
	bad.Algorithms[1].Fairness.CoV = math.NaN()
	empty := t.TempDir()
	if err := WriteDir(empty, bad, run); err == nil {
		t.Fatal("WriteDir with a NaN figure succeeded")
	} else if !strings.Contains(err.Error(), "summary.json") {
		t.Errorf("error does not name the file: %v", err)
	}
	assertFiles(t, empty)

	// A failure after the summaries were staged (run.json comes last) must
	// remove their temporary files too.
	badRun := *run
	badRun.WallSeconds = math.Inf(1)
	if err := WriteDir(empty, sample(), &badRun); err == nil || !strings.Contains(err.Error(), "run.json") {
		t.Fatalf("WriteDir with an infinite wall time: %v", err)
	}
	assertFiles(t, empty)

	if err := WriteDir(filepath.Join(empty, "missing"), sample(), run); err == nil {
		t.Fatal("WriteDir into a missing directory succeeded")
	}
	assertFiles(t, empty)

	if err := WriteDir(dir, bad, run); err == nil {
		t.Fatal("WriteDir with a NaN figure succeeded")
	}
	assertFiles(t, dir, RunJSON, SummaryCSV, SummaryJSON) // old files intact
	s, err := ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(s.Algorithms[1].Fairness.CoV) {
		t.Error("a failed write replaced summary.json")
	}
}

func assertFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		if info, err := e.Info(); err == nil && info.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", e.Name(), info.Mode().Perm())
		}
	}
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

func TestReadSummaryRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := sample()
	if err := WriteDir(dir, want, nil); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, filepath.Join(dir, SummaryJSON)} {
		got, err := ReadSummary(path)
		if err != nil {
			t.Fatal(err)
		}
		// Decoded params and the resolved scenario come back as generic
		// JSON values (float64 for 3), so compare what they encode to.
		a, _ := EncodeSummary(want)
		b, _ := EncodeSummary(got)
		if !bytes.Equal(a, b) {
			t.Errorf("ReadSummary(%s) does not round-trip:\n%s\nwant\n%s", path, b, a)
		}
		if got.Algorithms[0].Latency != want.Algorithms[0].Latency {
			t.Errorf("latency: got %+v, want %+v", got.Algorithms[0].Latency, want.Algorithms[0].Latency)
		}
	}
	if _, err := ReadSummary(t.TempDir()); err == nil || !strings.Contains(err.Error(), "run directory") {
		t.Errorf("ReadSummary of an empty directory: %v", err)
	}
}

func TestRunJSON(t *testing.T) {
	start := time.Date(2026, 11, 22, 1, 2, 3, 456789000, time.FixedZone("X", 3600))
	run := NewRun(start, []string{"sim", "run", "baseline"}, "scenarios/baseline.yaml")
	run.Finish(start.Add(2*time.Second + 250*time.Millisecond))
	if run.WallSeconds != 2.25 {
		t.Errorf("WallSeconds = %v, want 2.25", run.WallSeconds)
	}
	data, err := marshalIndent(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"start": "2026-11-22T00:02:03.456Z"`,
		`"end": "2026-11-22T00:02:05.706Z"`,
		`"scenario_file": "scenarios/baseline.yaml"`,
		`"command": [`,
		`"go_version": "go`,
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("run.json lacks %s:\n%s", want, data)
		}
	}
}

func TestSig3(t *testing.T) {
	for x, want := range map[float64]string{
		0: "0", 12.1: "12.1", 9.8: "9.80", 24: "24.0", 0.0123: "0.0123", 0.012345: "0.0123",
		9.996: "10.0", 99.96: "100", 1234.5: "1230", 130000: "130000", 1: "1.00", -2.5: "-2.50",
	} {
		if got := Sig3(x); got != want {
			t.Errorf("Sig3(%v) = %q, want %q", x, got, want)
		}
	}
}

// sampleVerdict is a hand-built verdict on sample(), as package verdict
// would write it: a tie with its p-value, a figure missing, a note.
func sampleVerdict() *Verdict {
	p := 0.21
	return &Verdict{
		Recommend: "round-robin", Why: "best error rate (0.495%); behind in p99 61.2 ms against p3c, fast's 10.0 ms",
		Test: "paired t-test over 5 seeds", Samples: 5, Note: "a note <with> markup & more",
		Objectives: []VerdictObjective{
			{Figure: "p99_ms", Best: "p3c, fast", Value: 9.996, Rule: "p >= 0.05"},
			{Figure: "mean_ms", Best: "p3c, fast", Value: 0.012345, Ties: []VerdictTie{{Label: "round-robin", Value: 12.1, P: &p}}, Rule: "p >= 0.05"},
			{Figure: "error_rate", Best: "round-robin", Value: 0.00495, Rule: "p >= 0.05", Missing: []string{"nobody"}},
			{Figure: "jain", Best: "round-robin", Value: 0.998, Ties: []VerdictTie{{Label: "p3c, fast", Value: 0.998}}, Rule: "p >= 0.05"},
		},
		Reasons: []VerdictReason{
			{Label: "round-robin", Rule: "recommended", Text: "round-robin: best error rate (0.495%)"},
			{Label: "p3c, fast", Rule: "errors", Text: "p3c, fast: error rate 0.25% against round-robin's 0.495%"},
		},
	}
}

func TestVerdictGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteVerdict(&buf, sampleVerdict()); err != nil {
		t.Fatal(err)
	}
	golden(t, "verdict.txt", buf.Bytes())
	buf.Reset()
	if err := WriteVerdict(&buf, nil); err != nil || buf.Len() != 0 {
		t.Errorf("a nil verdict wrote %q, %v; want nothing", buf.String(), err)
	}
}
