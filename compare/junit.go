package compare

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The JUnit XML schema as CI systems read it (Jenkins, GitLab, GitHub
// Actions' report actions, Azure Pipelines): testsuites holding a
// testsuite holding testcases, each passed, failed (a failure element) or
// skipped. Only the elements and attributes every reader knows are used.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
		SystemOut  *junitText      `xml:"system-out"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		ClassName string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Failure   *junitFailure `xml:"failure"`
		Skipped   *junitSkipped `xml:"skipped"`
		SystemOut *junitText    `xml:"system-out"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
	// junitText is an element's text as CDATA, so that its lines stay
	// lines (as character data, encoding/xml writes a newline as &#xA;).
	junitText struct {
		Text string `xml:",cdata"`
	}
)

// WriteJUnit writes r as JUnit XML: one testsuite for the comparison (named
// for the command, the scenario and the engine, with both sides, the
// thresholds and alpha as properties), one testcase per algorithm and
// figure (classname the scenario and the label, name the figure), a
// failure element (type "regression") on each regression carrying the
// base and new figures, the change, the threshold and the p-value, and
// one testcase per algorithm found on one side only, failed (type
// "missing") unless --allow-missing, then skipped. Figures that are not
// regressions pass; their verdict (ok, better, noise, or none without a
// threshold) is in the testcase's system-out. The warnings and the
// verdict line are the suite's system-out. The tests, failures and
// skipped counts are those of the testcases.
//
// A CI system thus shows each regression as a failed test named for what
// moved: "baseline.p2c / p99".
func WriteJUnit(w io.Writer, r *Result, opt TableOptions) error {
	scenario := r.New.Scenario
	if r.Base.Scenario != r.New.Scenario {
		scenario = r.Base.Scenario + " vs " + r.New.Scenario
	}
	engine := r.New.Engine
	if r.Base.Engine != r.New.Engine {
		engine = r.Base.Engine + " vs " + r.New.Engine
	}
	th := r.Options.Thresholds.String()
	if th == "" {
		th = "none"
	}
	suite := junitSuite{
		Name: fmt.Sprintf("fulcrum compare: %s (%s)", scenario, engine),
		Properties: []junitProperty{
			{"base", describe(opt.BaseName, r.Base)},
			{"new", describe(opt.NewName, r.New)},
			{"thresholds", th},
			{"alpha", fmt.Sprint(r.Options.Alpha)},
		},
	}
	for _, a := range r.Algorithms {
		class := junitClass(scenario, a.Label)
		if a.OnlyIn != "" {
			c := junitCase{ClassName: class, Name: "present in both runs"}
			msg := fmt.Sprintf("%s is only in %s", a.Label, a.OnlyIn)
			if r.Options.AllowMissing {
				c.Skipped = &junitSkipped{Message: msg + " (allowed by --allow-missing)"}
			} else {
				c.Failure = &junitFailure{Type: "missing", Message: msg,
					Text: msg + ": the other run has no algorithm of that label (--allow-missing makes this a note)"}
			}
			suite.add(c)
			continue
		}
		for _, ch := range a.Changes {
			c := junitCase{ClassName: class, Name: ch.Figure.Title}
			figures := junitFigures(ch)
			if ch.Regression {
				c.Failure = &junitFailure{Type: "regression",
					Message: fmt.Sprintf("%s %s got worse: %s", a.Label, ch.Figure.Title, figures),
					Text:    figures}
			} else {
				v := ch.Verdict()
				if v == "" {
					v = "no threshold: shown only"
				}
				c.SystemOut = &junitText{v + ": " + figures}
			}
			suite.add(c)
		}
	}
	var out strings.Builder
	if repetitions(r) {
		fmt.Fprintf(&out, "significance: Mann-Whitney U over the repetitions, p < %g\n", r.Options.Alpha)
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(&out, "warning: %s\n", msg)
	}
	out.WriteString(r.Verdict() + "\n")
	suite.SystemOut = &junitText{out.String()}

	doc := junitSuites{Name: "fulcrum compare", Tests: suite.Tests, Failures: suite.Failures,
		Skipped: suite.Skipped, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// add appends c and counts it.
func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Skipped != nil:
		s.Skipped++
	}
}

// junitClass names a testcase's class: the scenario and the label, joined
// by a dot, as readers group classes by their dotted prefix.
func junitClass(scenario, label string) string { return scenario + "." + label }

// junitFigures states a change with its evidence: "base 20.0, new 22.4,
// +2.40 (+12.0%), threshold 10%, p 0.008".
func junitFigures(c Change) string {
	s := fmt.Sprintf("base %s, new %s, %s (%s)", c.Figure.format(c.Base), c.Figure.format(c.New), formatDiff(c), formatRel(c.Rel))
	if c.Threshold != nil {
		s += ", threshold " + c.Threshold.String()
	}
	if c.Tested {
		s += ", p " + formatP(c.P)
	}
	return s
}
