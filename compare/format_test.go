package compare

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
		err  string
	}{
		{"text", FormatText, ""},
		{"markdown", FormatMarkdown, ""},
		{"junit", FormatJUnit, ""},
		{"", "", `"" is not a format: want text, markdown, junit`},
		{"md", "", `"md" is not a format`},
		{"JUnit", "", `"JUnit" is not a format`},
		{"xml", "", `"xml" is not a format`},
	} {
		got, err := ParseFormat(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseFormat(%q) = %q, %v; want an error containing %q", tc.in, got, err, tc.err)
		}
	}
}

// TestWriteTextUnchanged checks that Write in the text format is the table
// itself, byte for byte: --format text is what compare printed before
// there were formats.
func TestWriteTextUnchanged(t *testing.T) {
	r := goldenResult()
	opt := TableOptions{BaseName: "old/summary.json", NewName: "new/"}
	var a, b bytes.Buffer
	if err := WriteTable(&a, r, opt); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, FormatText, r, opt); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("--format text differs from the table:\n%s\n---\n%s", b.Bytes(), a.Bytes())
	}
	golden(t, "table.txt", b.Bytes())
}

// okResult is a passing comparison of two simulator runs: p2c got faster
// beyond its threshold, round-robin did not move.
func okResult() *Result {
	base := summary("sim", alg("round-robin", 12), alg("p2c", 10))
	new := summary("sim", alg("round-robin", 12), alg("p2c", 8))
	return Compare(base, new, Options{Thresholds: mustThresholds(SimThresholds)})
}

func TestWriteMarkdownGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, goldenResult(), TableOptions{BaseName: "old/summary.json", NewName: "new/"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.md", buf.Bytes())

	buf.Reset()
	if err := WriteMarkdown(&buf, okResult(), TableOptions{BaseName: "results/baselines/s", NewName: "run/", OnlyChanged: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-ok.md", buf.Bytes())
}

// TestWriteMarkdownStructure checks the table's shape on every kind of
// comparison: the verdict first, marked; a header and delimiter row of 8
// cells; one row per figure (or per missing algorithm), each of 8 cells
// however the labels are spelt; a marked row per regression.
func TestWriteMarkdownStructure(t *testing.T) {
	odd := summary("sim", alg("a|b", 10), alg("*c_d*", 10), alg("x`<y>", 10))
	oddNew := summary("sim", alg("a|b", 20), alg("*c_d*", 10), alg("x`<y>", 10))
	for _, tc := range []struct {
		name  string
		r     *Result
		rows  int // table rows after the delimiter
		regs  int
		first string
	}{
		{"golden", goldenResult(), 2*len(figures) + 1, 3, ":x: **FAIL**: 3 regressions: p2c (mean, p99, errors); 1 algorithm missing: gone (only in base)"},
		{"ok", okResult(), 2 * len(figures), 0, ":white_check_mark: **ok**: no regressions in 2 algorithms"},
		{"labels that are markup", Compare(odd, oddNew, Options{Thresholds: mustThresholds("mean=5%")}), 3 * len(figures), 1,
			`:x: **FAIL**: 1 regression: a\|b (mean)`},
		{"missing allowed", Compare(summary("sim", alg("a", 1), alg("b", 1)), summary("sim", alg("a", 1)),
			Options{Thresholds: mustThresholds("all=0"), AllowMissing: true}), len(figures) + 1, 0,
			":white_check_mark: **ok**: no regressions in 1 algorithm; 1 algorithm missing, allowed: b (only in base)"},
	} {
		var buf bytes.Buffer
		if err := WriteMarkdown(&buf, tc.r, TableOptions{}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(buf.String(), "\n")
		if lines[0] != tc.first {
			t.Errorf("%s: first line %q, want %q", tc.name, lines[0], tc.first)
		}
		var rows, regs int
		inTable := false
		for _, l := range lines {
			if !strings.HasPrefix(l, "|") {
				if inTable {
					break
				}
				continue
			}
			inTable = true
			// Cells are separated by unescaped bars.
			cells := len(strings.Split(strings.ReplaceAll(l, `\|`, ""), "|")) - 2
			if cells != 8 {
				t.Errorf("%s: %d cells in %q", tc.name, cells, l)
			}
			if strings.HasPrefix(l, "| algorithm ") || strings.HasPrefix(l, "|:--") {
				continue
			}
			rows++
			if strings.Contains(l, ":x: **REGRESSION**") {
				regs++
			}
		}
		if rows != tc.rows || regs != tc.regs {
			t.Errorf("%s: %d rows, %d regressions; want %d, %d\n%s", tc.name, rows, regs, tc.rows, tc.regs, buf.String())
		}
		if strings.Contains(buf.String(), "<y>") || strings.Contains(buf.String(), "*c_d*") {
			t.Errorf("%s: a label is not escaped:\n%s", tc.name, buf.String())
		}
	}
}

func TestWriteJUnitGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, goldenResult(), TableOptions{BaseName: "old/summary.json", NewName: "new/"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.xml", buf.Bytes())
}

// junitDoc is the JUnit XML as a reader sees it, parsed independently of
// the writer's types.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
		SystemOut string `xml:"system-out"`
	} `xml:"testsuite"`
}

// TestWriteJUnitParses reads the XML back for every kind of comparison
// and checks that the counts are the testcases' and the regressions', and
// that every algorithm x figure has its testcase.
func TestWriteJUnitParses(t *testing.T) {
	odd := summary("sim", alg(`a"&<b>`, 10), alg("c", 10))
	oddNew := summary("sim", alg(`a"&<b>`, 20), alg("c", 10))
	for _, tc := range []struct {
		name                    string
		r                       *Result
		tests, failures, skip   int
		failed                  []string // classname/name of the failed cases, in order
		regressionType, missing int
	}{
		{"golden", goldenResult(), 2*len(figures) + 1, 4, 0,
			[]string{"s.p2c/mean ms", "s.p2c/p99 ms", "s.p2c/error rate", "s.gone/present in both runs"}, 3, 1},
		{"ok", okResult(), 2 * len(figures), 0, 0, nil, 0, 0},
		{"markup in a label", Compare(odd, oddNew, Options{Thresholds: mustThresholds("mean=5%,p99=5%")}), 2 * len(figures), 2, 0,
			[]string{`s.a"&<b>/mean ms`, `s.a"&<b>/p99 ms`}, 2, 0},
		{"missing allowed", Compare(summary("sim", alg("a", 1)), summary("sim", alg("a", 1), alg("b", 1)),
			Options{Thresholds: mustThresholds("all=0"), AllowMissing: true}), len(figures) + 1, 0, 1, nil, 0, 0},
	} {
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, tc.r, TableOptions{BaseName: "base", NewName: "new"}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), xml.Header) {
			t.Errorf("%s: no XML declaration", tc.name)
		}
		var doc junitDoc
		if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("%s: the XML does not parse: %v\n%s", tc.name, err, buf.Bytes())
		}
		if len(doc.Suites) != 1 {
			t.Fatalf("%s: %d suites", tc.name, len(doc.Suites))
		}
		s := doc.Suites[0]
		var failed []string
		var regressions, missing, skipped int
		for _, c := range s.Cases {
			if c.Failure != nil {
				failed = append(failed, c.ClassName+"/"+c.Name)
				switch c.Failure.Type {
				case "regression":
					regressions++
					if !strings.Contains(c.Failure.Text, "base ") || !strings.Contains(c.Failure.Text, "threshold ") {
						t.Errorf("%s: failure %q lacks its figures", tc.name, c.Failure.Text)
					}
				case "missing":
					missing++
				}
			}
			if c.Skipped != nil {
				skipped++
			}
		}
		if doc.Tests != tc.tests || s.Tests != len(s.Cases) || len(s.Cases) != tc.tests {
			t.Errorf("%s: tests %d, suite %d, %d testcases; want %d", tc.name, doc.Tests, s.Tests, len(s.Cases), tc.tests)
		}
		if doc.Failures != tc.failures || s.Failures != len(failed) || len(failed) != tc.failures || doc.Errors != 0 {
			t.Errorf("%s: failures %d, suite %d, %d failure elements, errors %d; want %d", tc.name, doc.Failures, s.Failures, len(failed), doc.Errors, tc.failures)
		}
		if doc.Skipped != tc.skip || s.Skipped != skipped || skipped != tc.skip {
			t.Errorf("%s: skipped %d, suite %d, %d skipped elements; want %d", tc.name, doc.Skipped, s.Skipped, skipped, tc.skip)
		}
		if fmt.Sprint(failed) != fmt.Sprint(tc.failed) || regressions != tc.regressionType || missing != tc.missing {
			t.Errorf("%s: failed %q (%d regressions, %d missing); want %q (%d, %d)", tc.name, failed, regressions, missing, tc.failed, tc.regressionType, tc.missing)
		}
		if regressions != len(tc.r.Regressions()) {
			t.Errorf("%s: %d regression failures, the comparison has %d", tc.name, regressions, len(tc.r.Regressions()))
		}
		// One testcase per algorithm on both sides and figure, in order.
		i := 0
		for _, a := range tc.r.Algorithms {
			if a.OnlyIn != "" {
				i++
				continue
			}
			for _, f := range figures {
				if c := s.Cases[i]; c.ClassName != "s."+a.Label || c.Name != f.Title {
					t.Errorf("%s: testcase %d is %s/%s, want s.%s/%s", tc.name, i, c.ClassName, c.Name, a.Label, f.Title)
				}
				i++
			}
		}
		if !strings.HasSuffix(s.SystemOut, tc.r.Verdict()+"\n") {
			t.Errorf("%s: system-out %q does not end with the verdict", tc.name, s.SystemOut)
		}
	}
}
