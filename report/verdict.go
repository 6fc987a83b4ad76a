package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Verdict is summary.json's verdict: which algorithm to run and why,
// decided from the figures by package verdict (its doc comment has the
// rules). Field names are a contract, as the rest of summary.json's.
type Verdict struct {
	// Recommend is the label of the algorithm to run: the one in the best
	// group for the error rate, then within it for p99, then mean latency,
	// then Jain's index; "" when no algorithm has figures.
	Recommend string `json:"recommend"`
	// Why is Recommend's one line of reasons, from the figures.
	Why string `json:"why"`
	// Test names how algorithms were told apart: "paired t-test over K
	// seeds", "Mann-Whitney U over N repetitions", or, without samples,
	// "none (one seed)" / "none (one repetition)" and the like.
	Test string `json:"test"`
	// Samples is the number of seeds or repetitions behind each figure (1
	// when there is no sample to test on).
	Samples int `json:"samples"`
	// Note says what the test could not do, and what to run to do better:
	// "one seed: differences under 5% are not tested; run --seeds 5".
	Note string `json:"note,omitempty"`
	// Objectives are p99 latency, mean latency, error rate and Jain's
	// index, in that order.
	Objectives []VerdictObjective `json:"objectives"`
	// Reasons hold one line per algorithm, in the summary's order: why it
	// is not the one to run (or, for Recommend, why it is).
	Reasons []VerdictReason `json:"reasons"`
}

// VerdictObjective is one objective: the algorithm best at it and those
// that cannot be told apart from it.
type VerdictObjective struct {
	// Figure is the figure's key, as in ci95: p99_ms, mean_ms,
	// error_rate, jain.
	Figure string `json:"figure"`
	// Best is the label of the algorithm with the best value ("" when no
	// algorithm has one); Value is that value (the mean over the seeds in
	// a run of several seeds).
	Best  string  `json:"best"`
	Value float64 `json:"value"`
	// Ties are the algorithms that cannot be told apart from Best, best
	// first, with their values and, where a test ran, its p-value.
	Ties []VerdictTie `json:"ties,omitempty"`
	// Rule says how a tie was decided for this figure: "p >= 0.05", or
	// without samples "within 5% of the best (not tested)", "within the
	// batch-means 95% interval of the difference".
	Rule string `json:"rule"`
	// Missing lists the algorithms without the figure (no completed
	// request, so no latency), which take no part in it.
	Missing []string `json:"missing,omitempty"`
}

// VerdictTie is an algorithm that cannot be told apart from an
// objective's best.
type VerdictTie struct {
	Label string   `json:"label"`
	Value float64  `json:"value"`
	P     *float64 `json:"p,omitempty"` // the test's two-sided p-value, when one ran
}

// VerdictReason is one algorithm's line: Rule names the rule that wrote
// it (package verdict: errors, hot-server, stale-load, slow-server,
// imbalance, queueing, slower, tied, recommended, only), Text is the line.
type VerdictReason struct {
	Label string `json:"label"`
	Rule  string `json:"rule"`
	Text  string `json:"text"`
}

// verdictNames are the objectives' names in the verdict's lines, by
// figure key.
var verdictNames = map[string]string{
	"p99_ms":     "p99 latency",
	"mean_ms":    "mean latency",
	"error_rate": "error rate",
	"jain":       "Jain's index",
}

// VerdictValue writes one of the verdict's figures (by key) for people:
// latencies to three digits in ms, the error rate in percent, Jain's index
// to three decimals.
func VerdictValue(key string, v float64) string {
	switch {
	case strings.HasSuffix(key, "_ms"):
		return Sig3(v) + " ms"
	case key == "error_rate":
		return Percent(v)
	case key == "jain":
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return Sig3(v)
}

// Percent writes a fraction as a percentage to three significant digits:
// 0.0123 is "1.23%"; 0 is "0%".
func Percent(f float64) string { return Sig3(100*f) + "%" }

// Line is the objective as the verdict shows it:
//
//	p99 latency: least-connections 54.3 ms; not told apart: p2c 55.0 ms (p = 0.21)
func (o VerdictObjective) Line() string {
	name := verdictNames[o.Figure]
	if name == "" {
		name = o.Figure
	}
	var b strings.Builder
	b.WriteString(name + ": ")
	if o.Best == "" {
		b.WriteString("no algorithm has it")
	} else {
		b.WriteString(o.Best + " " + VerdictValue(o.Figure, o.Value))
	}
	same := len(o.Ties) > 0
	for _, t := range o.Ties {
		same = same && t.Value == o.Value
	}
	if same {
		// Every tie has the best's own value: name them once.
		labels := make([]string, len(o.Ties))
		for i, t := range o.Ties {
			labels[i] = t.Label
		}
		b.WriteString(" for " + strings.Join(labels, ", ") + " too")
	} else if len(o.Ties) > 0 {
		parts := make([]string, len(o.Ties))
		for i, t := range o.Ties {
			parts[i] = t.Label + " " + VerdictValue(o.Figure, t.Value)
			if t.P != nil {
				parts[i] += " (p = " + Sig(*t.P, 2) + ")"
			}
		}
		b.WriteString("; not told apart: " + strings.Join(parts, ", "))
	}
	if len(o.Missing) > 0 {
		b.WriteString("; no figure for " + strings.Join(o.Missing, ", "))
	}
	return b.String()
}

// WriteVerdict writes v for a terminal, a few lines after the tables:
//
//	verdict: run least-connections: best p99 latency and mean latency (paired t-test over 5 seeds)
//	  p99 latency: least-connections 54.3 ms; not told apart: p2c 55.0 ms (p = 0.21)
//	  ...
//	  round-robin: p99 1.69x least-connections's; 45% of its requests queued against 21%
//	  one seed: differences under 5% are not tested; run --seeds 5
//
// A nil v writes nothing.
func WriteVerdict(w io.Writer, v *Verdict) error {
	if v == nil {
		return nil
	}
	var b strings.Builder
	if v.Recommend == "" {
		fmt.Fprintf(&b, "verdict: none: %s (%s)\n", v.Why, v.Test)
	} else {
		fmt.Fprintf(&b, "verdict: run %s: %s (%s)\n", v.Recommend, v.Why, v.Test)
	}
	for i := range v.Objectives {
		b.WriteString("  " + v.Objectives[i].Line() + "\n")
	}
	for _, r := range v.Reasons {
		if r.Rule == "recommended" || r.Rule == "only" {
			continue // the first line says it
		}
		b.WriteString("  " + r.Text + "\n")
	}
	if v.Note != "" {
		b.WriteString("  " + v.Note + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
