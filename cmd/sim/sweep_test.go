package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/sweep"
)

func TestSweepUsageErrors(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ok := []string{"sweep", scenario, "--param", "arrivals.rate", "--values", "1000,2000"}
	with := func(extra ...string) []string { return append(append([]string(nil), ok...), extra...) }
	t.Chdir(t.TempDir()) // where the default results/ would go
	clitest.UsageErrors(t, program, [][]string{
		{"sweep"},
		{"sweep", "--param", "arrivals.rate", "--values", "1000"},
		{"sweep", scenario, "--values", "1000"},
		{"sweep", scenario, "--param", "arrivals.rate"},
		{"sweep", scenario, "--param", "arrivals.rate", "--values", "1000:500:100"},
		{"sweep", scenario, "--param", "arrivals.rate", "--values", "fast"},
		{"sweep", scenario, "--param", "arrivals.rate", "--values", "0,1000"},
		{"sweep", scenario, "--param", "arrivals.rte", "--values", "1000"},
		{"sweep", scenario, "--param", "servers[3].count", "--values", "1"},
		{"sweep", scenario, "--param", "servers[0].service.mean", "--values", "1xs"},
		{"sweep", scenario, "--param", "servers[0].name", "--values", "1"},
		with("--shard", "3/2"),
		with("--shard", "1"),
		with("--seeds", "0"),
		with("--seeds", "-1"),
		with("--requests", "0"),
		with("--out", file),
		with("--bogus"),
		{"sweep", "no-such-scenario.yaml", "--param", "arrivals.rate", "--values", "1000"},
		{"merge"},
		{"merge", "no-such-dir"},
		{"merge", t.TempDir()}, // no sweep.json
		{"merge", file},        // not JSON
		{"merge", "--bogus", file},
	})
	if _, err := os.Stat("results"); !os.IsNotExist(err) {
		t.Errorf("results/ exists after usage errors (%v)", err)
	}
	// The messages say what is wrong.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{with("--shard", "3/2"), `sim sweep: --shard "3/2": want 0 <= I < N`},
		{[]string{"sweep", scenario, "--param", "arrivals.rte", "--values", "1"}, "sim sweep: --param arrivals.rte: no such field; arrivals has process, load, rate"},
		{[]string{"sweep", scenario, "--param", "servers[3].count", "--values", "1"}, "--param servers[3].count: the scenario has 1 server groups"},
		{[]string{"sweep", scenario, "--param", "arrivals.rate", "--values", "1:0.5:0.1"}, `sim sweep: --values "1:0.5:0.1": END is below START`},
		{[]string{"sweep", scenario, "--param", "arrivals.rate", "--values", "0,1"}, "sim sweep: --param arrivals.rate = 0: "},
	} {
		_, _, stderr := clitest.Run(program, tc.args...)
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("sim %q: stderr %q lacks %q", tc.args, stderr, tc.want)
		}
	}
}

func TestSweepHelp(t *testing.T) {
	clitest.Help(t, program, [][]string{{"help", "sweep"}, {"sweep", "-h"}, {"help", "merge"}, {"merge", "--help"}})
}

// sweepOK runs sim with args and fails the test unless it succeeds.
func sweepOK(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := clitest.Run(program, args...)
	if code != cli.ExitOK {
		t.Fatalf("sim %q: exit %d\nstderr: %s", args, code, stderr)
	}
	return stdout
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSweepShardsMerge runs a sweep whole and in two shards, merges the
// shards and checks that the merged files are the whole sweep's.
func TestSweepShardsMerge(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	tmp := t.TempDir()
	whole, s0, s1, merged := filepath.Join(tmp, "whole"), filepath.Join(tmp, "s0"), filepath.Join(tmp, "s1"), filepath.Join(tmp, "merged")
	args := []string{"sweep", scenario, "--param", "arrivals.rate", "--values", "1000:3000:1000", "--seeds", "2", "--requests", "1500"}

	stdout := sweepOK(t, append(args, "--out", whole)...)
	for _, want := range []string{"tiny: arrivals.rate, seeds 1..2", "mean latency (ms)", "p99 latency (ms)", "round-robin", "p2c", "3000", "±", "results: " + whole} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"sweep.json", "sweep.csv", "run.json", "sweep.png", "sweep.svg"} {
		if _, err := os.Stat(filepath.Join(whole, name)); err != nil {
			t.Error(err)
		}
	}
	// The shards' plots are not looked at: skip drawing them (slow under -race).
	draw := sweepPlots
	defer func() { sweepPlots = draw }()
	sweepPlots = func(string, *report.Sweep) ([]string, error) { return nil, nil }
	sweepOK(t, append(args, "--shard", "1/2", "--out", s1)...)
	sweepOK(t, append([]string{"sweep", "--shard", "0/2", "--out", s0}, args[1:]...)...) // flags first
	sweepPlots = draw
	stdout = sweepOK(t, "merge", filepath.Join(s1, "sweep.json"), s0, "--out", merged)
	if !strings.Contains(stdout, "results: "+merged) {
		t.Errorf("merge stdout:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(merged, "sweep.png")); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"sweep.json", "sweep.csv"} {
		if got, want := readFile(t, filepath.Join(merged, name)), readFile(t, filepath.Join(whole, name)); !bytes.Equal(got, want) {
			t.Errorf("merged %s differs from the whole sweep's:\n%s\nwant\n%s", name, got, want)
		}
	}

	// The same shard twice, or one alone, is refused and writes nothing.
	bad := filepath.Join(tmp, "bad")
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{[]string{s0, s0, s1}, "shard 0/2 appears twice"},
		{[]string{s0}, "missing shard 1/2"},
		{[]string{s0, whole}, "whole sweep"},
	} {
		code, stdout, stderr := clitest.Run(program, append(append([]string{"merge"}, tc.parts...), "--out", bad)...)
		if code != cli.ExitUsage || stdout != "" || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "1: "+tc.parts[0]) {
			t.Errorf("merge %q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.parts, code, stdout, stderr, tc.want)
		}
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("%s exists after refused merges (%v)", bad, err)
	}
}

// TestSweepDuration sweeps a duration field, given with units, into the
// default results directory.
func TestSweepDuration(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	t.Chdir(t.TempDir())
	defer func(f func(string, *report.Sweep) ([]string, error)) { sweepPlots = f }(sweepPlots)
	sweepPlots = func(string, *report.Sweep) ([]string, error) { return nil, nil }
	sweepOK(t, "sweep", scenario, "--param", "servers[0].service.mean", "--values", "500us,1ms", "--requests", "1000")
	dirs, err := filepath.Glob(filepath.Join("results", "runs", "tiny", "*-sweep"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("sweep directories %v, %v; want one results/runs/tiny/*-sweep", dirs, err)
	}
	sw, err := sweep.Read(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if sw.Unit != "s" || len(sw.Values) != 2 || sw.Values[0] != 0.0005 || sw.Values[1] != 0.001 || len(sw.Points) != 4 {
		t.Errorf("sweep of a duration: unit %q, values %v, %d points", sw.Unit, sw.Values, len(sw.Points))
	}
	if m0, m1 := sw.Points[0].Figures["mean_ms"].Mean, sw.Points[2].Figures["mean_ms"].Mean; !(m1 > m0) {
		t.Errorf("round-robin's mean latency %v ms with 1ms service, not above %v ms with 0.5ms", m1, m0)
	}
}

// TestSweepPlotsFail checks that a sweep whose plots fail keeps its data
// and exits 1.
func TestSweepPlotsFail(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	out := filepath.Join(t.TempDir(), "out")
	defer func(f func(string, *report.Sweep) ([]string, error)) { sweepPlots = f }(sweepPlots)
	sweepPlots = func(string, *report.Sweep) ([]string, error) { return nil, errors.New("no ink") }
	code, stdout, stderr := clitest.Run(program, "sweep", scenario, "--param", "arrivals.rate", "--values", "1000", "--requests", "500", "--out", out)
	if code != cli.ExitFailure || !strings.Contains(stderr, "sim sweep: plots: no ink") || !strings.Contains(stdout, "results (without plots): "+out) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := sweep.Read(out); err != nil {
		t.Errorf("the data are gone: %v", err)
	}
}

// TestSweepInterrupted checks that an interrupted sweep writes nothing and
// exits 130.
func TestSweepInterrupted(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := clitest.RunContext(ctx, program, "sweep", scenario, "--param", "arrivals.rate", "--values", "1000", "--out", out)
	if code != cli.ExitInterrupted || stdout != "" || !strings.Contains(stderr, "interrupted; nothing written") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after an interrupted sweep (%v)", out, err)
	}
}
