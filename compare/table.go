package compare

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fulcrum-lb/fulcrum/report"
)

// TableOptions tune WriteTable.
type TableOptions struct {
	// BaseName and NewName say where the summaries came from (their
	// paths); empty leaves them out of the header.
	BaseName, NewName string
	// OnlyChanged leaves out the figures that did not move.
	OnlyChanged bool
}

// WriteTable writes r as an aligned table: a header naming both sides and
// the thresholds, one row per algorithm and figure with the base and new
// figures, their difference (percentage points for the error rate), the
// relative change, the threshold, the U test's p-value where there was one
// and the verdict (see Change.Verdict), then the warnings and the
// verdict line.
//
//	base: old/summary.json (smoke, sim, seed 1)
//	new:  new/summary.json (smoke, sim, seed 1)
//	thresholds: mean=5%,p99=10%,errors=0.001
//	label   figure       base    new     diff   change  threshold  p  verdict
//	p2c     mean ms      1.31   2.05   +0.740   +56.5%         5%  -  REGRESSION
//	        p99 ms       5.10   9.80    +4.70   +92.2%        10%  -  REGRESSION
//	ok: no regressions in 1 algorithm
func WriteTable(w io.Writer, r *Result, opt TableOptions) error {
	fmt.Fprintf(w, "base: %s\n", describe(opt.BaseName, r.Base))
	fmt.Fprintf(w, "new:  %s\n", describe(opt.NewName, r.New))
	th := r.Options.Thresholds.String()
	if th == "" {
		th = "none (nothing can fail)"
	}
	fmt.Fprintf(w, "thresholds: %s\n", th)
	if repetitions(r) {
		fmt.Fprintf(w, "significance: Mann-Whitney U over the repetitions, p < %g\n", r.Options.Alpha)
	}

	width := len("label")
	for _, a := range r.Algorithms {
		width = max(width, len(a.Label))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...string) {
		// Left-align the label and figure columns by padding them
		// ourselves: tabwriter aligns all columns one way.
		cells[0] = fmt.Sprintf("%-*s", width, cells[0])
		cells[1] = fmt.Sprintf("%-*s", len("only in base"), cells[1])
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	row("label", "figure", "base", "new", "diff", "change", "threshold", "p", "verdict")
	noise := false
	for _, a := range r.Algorithms {
		label := a.Label
		if a.OnlyIn != "" {
			verdict := "MISSING"
			if r.Options.AllowMissing {
				verdict = "missing"
			}
			row(label, "only in "+a.OnlyIn, "", "", "", "", "", "", verdict)
			continue
		}
		shown := 0
		for _, c := range a.Changes {
			if opt.OnlyChanged && c.Diff == 0 {
				continue
			}
			thr, p := "-", "-"
			if c.Threshold != nil {
				thr = c.Threshold.String()
			}
			if c.Tested {
				p = formatP(c.P)
			}
			v := c.Verdict()
			noise = noise || v == "noise"
			row(label, c.Figure.Title, c.Figure.format(c.Base), c.Figure.format(c.New),
				formatDiff(c), formatRel(c.Rel), thr, p, v)
			label = ""
			shown++
		}
		if opt.OnlyChanged && shown == 0 {
			row(label, "unchanged", "", "", "", "", "", "", "")
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if noise {
		fmt.Fprintf(w, "noise: worse beyond the threshold, but not significantly (p >= %g)\n", r.Options.Alpha)
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", msg)
	}
	_, err := fmt.Fprintln(w, r.Verdict())
	return err
}

func describe(name string, s *report.Summary) string {
	d := fmt.Sprintf("%s, %s, seed %d", s.Scenario, s.Engine, s.Seed)
	if name == "" {
		return d
	}
	return name + " (" + d + ")"
}

func repetitions(r *Result) bool {
	for _, a := range r.Algorithms {
		for _, c := range a.Changes {
			if c.Tested {
				return true
			}
		}
	}
	return false
}

// formatDiff writes New - Base, signed, in the figure's unit; the error
// rate's in percentage points.
func formatDiff(c Change) string {
	var s string
	if c.Figure.Name == "errors" {
		s = report.Sig3(100*c.Diff) + "pp"
	} else {
		s = c.Figure.format(c.Diff)
	}
	if c.Diff >= 0 {
		s = "+" + s
	}
	return s
}

// formatRel writes a relative change as a signed percentage: +5.9%, -0.3%,
// +inf%.
func formatRel(x float64) string {
	if math.IsInf(x, 0) {
		if x > 0 {
			return "+inf%"
		}
		return "-inf%"
	}
	s := strconv.FormatFloat(100*x, 'f', 1, 64)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s + "%"
}

func formatP(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}
