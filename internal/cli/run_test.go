package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

const tinyScenario = `name: tiny
seed: 1
requests: 3000
arrivals: {process: poisson, rate: 2000}
servers:
  - {name: web, count: 4, service: {dist: exponential, mean: 1ms}}
algorithms: [round-robin, random]
`

// runFlags parses args as "x run" would and loads the scenario; it returns
// the scenario, nil on a problem, and what was written to stderr.
func runFlags(args ...string) (*scenarios.Scenario, string) {
	var stdout, stderr bytes.Buffer
	rf := NewRunFlags(NewFlagSet("x run", &stderr))
	if code, ok := rf.Parse("Usage: x run\n", args, &stdout, &stderr); !ok {
		if code != ExitUsage {
			return nil, "unexpected exit status"
		}
		return nil, stderr.String()
	}
	return rf.Load(&stderr), stderr.String()
}

func TestRunFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(file, []byte(tinyScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, msg := runFlags(file)
	if sc == nil || sc.Seed != 1 || sc.Requests != 3000 {
		t.Fatalf("no flags: %+v, %s", sc, msg)
	}
	sc, msg = runFlags("--seed", "7", file, "--requests", "10")
	if sc == nil || sc.Seed != 7 || sc.Requests != 10 {
		t.Fatalf("--seed 7 --requests 10: %+v, %s", sc, msg)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{}, "x run: want one SCENARIO, got 0 arguments"},
		{[]string{file, "--requests", "0"}, "x run: --requests 0: want a count above 0"},
		{[]string{file, "--out", file}, "x run: --out " + file + ": exists and is not a directory"},
		{[]string{"no-such.yaml"}, "x run: "},
	} {
		if sc, msg := runFlags(tc.args...); sc != nil || !strings.HasPrefix(msg, tc.msg) {
			t.Errorf("%q: scenario %v, message %q; want one starting %q", tc.args, sc != nil, msg, tc.msg)
		}
	}
}

func TestRunFlagsSave(t *testing.T) {
	start := time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)
	out := filepath.Join(t.TempDir(), "out")
	rf := &RunFlags{out: out}
	var stdout bytes.Buffer
	failed := errors.New("disk full")
	if err := rf.Save(context.Background(), &stdout, "tiny", start, "", func(string) error { return failed }); err != failed {
		t.Errorf("Save returned %v, want write's error", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) || stdout.Len() != 0 {
		t.Errorf("a failed Save left %s (%v) or printed %q", out, err, stdout.String())
	}
	// write fills a staging directory, which Save moves into place whole.
	write := func(dir string) error {
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s exists before the results are whole (%v)", out, err)
		}
		return os.WriteFile(filepath.Join(dir, "summary.txt"), []byte("ok"), 0o644)
	}
	if err := rf.Save(context.Background(), &stdout, "tiny", start, "", write); err != nil {
		t.Errorf("Save: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(out, "summary.txt")); err != nil || string(data) != "ok" {
		t.Errorf("after Save, %s/summary.txt: %q, %v", out, data, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("Save left %d entries beside %s, want only it", len(entries), out)
	}
	if want := "\nresults: " + out + "\n"; stdout.String() != want {
		t.Errorf("Save printed %q, want %q", stdout.String(), want)
	}
}
