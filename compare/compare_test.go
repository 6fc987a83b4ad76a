package compare

import (
	"bytes"
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var posInf = math.Inf(1)

// tiny is a small scenario the simulator runs in a few milliseconds;
// ALG is replaced by the algorithm labelled p2c.
const tiny = `name: tiny
seed: 1
requests: 5000
arrivals: {process: poisson, load: 0.7}
servers:
  - {name: web, count: 4, service: {dist: exponential, mean: 1ms}}
algorithms: [round-robin, ALG]
`

func simulate(t *testing.T, alg string) *report.Summary {
	t.Helper()
	sc, err := scenarios.Parse("tiny.yaml", []byte(strings.Replace(tiny, "ALG", alg, 1)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.Run(context.Background(), sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCompareIdentical(t *testing.T) {
	base, new := simulate(t, "p2c"), simulate(t, "p2c")
	r := Compare(base, new, Options{Thresholds: mustThresholds("all=0")})
	if r.Failed() || len(r.Regressions()) > 0 || len(r.Warnings) > 0 {
		t.Errorf("identical runs: failed %v, regressions %v, warnings %v", r.Failed(), r.Regressions(), r.Warnings)
	}
	for _, a := range r.Algorithms {
		for _, c := range a.Changes {
			if c.Diff != 0 || c.Rel != 0 || c.Worse || c.Verdict() != "ok" {
				t.Errorf("%s %s: %+v", a.Label, c.Figure.Name, c)
			}
		}
	}
	if v := r.Verdict(); v != "ok: no regressions in 2 algorithms" {
		t.Errorf("verdict %q", v)
	}
}

// TestCompareSeededRegression replaces p2c by random under the same label:
// on the same traffic, random routing queues much more, so latency goes up
// well beyond the default thresholds; round-robin is untouched.
func TestCompareSeededRegression(t *testing.T) {
	good, bad := simulate(t, "{name: p2c, label: p2c}"), simulate(t, "{name: random, label: p2c}")
	r := Compare(good, bad, Options{Thresholds: mustThresholds(SimThresholds)})
	if !r.Failed() {
		t.Fatalf("no regression:\n%s", table(t, r))
	}
	reg := r.Regressions()
	for _, want := range []string{"p2c mean", "p2c p50", "p2c p99"} {
		if !slices.Contains(reg, want) {
			t.Errorf("regressions %v lack %q", reg, want)
		}
	}
	for _, x := range reg {
		if strings.HasPrefix(x, "round-robin") {
			t.Errorf("round-robin did not change, yet %s", x)
		}
	}
	// The other way round it is an improvement, not a regression.
	r = Compare(bad, good, Options{Thresholds: mustThresholds(SimThresholds)})
	if r.Failed() {
		t.Errorf("an improvement failed:\n%s", table(t, r))
	}
	if c := change(t, r, "p2c", "mean"); c.Verdict() != "better" || c.Worse {
		t.Errorf("p2c mean from random to p2c: %+v, verdict %q", c, c.Verdict())
	}
}

func change(t *testing.T, r *Result, label, figure string) Change {
	t.Helper()
	for _, a := range r.Algorithms {
		for _, c := range a.Changes {
			if a.Label == label && c.Figure.Name == figure {
				return c
			}
		}
	}
	t.Fatalf("no %s %s in the result", label, figure)
	return Change{}
}

func table(t *testing.T, r *Result) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestCompareMissing(t *testing.T) {
	base := summary("sim", alg("a", 10), alg("b", 10))
	new := summary("sim", alg("b", 10), alg("c", 10))
	r := Compare(base, new, Options{Thresholds: mustThresholds(SimThresholds)})
	if !r.Failed() || !slices.Equal(r.Missing(), []string{"a (only in base)", "c (only in new)"}) {
		t.Errorf("failed %v, missing %v", r.Failed(), r.Missing())
	}
	r = Compare(base, new, Options{Thresholds: mustThresholds(SimThresholds), AllowMissing: true})
	if r.Failed() {
		t.Errorf("--allow-missing still fails: %s", r.Verdict())
	}
}

// TestCompareDirections checks which way is worse for each kind of figure.
func TestCompareDirections(t *testing.T) {
	base := summary("sim", alg("a", 10))
	new := summary("sim", alg("a", 10))
	n := &new.Algorithms[0]
	n.ThroughputRPS *= 0.9                       // down: worse
	n.Fairness.Jain = 0.9                        // down: worse
	n.Errors.Failed = 10                         // up: worse
	n.Latency.P50, n.Latency.P99 = 4.5, 20*0.999 // down: better
	r := Compare(base, new, Options{Thresholds: mustThresholds("all=0")})
	for figure, worse := range map[string]bool{"throughput": true, "jain": true, "errors": true, "p50": false, "p99": false, "mean": false} {
		c := change(t, r, "a", figure)
		if c.Worse != worse || c.Regression != worse {
			t.Errorf("%s from %v to %v: worse %v, regression %v; want %v", figure, c.Base, c.New, c.Worse, c.Regression, worse)
		}
	}
	if c := change(t, r, "a", "errors"); c.Base != 0 || c.New != 0.01 || c.Rel != posInf {
		t.Errorf("errors: %+v; want 0 -> 0.01 (10 of 1000), rel +Inf", c)
	}
}

// alg makes an algorithm's figures around a mean latency of mean ms, with
// 1000 requests and no errors.
func alg(label string, mean float64, reps ...float64) report.Algorithm {
	a := report.Algorithm{
		Label: label, Algorithm: label, Requests: 1000, Completed: 1000,
		ThroughputRPS: 100,
		Latency:       report.Latency{Mean: mean, P50: mean / 2, P90: mean, P99: 2 * mean, P999: 3 * mean, Max: 4 * mean},
		Fairness:      report.Fairness{Jain: 1},
	}
	for _, m := range reps {
		a.Repetitions = append(a.Repetitions, report.RepetitionFigures{
			MeanMS: m, P50MS: m / 2, P90MS: m, P99MS: 2 * m, P999MS: 3 * m, ThroughputRPS: 100, Jain: 1,
		})
	}
	return a
}

func summary(engine string, algs ...report.Algorithm) *report.Summary {
	return &report.Summary{Scenario: "s", Engine: engine, Seed: 1, Algorithms: algs}
}

// TestCompareRepetitions checks the real engine's rule: a change beyond
// the threshold is a regression only if the U test finds the repetitions
// apart, unless there are too few of them for the test to say.
func TestCompareRepetitions(t *testing.T) {
	th := mustThresholds("mean=5%,p99=5%,max=10%")
	for _, tc := range []struct {
		name       string
		base, new  []float64 // per-repetition means
		merged     float64   // new's merged mean (base's is 10)
		regression bool
		p          float64 // the U test's p, 0 if none
		warning    string
	}{
		{"apart", []float64{9.8, 10, 10.1, 9.9, 10.2}, []float64{11.1, 11.3, 11.2, 11.4, 11.0}, 11.2, true, 2.0 / 252, ""},
		{"noise", []float64{9, 11, 8, 12, 10}, []float64{9.5, 11.5, 8.5, 12.5, 13}, 11, false, 0.4206349206349206, ""},
		{"apart but within the threshold", []float64{9.8, 10, 10.1, 9.9, 10.2}, []float64{10.3, 10.4, 10.5, 10.35, 10.45}, 10.4, false, 2.0 / 252, ""},
		{"3 and 3", []float64{9.8, 10, 10.2}, []float64{11, 11.2, 11.1}, 11.1, true, 0, "3 and 3 repetitions: the U test cannot reach p < 0.05 (its smallest p-value is 0.1"},
		{"2 and 5", []float64{9.8, 10.2}, []float64{9, 11, 10, 12, 8}, 11, true, 0, "2 and 5 repetitions"},
		{"none", nil, nil, 11, true, 0, "neither side has no per-repetition figures"},
	} {
		base := summary("real", alg("a", 10, tc.base...))
		new := summary("real", alg("a", tc.merged, tc.new...))
		r := Compare(base, new, Options{Thresholds: th})
		c := change(t, r, "a", "mean")
		if c.Regression != tc.regression || r.Failed() != tc.regression {
			t.Errorf("%s: regression %v, failed %v; want %v\n%s", tc.name, c.Regression, r.Failed(), tc.regression, table(t, r))
		}
		if c.Tested != (tc.p != 0) || math.Abs(c.P-tc.p) > 1e-12 {
			t.Errorf("%s: tested %v, p %v; want p %v", tc.name, c.Tested, c.P, tc.p)
		}
		if tc.warning == "" {
			// max has a threshold but no per-repetition values.
			if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "max is not recorded per repetition") {
				t.Errorf("%s: warnings %q", tc.name, r.Warnings)
			}
		} else if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], tc.warning) {
			t.Errorf("%s: warnings %q, want one containing %q", tc.name, r.Warnings, tc.warning)
		}
	}
	// "neither side has no" reads badly; check the real wording once.
	r := Compare(summary("real", alg("a", 10)), summary("real", alg("a", 10, 1, 2, 3)), Options{})
	if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], "a: base has no per-repetition figures") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func TestCompareWarnings(t *testing.T) {
	a := summary("sim", alg("a", 10))
	b := summary("real", alg("a", 10))
	b.Scenario, b.Seed = "other", 2
	r := Compare(a, b, Options{})
	got := strings.Join(r.Warnings, "\n")
	for _, want := range []string{"base is scenario s, new is other", "base ran on the sim engine, new on the real engine"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	b = summary("sim", alg("a", 10))
	b.Seed = 7
	if r := Compare(a, b, Options{}); len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "seeds differ (1, 7)") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

// goldenResult is the comparison the golden files show: real runs of five
// repetitions a side; p2c regresses (mean, p99 and errors, significantly),
// round-robin moves within the noise and gets faster, and "gone" is in
// the base only.
func goldenResult() *Result {
	base := summary("real", alg("p2c", 10, 9.8, 10, 10.1, 9.9, 10.2), alg("round-robin", 12, 9, 11, 8, 12, 10), alg("gone", 1))
	new := summary("real", alg("p2c", 11.2, 11.1, 11.3, 11.2, 11.4, 11.0), alg("round-robin", 13, 9.5, 11.5, 8.5, 12.5, 13))
	new.Algorithms[0].Errors.Failed = 3
	for i, e := range []float64{0.002, 0.004, 0.003, 0.003, 0.003} {
		new.Algorithms[0].Repetitions[i].ErrorRate = e
	}
	new.Algorithms[1].ThroughputRPS = 120
	return Compare(base, new, Options{Thresholds: mustThresholds("mean=5%,p99=10%,throughput=5%,errors=0")})
}

func TestWriteTableGolden(t *testing.T) {
	r := goldenResult()
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, TableOptions{BaseName: "old/summary.json", NewName: "new/"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.txt", buf.Bytes())

	buf.Reset()
	if err := WriteTable(&buf, r, TableOptions{OnlyChanged: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-changed.txt", buf.Bytes())
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
