package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// runSim runs the command in-process and returns its exit status and output.
func runSim(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return simContext(t, context.Background(), args...)
}

func simContext(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runContext(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

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
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"run"},
		{"run", scenario, scenario},
		{"run", "--bogus", scenario},
		{"run", scenario, "--requests", "0"},
		{"run", scenario, "--requests", "many"},
		{"run", scenario, "--seed", "-1"},
		{"run", scenario, "--out"},
		{"run", scenario, "--out", scenario}, // a file, not a directory
		{"run", "no-such-scenario-file.yaml"},
		{"validate"},
		{"list", "extra"},
		{"help", "bogus"},
	} {
		code, stdout, stderr := runSim(t, args...)
		if code != exitUsage {
			t.Errorf("sim %q: exit %d, want %d\nstderr: %s", args, code, exitUsage, stderr)
		}
		if stderr == "" {
			t.Errorf("sim %q: nothing on stderr", args)
		}
		if stdout != "" {
			t.Errorf("sim %q: wrote to stdout: %s", args, stdout)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "run"}, {"run", "-h"}, {"validate", "--help"}} {
		code, stdout, stderr := runSim(t, args...)
		if code != exitOK || !strings.Contains(stdout, "Usage: sim") || stderr != "" {
			t.Errorf("sim %q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		out  string
	}{
		{[]string{"a.yaml"}, []string{"a.yaml"}, ""},
		{[]string{"a.yaml", "--out", "x"}, []string{"a.yaml"}, "x"},
		{[]string{"--out", "x", "a.yaml"}, []string{"a.yaml"}, "x"},
		{[]string{"a", "-out=x", "b", "c"}, []string{"a", "b", "c"}, "x"},
		{[]string{"a", "--", "--out", "x"}, []string{"a", "--out", "x"}, ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		out := fs.String("out", "", "")
		pos, err := parseInterleaved(fs, tc.args)
		if err != nil || !reflect.DeepEqual(pos, tc.pos) || *out != tc.out {
			t.Errorf("parseInterleaved(%q) = %q, out %q, %v; want %q, out %q", tc.args, pos, *out, err, tc.pos, tc.out)
		}
	}
}

// TestInvalidScenario checks that a scenario with an unknown key is refused
// with its file and line, exit 2, and that nothing is written.
func TestInvalidScenario(t *testing.T) {
	bad := writeScenario(t, strings.Replace(tinyScenario, "seed: 1\n", "seed: 1\nbogus_key: 3\n", 1))
	t.Chdir(t.TempDir()) // where the default results/ would go
	out := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{{"run", bad, "--out", out}, {"run", bad}, {"validate", bad}} {
		code, stdout, stderr := runSim(t, args...)
		if code != exitUsage {
			t.Errorf("sim %q: exit %d, want %d", args, code, exitUsage)
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
	code, stdout, stderr := runSim(t, "validate", good)
	want := "ok: " + good + " (4 servers, 2 algorithms, rate 2000 req/s)\n"
	if code != exitOK || stdout != want || stderr != "" {
		t.Errorf("validate: exit %d, stdout %q, stderr %q; want stdout %q", code, stdout, stderr, want)
	}
	code, stdout, stderr = runSim(t, "validate", good, bad)
	if code != exitUsage || stdout != want || !strings.Contains(stderr, "bogus_key") {
		t.Errorf("validate good bad: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestList(t *testing.T) {
	code, stdout, stderr := runSim(t, "list")
	if code != exitOK || stderr != "" {
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
	code, stdout, stderr := runSim(t, append([]string{"run"}, args...)...)
	if code != exitOK {
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
		code, stdout, stderr := simContext(t, ctx, args...)
		if code != exitInterrupted || !strings.Contains(stderr, "interrupted") || stdout != "" {
			t.Errorf("sim %q cancelled: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	for _, dir := range []string{out, "results"} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s exists after a cancelled run (%v)", dir, err)
		}
	}
}
