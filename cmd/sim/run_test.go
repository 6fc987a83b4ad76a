package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
	"github.com/fulcrum-lb/fulcrum/sweep"
)

func readSummary(t *testing.T, dir string) ([]byte, *report.Summary) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, report.SummaryJSON))
	if err != nil {
		t.Fatal(err)
	}
	var s report.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return data, &s
}

// --seeds 1 is the default run, byte for byte; --seeds 3 keeps the first
// seed's figures and adds the seeds and every figure's interval.
func TestRunSeeds(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	tmp := t.TempDir()
	one, k1, k3 := filepath.Join(tmp, "one"), filepath.Join(tmp, "k1"), filepath.Join(tmp, "k3")
	plain := runOK(t, scenario, "--out", one)
	runOK(t, scenario, "--seeds", "1", "--out", k1)
	table := runOK(t, scenario, "--seeds", "3", "--out", k3)

	b1, s1 := readSummary(t, one)
	bk1, _ := readSummary(t, k1)
	if !bytes.Equal(b1, bk1) {
		t.Error("--seeds 1 wrote a different summary.json from a run without --seeds")
	}
	if s1.Seeds != nil || s1.Algorithms[0].CI != nil {
		t.Errorf("a one-seed summary.json has seeds or ci95:\n%.600s", b1)
	}
	if strings.Contains(plain, "±") {
		t.Errorf("a one-seed table shows intervals:\n%s", plain)
	}

	_, s3 := readSummary(t, k3)
	if len(s3.Seeds) != 3 || s3.Seeds[0] != 1 || s3.Seeds[2] != 3 || s3.Seed != 1 {
		t.Errorf("seed %d, seeds %v; want 1 and [1 2 3]", s3.Seed, s3.Seeds)
	}
	for i, a := range s3.Algorithms {
		// The figures are the first seed's run.
		if a.Latency != s1.Algorithms[i].Latency || a.Requests != s1.Algorithms[i].Requests {
			t.Errorf("%s: latency %+v, want the first seed's %+v", a.Label, a.Latency, s1.Algorithms[i].Latency)
		}
		for _, name := range sweep.SeedFigures {
			st, ok := a.CI[name]
			switch {
			case !ok:
				t.Errorf("%s: no ci95 for %s", a.Label, name)
			case st.N != 3 || st.CI95 < 0:
				t.Errorf("%s: ci95 %s = %+v, want n 3 and a half-width >= 0", a.Label, name, st)
			}
		}
		if st := a.CI["mean_ms"]; st.CI95 <= 0 || st.Mean <= 0 {
			t.Errorf("%s: mean_ms over seeds %+v, want a mean and interval above 0", a.Label, st)
		}
	}
	for _, want := range []string{"seeds 1-3", "±", "(paired t-test over 3 seeds)"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	// Each seed's own figures: the first seed's are the run's; the second
	// seed's are those of a run with that seed.
	sc, err := scenarios.Load(scenario)
	if err != nil {
		t.Fatal(err)
	}
	sc.Seed = 2
	s2, err := sim.Run(context.Background(), sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range s3.Algorithms {
		if len(a.PerSeed) != 3 || a.PerSeed[0] != report.FiguresOf(&s1.Algorithms[i]) || a.PerSeed[1] != report.FiguresOf(&s2.Algorithms[i]) {
			t.Errorf("%s: per_seed %+v; want 3, the first two %+v and %+v", a.Label, a.PerSeed,
				report.FiguresOf(&s1.Algorithms[i]), report.FiguresOf(&s2.Algorithms[i]))
		}
		if a.PerSeed[1] == a.PerSeed[0] || a.PerSeed[2] == a.PerSeed[1] {
			t.Errorf("%s: two seeds with the same figures: %+v", a.Label, a.PerSeed)
		}
	}

	// summary.bench.txt: one line per seed and algorithm, so benchstat has
	// samples; one line per algorithm, marked exact, for one seed.
	for _, tc := range []struct {
		dir   string
		lines int
		exact bool
	}{{k1, 1, true}, {k3, 3, false}} {
		data, err := os.ReadFile(filepath.Join(tc.dir, report.SummaryBench))
		if err != nil {
			t.Fatal(err)
		}
		for _, label := range []string{"round-robin", "p2c"} {
			prefix := "BenchmarkSim/tiny/" + label + " 1 "
			n := 0
			for _, line := range strings.Split(string(data), "\n") {
				if strings.HasPrefix(line, prefix) {
					n++
				}
			}
			if n != tc.lines {
				t.Errorf("%s: %d lines for %s, want %d:\n%s", tc.dir, n, label, tc.lines, data)
			}
		}
		if strings.Contains(string(data), "assume=exact") != tc.exact {
			t.Errorf("%s: figures marked exact %v, want %v:\n%s", tc.dir, !tc.exact, tc.exact, data)
		}
	}
	// The verdict: tested over the seeds in the run of 3, not in the run
	// of one, whose note says so.
	v1, v3 := s1.Verdict, s3.Verdict
	if v1 == nil || v3 == nil {
		t.Fatalf("summary.json without a verdict: %v, %v", v1, v3)
	}
	if v1.Test != "not tested: one seed" || v1.Samples != 1 || !strings.Contains(v1.Note, "run --seeds 5") {
		t.Errorf("one seed: test %q, samples %d, note %q", v1.Test, v1.Samples, v1.Note)
	}
	if v3.Test != "paired t-test over 3 seeds" || v3.Samples != 3 || v3.Note != "" {
		t.Errorf("3 seeds: test %q, samples %d, note %q", v3.Test, v3.Samples, v3.Note)
	}
	for _, o := range v3.Objectives {
		// Each objective's value is the mean over the seeds, as ci95's.
		var best *report.Algorithm
		for i := range s3.Algorithms {
			if s3.Algorithms[i].Label == o.Best {
				best = &s3.Algorithms[i]
			}
		}
		if best == nil {
			t.Errorf("%s: best %q is no algorithm of the run", o.Figure, o.Best)
			continue
		}
		if ci := best.CI[o.Figure]; math.Abs(ci.Mean-o.Value) > 1e-9*math.Max(1, ci.Mean) {
			t.Errorf("%s: value %v, want the mean over the seeds %v", o.Figure, o.Value, ci.Mean)
		}
		for _, tie := range o.Ties {
			if tie.P == nil || *tie.P < 0.05 {
				t.Errorf("%s: tie %s with p %v, want p >= 0.05", o.Figure, tie.Label, tie.P)
			}
		}
	}
	if len(v3.Reasons) != len(s3.Algorithms) {
		t.Errorf("%d reasons for %d algorithms", len(v3.Reasons), len(s3.Algorithms))
	}
	// The terminal output ends with the verdict, then where it was written.
	i := strings.Index(table, "\nverdict: run "+v3.Recommend+": ")
	j := strings.Index(table, "\nresults: ")
	if i < 0 || j < i || strings.Contains(table[i:j], "label") {
		t.Errorf("the output does not end with the verdict on %s:\n%s", v3.Recommend, table)
	}
}

func TestRunSeedsUsage(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	for _, args := range [][]string{
		{"run", scenario, "--seeds", "0"},
		{"run", scenario, "--seeds", "3", "--seed", "18446744073709551615"},
	} {
		code, _, stderr := clitest.Run(program, args...)
		if code != cli.ExitUsage || !strings.Contains(stderr, "seeds") {
			t.Errorf("sim %q: exit %d, stderr %q; want a usage error about the seeds", args, code, stderr)
		}
	}
}

// Each algorithm's latency-<label>.hlog reads back, with HdrHistogram's own
// log reader, to the summary's count and p99.
func TestRunHistogramLog(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	out := filepath.Join(t.TempDir(), "out")
	runOK(t, scenario, "--out", out)
	_, s := readSummary(t, out)
	for _, a := range s.Algorithms {
		data, err := os.ReadFile(filepath.Join(out, cli.HistogramLogFile(a.Label)))
		if err != nil {
			t.Fatal(err)
		}
		r := hdrhistogram.NewHistogramLogReader(bytes.NewReader(data))
		h, err := r.NextIntervalHistogram()
		if err != nil || h == nil {
			t.Fatalf("%s: no histogram read back: %v", a.Label, err)
		}
		if h.TotalCount() != a.Completed {
			t.Errorf("%s: log holds %d latencies, want the %d completed", a.Label, h.TotalCount(), a.Completed)
		}
		// The summary caps quantiles at the exact max (metrics.Latency.Quantile).
		if p99 := min(float64(h.ValueAtQuantile(99))/1e6, a.Latency.Max); p99 != a.Latency.P99 {
			t.Errorf("%s: log's p99 %v ms, summary's %v", a.Label, p99, a.Latency.P99)
		}
		if next, err := r.NextIntervalHistogram(); next != nil || err != nil {
			t.Errorf("%s: a second interval in the log (err %v)", a.Label, err)
		}
	}
}

// --cpuprofile writes a gzipped pprof profile of the run, whole, at the
// end; a path it cannot write is a usage error before anything runs.
func TestRunCPUProfile(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	tmp := t.TempDir()
	for _, c := range []struct {
		name    string
		path    string
		code    int
		wantErr string
	}{
		{"written", filepath.Join(tmp, "cpu.pprof"), cli.ExitOK, ""},
		{"missing directory", filepath.Join(tmp, "nowhere", "cpu.pprof"), cli.ExitUsage, "directory " + filepath.Join(tmp, "nowhere") + " does not exist"},
		{"a directory", tmp, cli.ExitUsage, "--cpuprofile " + tmp + ": is a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			code, _, stderr := clitest.Run(program, "run", scenario, "--no-plots", "--out", out, "--cpuprofile", c.path)
			if code != c.code || !strings.Contains(stderr, c.wantErr) {
				t.Fatalf("exit %d, want %d; stderr %q, want it to contain %q", code, c.code, stderr, c.wantErr)
			}
			if c.code != cli.ExitOK {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("a usage error left %s (%v)", out, err)
				}
				return
			}
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("not a gzipped profile: %v", err)
			}
			raw, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			// The profile's string table always names its sample types.
			if !bytes.Contains(raw, []byte("cpu")) || !bytes.Contains(raw, []byte("nanoseconds")) {
				t.Errorf("profile of %d bytes names no cpu/nanoseconds sample type", len(raw))
			}
			if _, err := os.Stat(filepath.Join(out, report.SummaryJSON)); err != nil {
				t.Errorf("profiling stopped the results: %v", err)
			}
		})
	}
}
