package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/realproxy"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// repeatScenario is measured 4 times a run: 4 repetitions a side is the
// fewest for which the U test can reach p < 0.05 (entirely apart, p =
// 2/70). About 0.4 s a repetition.
const repeatScenario = `name: tiny-repeat
seed: 1
requests: 100
warmup: 50ms
arrivals: {process: poisson, rate: 300}
clients: 20
servers:
  - {name: web, count: 3, service: {dist: constant, value: 2ms}}
algorithms: [{name: round-robin, label: lb}]
`

// measure runs bench run --repeat 4 on scenario text and returns the run
// directory. With viaCLI false, it measures in-process and writes only
// summary.json, sparing the charts bench run draws (seconds under the race
// detector).
func measure(t *testing.T, text string, viaCLI bool) string {
	t.Helper()
	dir := t.TempDir()
	scenario := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(scenario, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if viaCLI {
		if code, stdout, stderr := clitest.Run(program, "run", scenario, "--repeat", "4", "--out", out); code != cli.ExitOK {
			t.Fatalf("bench run: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		return out
	}
	sc, err := scenarios.Load(scenario)
	if err != nil {
		t.Fatal(err)
	}
	s, err := realproxy.Run(context.Background(), sc, realproxy.Options{Repeat: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteDir(out, s, nil); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompareRepetitions measures a scenario for real, four repetitions,
// then the same with every server ten times slower, and compares: each
// run against itself passes, the slow one against the first fails on a
// significant change; and the per-repetition figures are in summary.json
// and summary.bench.txt.
func TestCompareRepetitions(t *testing.T) {
	if testing.Short() {
		t.Skip("real runs take seconds")
	}
	leakcheck.Check(t)
	base := measure(t, repeatScenario, true)
	// Ten times slower overloads the servers (20ms of service at 100 req/s
	// each): the slow run's mean and p50 are some 200ms, above what the fast
	// one reaches even when a busy machine holds the load generator back and
	// every request arrives at once (about 50ms of queueing at 2ms each).
	// Every slow repetition is then above every fast one, on any machine, and
	// the U test reaches its smallest p, 2/70.
	slow := measure(t, repeatScenario+"faults:\n  - {at: 0s, target: \"web-*\", kind: slowdown, factor: 10}\n", false)

	s, err := report.ReadSummary(base)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Algorithms[0]
	if len(a.Repetitions) != 4 {
		t.Fatalf("%d repetitions in summary.json, want 4", len(a.Repetitions))
	}
	var sum float64
	for _, r := range a.Repetitions {
		if r.MeanMS < 2 || r.P50MS < 2 || r.P99MS < r.P50MS || r.ThroughputRPS <= 0 || r.ErrorRate != 0 {
			t.Errorf("repetition %+v", r)
		}
		sum += r.MeanMS
	}
	// Every repetition has the same number of requests, so the merged
	// mean is the mean of the repetitions' means.
	if m := sum / 4; m < 0.999*a.Latency.Mean || m > 1.001*a.Latency.Mean {
		t.Errorf("repetitions' means average %v, merged mean %v", m, a.Latency.Mean)
	}
	bench, err := os.ReadFile(filepath.Join(base, report.SummaryBench))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(bench, []byte("\nBenchmarkReal/tiny-repeat/lb 1 ")); n != 4 {
		t.Errorf("summary.bench.txt has %d result lines, want 4:\n%s", n, bench)
	}

	code, stdout, stderr := clitest.Run(program, "compare", base, base)
	if code != cli.ExitOK || stderr != "" || !strings.Contains(stdout, "Mann-Whitney") || strings.Contains(stdout, "warning") {
		t.Errorf("a run against itself: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	// On a quiet machine every slow repetition is slower than every fast
	// one and the U test reaches its smallest p. A machine busy enough to
	// stall the load generator and the backends for hundreds of
	// milliseconds (seen with both cores taken by other jobs: a fast
	// repetition's p90 at 555ms for 2ms of service) can make the samples
	// overlap; then the honest verdict is noise, and the check is that
	// compare says what the repetitions show.
	ss, err := report.ReadSummary(slow)
	if err != nil {
		t.Fatal(err)
	}
	sep := func(fig func(report.RepetitionFigures) float64) bool {
		for _, b := range a.Repetitions {
			for _, n := range ss.Algorithms[0].Repetitions {
				if fig(n) <= fig(b) {
					return false
				}
			}
		}
		return true
	}
	sepMean := sep(func(r report.RepetitionFigures) float64 { return r.MeanMS })
	sepP50 := sep(func(r report.RepetitionFigures) float64 { return r.P50MS })
	code, stdout, _ = clitest.Run(program, "compare", base, slow)
	switch {
	case sepMean && sepP50:
		if code != cli.ExitFailure || !strings.Contains(stdout, "0.029  REGRESSION") || !strings.Contains(stdout, "lb (mean, p50") {
			t.Errorf("10x slower servers, every repetition slower: exit %d\n%s", code, stdout)
		}
	default:
		t.Logf("the machine was too busy to keep the repetitions apart (mean %v, p50 %v):\n%s", sepMean, sepP50, stdout)
		if (code == cli.ExitFailure) != strings.Contains(stdout, "REGRESSION") {
			t.Errorf("10x slower servers: exit %d does not match the verdicts\n%s", code, stdout)
		}
	}
	// Faster is no regression.
	if code, stdout, _ := clitest.Run(program, "compare", slow, base); code != cli.ExitOK {
		t.Errorf("10x faster servers: exit %d\n%s", code, stdout)
	}
	// Without a significant difference nothing fails, however large the
	// change: here the test is asked for p < 0.01, which 4 and 4 cannot
	// reach, so the thresholds alone decide, with a warning.
	code, stdout, _ = clitest.Run(program, "compare", base, slow, "--alpha", "0.01")
	if code != cli.ExitFailure || !strings.Contains(stdout, "warning: lb: 4 and 4 repetitions: the U test cannot reach p < 0.01") {
		t.Errorf("--alpha 0.01: exit %d\n%s", code, stdout)
	}
}

func TestCompareUsage(t *testing.T) {
	clitest.UsageErrors(t, program, [][]string{
		{"compare"},
		{"compare", "a"},
		{"compare", t.TempDir(), t.TempDir()}, // no summary.json
		{"compare", "a", "b", "--threshold", "p99"},
		{"compare", "a", "b", "--format", "html"},
		{"compare", "a", "b", "--format", "Markdown"},
	})
	clitest.Help(t, program, [][]string{{"help", "compare"}, {"compare", "--help"}})
}

func TestPacingWarning(t *testing.T) {
	for _, tc := range []struct {
		p    realproxy.Pacing
		want string
	}{
		{realproxy.Pacing{Label: "p2c", LagP99: time.Millisecond}, ""},
		{realproxy.Pacing{Label: "p2c", LagP99: maxLagP99}, ""},
		{realproxy.Pacing{Label: "least-connections", LagP99: 2870 * time.Millisecond, LagMax: 3150 * time.Millisecond},
			"least-connections: the load generator fell behind the schedule (lag p99 2.87s, max 3.15s)"},
	} {
		got := pacingWarning(tc.p)
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%+v: %q, want %q...", tc.p, got, tc.want)
		}
	}
}
