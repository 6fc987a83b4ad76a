package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
)

// The baseline tests use the quickest shipped scenarios; .ci/run checks
// them all against results/baselines.
var quick = []string{"crash", "real-smoke"}

func TestBaselineUpdateThenCheck(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := clitest.Run(program, append([]string{"baseline", "--update", "--dir", dir}, quick...)...)
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("baseline --update: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	for _, name := range quick {
		data, err := os.ReadFile(filepath.Join(dir, name, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(`"timeline"`)) {
			t.Errorf("%s's baseline keeps its timeline", name)
		}
		if !strings.Contains(stdout, "wrote "+filepath.Join(dir, name, "summary.json")) {
			t.Errorf("stdout does not say %s was written:\n%s", name, stdout)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "crash"))
	if len(entries) != 1 {
		t.Errorf("%s/crash holds %d files, want summary.json alone", dir, len(entries))
	}

	code, stdout, _ = clitest.Run(program, append([]string{"baseline", "--dir", dir}, quick...)...)
	if code != cli.ExitOK || !strings.Contains(stdout, "ok real-smoke: seed 1, 4 algorithms, 3000 requests each") || !strings.Contains(stdout, "ok crash") {
		t.Errorf("baseline: exit %d\n%s", code, stdout)
	}
	// Updating again changes nothing.
	code, stdout, _ = clitest.Run(program, "baseline", "--update", "--dir", dir, "crash")
	if code != cli.ExitOK || !strings.Contains(stdout, "unchanged") {
		t.Errorf("second --update: exit %d\n%s", code, stdout)
	}
}

// TestBaselineDetectsChange checks both ways a baseline can stop matching:
// a figure differs (here edited in the file), or the run itself changes
// (here the recorded seed, which the check re-runs with).
func TestBaselineDetectsChange(t *testing.T) {
	dir := t.TempDir()
	if code, stdout, _ := clitest.Run(program, "baseline", "--update", "--dir", dir, "crash"); code != cli.ExitOK {
		t.Fatalf("--update: exit %d\n%s", code, stdout)
	}
	path := filepath.Join(dir, "crash", "summary.json")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	p99 := regexp.MustCompile(`"p99": [0-9.e+-]+,`)
	edited := p99.ReplaceAll(orig, []byte(`"p99": 1,`)) // every algorithm's, and every server's none
	if bytes.Equal(edited, orig) {
		t.Fatal("no p99 in the baseline")
	}
	write(t, path, edited)
	code, stdout, _ := clitest.Run(program, "baseline", "--dir", dir, "crash")
	if code != cli.ExitFailure {
		t.Errorf("an edited p99: exit %d\n%s", code, stdout)
	}
	for _, want := range []string{"CHANGED crash", "p99 ms", "algorithms[0].latency_ms.p99: 1 -> ", "baseline --update crash"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "mean ms") {
		t.Errorf("the table shows figures that did not move:\n%s", stdout)
	}

	write(t, path, bytes.Replace(orig, []byte(`"seed": 1,`), []byte(`"seed": 2,`), 1))
	code, stdout, _ = clitest.Run(program, "baseline", "--dir", dir, "crash")
	if code != cli.ExitFailure || !strings.Contains(stdout, "mean ms") || !strings.Contains(stdout, "what moved") {
		t.Errorf("another seed's figures: exit %d\n%s", code, stdout)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBaselineMissing(t *testing.T) {
	dir := t.TempDir()
	code, stdout, _ := clitest.Run(program, "baseline", "--dir", dir, "crash")
	if code != cli.ExitFailure || !strings.Contains(stdout, "MISSING crash") || !strings.Contains(stdout, "baseline --update crash") {
		t.Errorf("no baseline: exit %d\n%s", code, stdout)
	}
}

func TestStaleBaselines(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"smoke", "gone"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got := staleBaselines(dir, []string{"smoke", "crash"}); !slices.Equal(got, []string{"gone"}) {
		t.Errorf("staleBaselines = %q, want [gone]", got)
	}
}

func TestJSONDiff(t *testing.T) {
	a := map[string]any{"x": 1.0, "list": []any{map[string]any{"v": "a"}, 2.0}, "gone": true}
	b := map[string]any{"x": 1.5, "list": []any{map[string]any{"v": "b"}, 2.0}, "new": nil}
	got := jsonDiff(nil, "", a, b, 10)
	want := []string{"gone: removed", `list[0].v: "a" -> "b"`, "new: added", "x: 1 -> 1.5"}
	if !slices.Equal(got, want) {
		t.Errorf("jsonDiff = %q, want %q", got, want)
	}
	if got := jsonDiff(nil, "", a, b, 2); len(got) != 2 {
		t.Errorf("limit 2: %q", got)
	}
	if got := jsonDiff(nil, "l", []any{1.0}, []any{1.0, 2.0}, 10); !slices.Equal(got, []string{"l: 1 items -> 2"}) {
		t.Errorf("lengths: %q", got)
	}
}
