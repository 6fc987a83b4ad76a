package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
)

const tinyScenario = `name: tiny
description: a few thousand requests for the CLI's tests
seed: 1
requests: 3000
arrivals: {process: poisson, rate: 2000}
servers:
  - {name: web, count: 4, service: {dist: exponential, mean: 1ms}}
algorithms: [round-robin, {name: p2c, choices: 2}]
`

// writeScenario writes a scenario file into a new temporary directory and
// returns its path.
func writeScenario(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageErrors(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	clitest.UsageErrors(t, program, append(clitest.RunFlagErrors("run", scenario), [][]string{
		{"validate"},
		{"list", "extra"},
	}...))
}

func TestHelp(t *testing.T) {
	clitest.Help(t, program, [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "run"}, {"run", "-h"}, {"validate", "--help"}})
}

// TestInvalidScenario checks that a scenario with an unknown key is refused
// with its file and line, exit 2, and that nothing is written.
func TestInvalidScenario(t *testing.T) {
	bad := writeScenario(t, strings.Replace(tinyScenario, "seed: 1\n", "seed: 1\nbogus_key: 3\n", 1))
	t.Chdir(t.TempDir()) // where the default results/ would go
	out := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{{"run", bad, "--out", out}, {"run", bad}, {"validate", bad}} {
		code, stdout, stderr := clitest.Run(program, args...)
		if code != cli.ExitUsage {
			t.Errorf("sim %q: exit %d, want %d", args, code, cli.ExitUsage)
		}
		if !strings.Contains(stderr, bad+":4:") || !strings.Contains(stderr, "bogus_key") {
			t.Errorf("sim %q: stderr does not name %s:4 and the key:\n%s", args, bad, stderr)
		}
		if strings.Contains(stdout, "ok:") {
			t.Errorf("sim %q: stdout %q", args, stdout)
		}
	}
	for _, dir := range []string{out, "results"} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s exists after an invalid scenario (%v)", dir, err)
		}
	}
}

func TestValidate(t *testing.T) {
	good := writeScenario(t, tinyScenario)
	bad := writeScenario(t, strings.Replace(tinyScenario, "seed: 1\n", "seed: 1\nbogus_key: 3\n", 1))
	code, stdout, stderr := clitest.Run(program, "validate", good)
	want := "ok: " + good + " (4 servers, 2 algorithms, rate 2000 req/s)\n"
	if code != cli.ExitOK || stdout != want || stderr != "" {
		t.Errorf("validate: exit %d, stdout %q, stderr %q; want stdout %q", code, stdout, stderr, want)
	}
	code, stdout, stderr = clitest.Run(program, "validate", good, bad)
	if code != cli.ExitUsage || stdout != want || !strings.Contains(stderr, "bogus_key") {
		t.Errorf("validate good bad: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Someone else's servers without a fitted service: valid, for bench run.
	own := writeScenario(t, "name: own\nrequests: 10\narrivals: {rate: 50}\nalgorithms: [p2c]\n"+
		"servers: [{name: web, urls: [http://127.0.0.1:5001, http://127.0.0.1:5002]}]\n")
	code, stdout, stderr = clitest.Run(program, "validate", own)
	want = "ok: " + own + " (2 servers, 1 algorithms, rate 50 req/s; bench run only: a group of urls has no fitted service for the simulator)\n"
	if code != cli.ExitOK || stdout != want || stderr != "" {
		t.Errorf("validate own: exit %d, stdout %q, stderr %q; want stdout %q", code, stdout, stderr, want)
	}
}

func TestList(t *testing.T) {
	code, stdout, stderr := clitest.Run(program, "list")
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("list: exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{"algorithms:", "distributions:", "scenarios:", "p2c", "choices=2", "exponential", "baseline"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("list does not mention %q:\n%s", want, stdout)
		}
	}
}

// runOK runs sim run and fails the test unless it succeeds. It skips the
// test while the simulator is not written yet.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := clitest.Run(program, append([]string{"run"}, args...)...)
	if code != cli.ExitOK {
		if strings.Contains(stderr, "not implemented") {
			t.Skip("sim.Run is not implemented yet")
		}
		t.Fatalf("sim run %q: exit %d\nstderr: %s", args, code, stderr)
	}
	return stdout
}

func TestRun(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	tmp := t.TempDir()
	a, b, c := filepath.Join(tmp, "a"), filepath.Join(tmp, "b", "nested"), filepath.Join(tmp, "c")

	stdout := runOK(t, scenario, "--out", a)
	for _, want := range []string{"round-robin", "p2c", "p99.9", "results: " + a} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"summary.json", "summary.csv", "run.json"} {
		if _, err := os.Stat(filepath.Join(a, name)); err != nil {
			t.Error(err)
		}
	}
	runOK(t, "--out", b, scenario) // flags before the scenario
	runOK(t, scenario, "--seed", "7", "--out", c)

	read := func(dir string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if !bytes.Equal(read(a), read(b)) {
		t.Error("two runs with the same seed wrote different summary.json")
	}
	if bytes.Equal(read(a), read(c)) {
		t.Error("--seed 7 did not change summary.json")
	}
	if !bytes.Contains(read(c), []byte(`"seed": 7,`)) {
		t.Error("summary.json does not record --seed 7")
	}
	run, err := os.ReadFile(filepath.Join(c, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(run, []byte(`"--seed"`)) || !bytes.Contains(run, []byte(scenario)) {
		t.Errorf("run.json lacks the command line or scenario file:\n%s", run)
	}
}

func TestRunRequests(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	out := filepath.Join(t.TempDir(), "out")
	runOK(t, scenario, "--requests", "1000", "--out", out)
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"requests": 1000,`)) {
		t.Errorf("--requests 1000 not applied:\n%.600s", data)
	}
}

func TestRunDefaultDir(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	t.Chdir(t.TempDir())
	stdout := runOK(t, scenario)
	m := regexp.MustCompile(`results: (results/runs/tiny/\d{8}T\d{6}Z)\n`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no results/runs/tiny/<timestamp> in stdout:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(m[1], "summary.json")); err != nil {
		t.Error(err)
	}
	// A second run in the same second gets a directory of its own.
	stdout = runOK(t, scenario)
	if strings.Contains(stdout, "results: "+m[1]+"\n") {
		t.Errorf("second run reused %s", m[1])
	}
}

func TestRunCancelled(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	t.Chdir(t.TempDir())
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"run", scenario, "--out", out}, {"run", scenario}} {
		code, stdout, stderr := clitest.RunContext(ctx, program, args...)
		if code != cli.ExitInterrupted || !strings.Contains(stderr, "interrupted") || stdout != "" {
			t.Errorf("sim %q cancelled: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	for _, dir := range []string{out, "results"} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s exists after a cancelled run (%v)", dir, err)
		}
	}
}

// TestRunNoPlots: --no-plots writes every result file but the charts and
// report.html, which a run without it writes; the numbers are the same.
func TestRunNoPlots(t *testing.T) {
	scenario := writeScenario(t, tinyScenario)
	tmp := t.TempDir()
	with, without := filepath.Join(tmp, "with"), filepath.Join(tmp, "without")
	runOK(t, scenario, "--out", with)
	runOK(t, scenario, "--out", without, "--no-plots")
	charts := func(dir string) (n int) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); ext == ".png" || ext == ".svg" || e.Name() == "report.html" {
				n++
			}
		}
		return n
	}
	if n := charts(with); n == 0 {
		t.Errorf("a run without --no-plots drew nothing in %s", with)
	}
	if n := charts(without); n != 0 {
		t.Errorf("--no-plots: %d charts or report.html in %s", n, without)
	}
	for _, name := range []string{"summary.json", "summary.csv", "run.json", "summary.bench.txt"} {
		a, err := os.ReadFile(filepath.Join(with, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(without, name))
		if err != nil {
			t.Fatalf("--no-plots: %v", err)
		}
		if name != "run.json" && !bytes.Equal(a, b) {
			t.Errorf("--no-plots changed %s", name)
		}
	}
}
