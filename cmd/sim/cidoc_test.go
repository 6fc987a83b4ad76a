package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository's root, from this package's directory.
const repoRoot = "../.."

// docBlock is a fenced block of docs/ci.md: its info string's words
// ("sh", "test") and its text.
type docBlock struct {
	info []string
	text string
}

// docBlocks reads a Markdown file's fenced (```) blocks, in order.
func docBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	var cur *docBlock
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &docBlock{info: strings.Fields(strings.TrimPrefix(line, "```"))}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s: the last block is not closed", path)
	}
	return blocks
}

// testBlocks are docs/ci.md's blocks marked "```sh test", in order; the
// test fails if there are none, or if one is marked for a shell other than
// sh.
func testBlocks(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, b := range docBlocks(t, filepath.Join(repoRoot, "docs", "ci.md")) {
		if len(b.info) >= 2 && b.info[1] == "test" {
			if b.info[0] != "sh" {
				t.Fatalf("docs/ci.md: a block marked test is %q, not sh", b.info[0])
			}
			out = append(out, b.text)
		}
	}
	if len(out) < 4 {
		t.Fatalf("docs/ci.md has %d blocks marked for testing; want the baseline check, the comparisons, your own scenario, the exit and benchstat's", len(out))
	}
	return out
}

// ciWorkdir makes a scratch directory as the CI job sees the repository:
// bin/sim built from this tree, scenarios/ the repository's, and results/
// given by results (the repository's own when empty). It returns the
// directory.
func ciWorkdir(t *testing.T, results string) string {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and bash is missing: %v", err)
		}
		t.Skipf("bash is missing (%v): docs/ci.md's commands are bash", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is missing, yet this is go test: %v", err)
	}
	dir := t.TempDir()
	build := exec.Command(goTool, "build", "-o", filepath.Join(dir, "bin")+string(filepath.Separator), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if results == "" {
		results = filepath.Join(repoRoot, "results")
	}
	for name, target := range map[string]string{"scenarios": filepath.Join(repoRoot, "scenarios"), "results": results} {
		if err := os.Symlink(abs(target), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runBash runs script under bash -eo pipefail, as GitHub Actions runs a
// step, in dir; it returns the exit status and the output.
func runBash(t *testing.T, dir, script string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return 0, out.String()
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("bash: %v", err)
	return -1, ""
}

// junitCounts parses a compare JUnit file and returns its tests and
// failures.
func junitCounts(t *testing.T, path string) (tests, failures int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc.Tests, doc.Failures
}

// TestCIDoc runs docs/ci.md's blocks marked for testing, in order, as one
// script (as a CI step would), against this tree's sim and the committed
// baselines: it must pass, and leave the comment, the JUnit files, the
// own-scenario baseline and the per-seed benchmark lines it promises. Then
// it runs the comparison blocks again against a baseline made better than
// the code (the first algorithm of smoke with half its p99): the job must
// fail, the comment and the JUnit file must say where.
func TestCIDoc(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sim and checks every shipped baseline: tens of seconds")
	}
	blocks := testBlocks(t)
	dir := ciWorkdir(t, "")
	code, out := runBash(t, dir, strings.Join(blocks, ""))
	if code != 0 {
		t.Fatalf("docs/ci.md's test blocks: exit %d\n%s", code, out)
	}
	comment, err := os.ReadFile(filepath.Join(dir, "out", "comment.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(comment), "\n:white_check_mark: **ok**: no regressions in "); n != 3 || strings.Contains(string(comment), ":x:") {
		t.Errorf("out/comment.md: %d passing tables, want 3 and no failure:\n%s", n, comment)
	}
	for _, s := range []string{"smoke", "baseline", "heterogeneous"} {
		if tests, failures := junitCounts(t, filepath.Join(dir, "out", "junit", "sim-"+s+".xml")); tests == 0 || failures != 0 {
			t.Errorf("sim-%s.xml: %d tests, %d failures", s, tests, failures)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "perf", "baselines", "my-scenario", "summary.json")); err != nil {
		t.Errorf("your own scenario's baseline: %v", err)
	}
	// The grep -c of the benchstat section: 6 seeds, 6 lines.
	if !regexp.MustCompile(`(?m)^6$`).MatchString(out) {
		t.Errorf("the per-seed lines of summary.bench.txt are not 6:\n%s", out)
	}

	// A regression: the baseline says smoke's first algorithm had half the
	// p99 it has.
	results := t.TempDir()
	var label string
	for _, s := range []string{"smoke", "baseline", "heterogeneous"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "results", "baselines", s, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if s == "smoke" {
			var sum map[string]any
			if err := json.Unmarshal(data, &sum); err != nil {
				t.Fatal(err)
			}
			a := sum["algorithms"].([]any)[0].(map[string]any)
			label = a["label"].(string)
			lat := a["latency_ms"].(map[string]any)
			lat["p99"] = lat["p99"].(float64) / 2
			if data, err = json.Marshal(sum); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(results, "baselines", s), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(results, "baselines", s, "summary.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var gate []string
	for _, b := range blocks {
		if strings.Contains(b, "for s in ") || strings.HasPrefix(b, "test \"$fail\" = 0") {
			gate = append(gate, b)
		}
	}
	if len(gate) != 2 {
		t.Fatalf("docs/ci.md: want the comparison loop and the exit among the test blocks, found %d of them", len(gate))
	}
	dir = ciWorkdir(t, results)
	code, out = runBash(t, dir, strings.Join(gate, ""))
	if code != 1 {
		t.Fatalf("a regression against the baseline: exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL: 1 regression: "+label+" (p99)") {
		t.Errorf("the log does not name %s's p99:\n%s", label, out)
	}
	comment, err = os.ReadFile(filepath.Join(dir, "out", "comment.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(comment), "\n:x: **FAIL**: 1 regression: "+mdLabel(label)+" (p99)\n") ||
		strings.Count(string(comment), ":x: **REGRESSION**") != 1 {
		t.Errorf("out/comment.md does not mark the regression:\n%s", comment)
	}
	if _, failures := junitCounts(t, filepath.Join(dir, "out", "junit", "sim-smoke.xml")); failures != 1 {
		t.Errorf("sim-smoke.xml: %d failures, want 1", failures)
	}
}

// mdLabel escapes a shipped scenario's label as the Markdown table does
// (their labels have no markup but -).
func mdLabel(label string) string { return strings.ReplaceAll(label, "_", `\_`) }

// TestCIWorkflowMatchesDoc checks that the example GitHub Actions workflow
// runs the commands docs/ci.md documents (and tests): every line of it
// that runs sim or bench is a line of docs/ci.md.
func TestCIWorkflowMatchesDoc(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(doc), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	wf, err := os.ReadFile(filepath.Join(repoRoot, "docs", "ci", "github-actions.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wf, []byte("\t")) {
		t.Error("github-actions.yml has a tab: YAML forbids them in indentation")
	}
	n := 0
	for i, l := range strings.Split(string(wf), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "bin/") || strings.HasPrefix(l, "go build ") || strings.Contains(l, "benchstat@") {
			n++
			if !lines[l] {
				t.Errorf("github-actions.yml:%d: %q is not a command of docs/ci.md", i+1, l)
			}
		}
	}
	if n < 10 {
		t.Errorf("github-actions.yml runs %d commands of docs/ci.md; want the build, the simulator's and the real engine's", n)
	}
}
