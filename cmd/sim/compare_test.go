package main

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/compare"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
)

// simulateTo simulates scenario text in-process, as sim run does, and
// writes its summary.json into a new directory, which it returns. (sim
// run itself also draws charts, which take seconds under the race
// detector.)
func simulateTo(t *testing.T, text string) string {
	t.Helper()
	sc, err := scenarios.Parse("tiny.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.Run(context.Background(), sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := report.WriteDir(out, s, nil); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompareIdentical runs the same scenario twice: the simulator is
// deterministic, so nothing moves, even with no tolerance at all.
func TestCompareIdentical(t *testing.T) {
	a, b := simulateTo(t, tinyScenario), simulateTo(t, tinyScenario)
	for _, args := range [][]string{
		{"compare", a, b},
		{"compare", filepath.Join(a, "summary.json"), b, "--threshold", "all=0"},
	} {
		code, stdout, stderr := clitest.Run(program, args...)
		if code != cli.ExitOK || stderr != "" || !strings.Contains(stdout, "ok: no regressions in 2 algorithms") {
			t.Errorf("sim %q: exit %d, stderr %q\n%s", args, code, stderr, stdout)
		}
		if strings.Contains(stdout, "REGRESSION") {
			t.Errorf("sim %q:\n%s", args, stdout)
		}
	}
}

// TestCompareSeededRegression makes a real regression: the same scenario,
// with the algorithm labelled p2c replaced by random routing, and then
// with every server slowed down 1.5 times; both are simulated and compared
// with the first run.
func TestCompareSeededRegression(t *testing.T) {
	base := simulateTo(t, tinyScenario)
	random := simulateTo(t, strings.Replace(tinyScenario, "{name: p2c, choices: 2}", "{name: random, label: p2c}", 1))
	slow := simulateTo(t, tinyScenario+"faults:\n  - {at: 0s, target: \"web-*\", kind: slowdown, factor: 1.5}\n")

	code, stdout, stderr := clitest.Run(program, "compare", base, random)
	if code != cli.ExitFailure || stderr != "" {
		t.Fatalf("p2c -> random: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"REGRESSION", "FAIL: ", "p2c (mean, p50, p90, p99"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("p2c -> random: output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "round-robin (") {
		t.Errorf("round-robin did not change, yet:\n%s", stdout)
	}
	// A generous threshold lets the same change pass.
	if code, stdout, _ := clitest.Run(program, "compare", base, random, "--threshold", "all=1000%"); code != cli.ExitOK {
		t.Errorf("--threshold all=1000%%: exit %d\n%s", code, stdout)
	}

	code, stdout, _ = clitest.Run(program, "compare", base, slow, "--threshold", "mean=10%")
	if code != cli.ExitFailure || !strings.Contains(stdout, "2 regressions: round-robin (mean), p2c (mean)") {
		t.Errorf("slowdown x1.5: exit %d\n%s", code, stdout)
	}
	// The other way round, every figure improved.
	if code, stdout, _ := clitest.Run(program, "compare", slow, base); code != cli.ExitOK || !strings.Contains(stdout, "better") {
		t.Errorf("slow -> base: exit %d\n%s", code, stdout)
	}
}

func TestCompareMissing(t *testing.T) {
	base := simulateTo(t, tinyScenario)
	fewer := simulateTo(t, strings.Replace(tinyScenario, ", {name: p2c, choices: 2}", "", 1))
	code, stdout, _ := clitest.Run(program, "compare", base, fewer)
	if code != cli.ExitFailure || !strings.Contains(stdout, "only in base") || !strings.Contains(stdout, "MISSING") {
		t.Errorf("an algorithm gone: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := clitest.Run(program, "compare", base, fewer, "--allow-missing"); code != cli.ExitOK {
		t.Errorf("--allow-missing: exit %d\n%s", code, stdout)
	}
}

func TestCompareUsageErrors(t *testing.T) {
	run := simulateTo(t, tinyScenario)
	notJSON := filepath.Join(t.TempDir(), "summary.json")
	if err := os.WriteFile(notJSON, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	clitest.UsageErrors(t, program, [][]string{
		{"compare"},
		{"compare", run},
		{"compare", run, run, run},
		{"compare", run, run, "--threshold", "p98=5%"},
		{"compare", run, run, "--threshold", ""},
		{"compare", run, run, "--alpha", "1.5"},
		{"compare", run, run, "--alpha", "x"},
		{"compare", run, run, "--format", "xml"},
		{"compare", run, run, "--format", ""},
		{"compare", run, run, "--format"},          // no value
		{"compare", run, t.TempDir()},              // no summary.json there
		{"compare", run, "no-such-dir"},            // nothing there
		{"compare", run, notJSON},                  // not a summary
		{"compare", "--bogus", run, run},           // unknown flag
		{"baseline", "--dir", t.TempDir(), "nope"}, // not a shipped scenario
	})
	clitest.Help(t, program, [][]string{{"help", "compare"}, {"compare", "-h"}, {"help", "baseline"}})
}

// TestCompareFormats compares a run with itself and with a regression in
// every format: the exit status is the format's no matter; the Markdown
// starts with the verdict and marks each regression; the JUnit XML parses
// and fails one test case per regression the table shows.
func TestCompareFormats(t *testing.T) {
	base := simulateTo(t, tinyScenario)
	random := simulateTo(t, strings.Replace(tinyScenario, "{name: p2c, choices: 2}", "{name: random, label: p2c}", 1))
	for _, tc := range []struct {
		name      string
		new       string
		code      int
		mdFirst   string
		regressed int
	}{
		{"same", base, cli.ExitOK, ":white_check_mark: **ok**: no regressions in 2 algorithms", 0},
		{"p2c to random", random, cli.ExitFailure, ":x: **FAIL**: ", -1},
	} {
		code, text, stderr := clitest.Run(program, "compare", base, tc.new)
		if code != tc.code || stderr != "" {
			t.Fatalf("%s: text: exit %d, stderr %q", tc.name, code, stderr)
		}
		if def, _, _ := clitest.Run(program, "compare", base, tc.new, "--format", "text"); def != code {
			t.Errorf("%s: --format text exit %d, default %d", tc.name, def, code)
		}
		regressions := strings.Count(text, "  REGRESSION\n")
		if (tc.regressed >= 0 && regressions != tc.regressed) || (tc.regressed < 0 && regressions == 0) {
			t.Errorf("%s: %d regressions in the table, want %d\n%s", tc.name, regressions, tc.regressed, text)
		}

		code, md, stderr := clitest.Run(program, "compare", base, tc.new, "--format", "markdown")
		if code != tc.code || stderr != "" || !strings.HasPrefix(md, tc.mdFirst) {
			t.Errorf("%s: markdown: exit %d, stderr %q\n%s", tc.name, code, stderr, md)
		}
		if n := strings.Count(md, ":x: **REGRESSION**"); n != regressions {
			t.Errorf("%s: markdown marks %d regressions, the table %d\n%s", tc.name, n, regressions, md)
		}

		code, junit, stderr := clitest.Run(program, "compare", base, tc.new, "--format", "junit")
		if code != tc.code || stderr != "" {
			t.Errorf("%s: junit: exit %d, stderr %q", tc.name, code, stderr)
		}
		var doc struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Failure *struct{} `xml:"failure"`
			} `xml:"testsuite>testcase"`
		}
		if err := xml.Unmarshal([]byte(junit), &doc); err != nil {
			t.Fatalf("%s: junit does not parse: %v\n%s", tc.name, err, junit)
		}
		failed := 0
		for _, c := range doc.Cases {
			if c.Failure != nil {
				failed++
			}
		}
		if doc.Tests != len(doc.Cases) || doc.Tests != 2*len(compare.Figures()) || doc.Failures != failed || failed != regressions {
			t.Errorf("%s: junit tests %d (%d cases), failures %d (%d failure elements); the table has %d regressions",
				tc.name, doc.Tests, len(doc.Cases), doc.Failures, failed, regressions)
		}
	}
}
