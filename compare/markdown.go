package compare

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes r as GitHub-flavoured Markdown for a pull-request
// comment: the verdict on the first line, marked :x: when the comparison
// fails and :white_check_mark: when it passes, then what was compared,
// then one table row per algorithm and figure (base, new, the change in
// the figure's unit and relative to the base, the threshold, the U test's
// p-value where there was one, the verdict, regressions and missing
// algorithms marked :x: and in bold), then the warnings.
//
//	:x: **FAIL**: 1 regression: p2c (p99)
//
//	base: old/ (smoke, sim, seed 1) · new: new/ (smoke, sim, seed 1) · thresholds: p99=10%
//
//	| algorithm | figure | base | new | change | threshold | p | verdict |
//	|:--|:--|--:|--:|--:|--:|--:|:--|
//	| p2c | p99 ms | 5.10 | 9.80 | +4.70 (+92.2%) | 10% | - | :x: **REGRESSION** |
//
// Text from the summaries (labels, paths, scenario names) is escaped, so
// that a | or a * in a label cannot break the table.
func WriteMarkdown(w io.Writer, r *Result, opt TableOptions) error {
	bw := bufio.NewWriter(w)
	verdict := r.Verdict()
	if r.Failed() {
		fmt.Fprintf(bw, ":x: **FAIL**: %s\n\n", mdEscape(strings.TrimPrefix(verdict, "FAIL: ")))
	} else {
		fmt.Fprintf(bw, ":white_check_mark: **ok**: %s\n\n", mdEscape(strings.TrimPrefix(verdict, "ok: ")))
	}
	th := r.Options.Thresholds.String()
	if th == "" {
		th = "none (nothing can fail)"
	}
	fmt.Fprintf(bw, "base: %s · new: %s · thresholds: %s", mdEscape(describe(opt.BaseName, r.Base)), mdEscape(describe(opt.NewName, r.New)), mdEscape(th))
	if repetitions(r) {
		fmt.Fprintf(bw, " · significance: Mann-Whitney U over the repetitions, p < %g", r.Options.Alpha)
	}
	fmt.Fprint(bw, "\n\n| algorithm | figure | base | new | change | threshold | p | verdict |\n|:--|:--|--:|--:|--:|--:|--:|:--|\n")
	row := func(cells ...string) { fmt.Fprintf(bw, "| %s |\n", strings.Join(cells, " | ")) }
	noise := false
	for _, a := range r.Algorithms {
		label := mdEscape(a.Label)
		if a.OnlyIn != "" {
			verdict := ":x: **MISSING**"
			if r.Options.AllowMissing {
				verdict = "missing (allowed)"
			}
			row(label, "only in "+a.OnlyIn, "", "", "", "", "", verdict)
			continue
		}
		shown := 0
		for _, c := range a.Changes {
			if opt.OnlyChanged && c.Diff == 0 {
				continue
			}
			thr, p := "-", "-"
			if c.Threshold != nil {
				thr = mdEscape(c.Threshold.String())
			}
			if c.Tested {
				p = mdEscape(formatP(c.P))
			}
			v := c.Verdict()
			noise = noise || v == "noise"
			row(label, mdEscape(c.Figure.Title), mdEscape(c.Figure.format(c.Base)), mdEscape(c.Figure.format(c.New)),
				mdEscape(formatDiff(c)+" ("+formatRel(c.Rel)+")"), thr, p, mdVerdict(v))
			label = ""
			shown++
		}
		if opt.OnlyChanged && shown == 0 {
			row(label, "unchanged", "", "", "", "", "", "")
		}
	}
	if noise || len(r.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	if noise {
		fmt.Fprintf(bw, "- noise: worse beyond the threshold, but not significantly (p >= %g)\n", r.Options.Alpha)
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(bw, "- :warning: %s\n", mdEscape(msg))
	}
	return bw.Flush()
}

// mdVerdict marks a figure's verdict (Change.Verdict) for Markdown: a
// regression stands out in bold with :x:, noise with :warning:.
func mdVerdict(v string) string {
	switch v {
	case "REGRESSION":
		return ":x: **REGRESSION**"
	case "noise":
		return ":warning: noise"
	}
	return v
}

// mdEscaper escapes what GitHub's Markdown would read as markup or as a
// table's cell boundary; a line break would end the table row.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "~", `\~`, "\n", " ", "\r", " ",
)

func mdEscape(s string) string { return mdEscaper.Replace(s) }
