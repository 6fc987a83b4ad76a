// Package compare finds regressions between two runs of the same scenario:
// a base (the committed baseline, the main branch's run) and a new one. It
// matches algorithms by label, computes the change of each figure (latency
// mean and quantiles, throughput, error rate, Jain's index), and calls a
// change a regression when it goes the worse way by more than the figure's
// threshold (`--threshold p99=5%,errors=0`).
//
// The simulator is deterministic: its figures are compared as they are.
// A real run is noisy: when both sides kept per-repetition figures (bench
// run --repeat N), a change is a regression only if the repetitions also
// differ significantly by the Mann-Whitney U test (p < alpha, 0.05 unless
// told), as benchstat judges benchmarks. With too few repetitions for the
// test to reach alpha (fewer than 3 a side, or 3 and 3, whose smallest
// p-value is 0.1), the threshold alone decides, with a warning.
//
// `sim compare` and `bench compare` print the table (WriteTable), or,
// with --format, GitHub-flavoured Markdown for a pull-request comment
// (WriteMarkdown) or JUnit XML for a CI system's test report (WriteJUnit),
// and exit 1 on a regression; `sim baseline` checks the committed
// baselines with it.
package compare

import (
	"fmt"
	"math"
	"strings"

	"github.com/fulcrum-lb/fulcrum/report"
)

// DefaultAlpha is the significance level of the U test.
const DefaultAlpha = 0.05

// minRepetitions is the fewest repetitions a side for the U test.
const minRepetitions = 3

// Options tune a comparison.
type Options struct {
	// Thresholds say how far each figure may get worse; a figure without
	// one is reported but never a regression.
	Thresholds Thresholds
	// Alpha is the significance level for real runs with repetitions;
	// 0 means DefaultAlpha.
	Alpha float64
	// AllowMissing makes an algorithm found on one side only a note
	// instead of a failure.
	AllowMissing bool
}

// Result is a comparison of two summaries.
type Result struct {
	Base, New  *report.Summary
	Options    Options // as used: Alpha is set
	Algorithms []AlgorithmResult
	// Warnings say what makes the comparison less than it seems: different
	// scenarios or engines, repetitions too few for the U test.
	Warnings []string
}

// AlgorithmResult is one label's comparison.
type AlgorithmResult struct {
	Label string
	// OnlyIn is "base" or "new" for a label found on that side only
	// (Changes is then empty), "" for one on both.
	OnlyIn string
	// BaseRepetitions and NewRepetitions count each side's per-repetition
	// figures (0 for the simulator, or a real run of one repetition).
	BaseRepetitions, NewRepetitions int
	Changes                         []Change
}

// Change is one figure's move from base to new.
type Change struct {
	Figure    Figure
	Base, New float64
	Diff      float64 // New - Base
	// Rel is Diff / |Base|; with Base 0, it is 0 if New is 0 too, else
	// +Inf or -Inf.
	Rel   float64
	Worse bool // moved the way that is worse for this figure
	// Threshold is the figure's, nil if it has none.
	Threshold *Threshold
	Exceeded  bool // moved the worse way beyond Threshold
	// Tested tells whether the repetitions were compared by the U test, of
	// base's against new's; U and P are its statistic and two-sided
	// p-value.
	Tested     bool
	U, P       float64
	Regression bool
}

// Verdict is the table's word for c: "REGRESSION"; "noise" when it went
// the worse way beyond the threshold but not significantly; "better" when
// it went the better way beyond the threshold; "ok" within it; "" without
// a threshold.
func (c Change) Verdict() string {
	switch {
	case c.Regression:
		return "REGRESSION"
	case c.Threshold == nil:
		return ""
	case c.Exceeded:
		return "noise"
	case !c.Worse && c.Diff != 0 && c.Threshold.exceeded(c.Diff, c.Rel):
		return "better"
	}
	return "ok"
}

// Compare compares new against base.
func Compare(base, new *report.Summary, opt Options) *Result {
	if opt.Alpha <= 0 {
		opt.Alpha = DefaultAlpha
	}
	r := &Result{Base: base, New: new, Options: opt}
	warn := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		for _, w := range r.Warnings {
			if w == msg {
				return
			}
		}
		r.Warnings = append(r.Warnings, msg)
	}
	if base.Scenario != new.Scenario {
		warn("base is scenario %s, new is %s: are they comparable?", base.Scenario, new.Scenario)
	}
	if base.Engine != new.Engine {
		warn("base ran on the %s engine, new on the %s engine: expect differences between engines", base.Engine, new.Engine)
	} else if base.Engine == "sim" && base.Seed != new.Seed {
		warn("the seeds differ (%d, %d): the simulator's figures move with the seed", base.Seed, new.Seed)
	}
	noisy := base.Engine != "sim" || new.Engine != "sim"

	newByLabel := make(map[string]*report.Algorithm, len(new.Algorithms))
	for i := range new.Algorithms {
		newByLabel[new.Algorithms[i].Label] = &new.Algorithms[i]
	}
	seen := make(map[string]bool, len(base.Algorithms))
	for i := range base.Algorithms {
		b := &base.Algorithms[i]
		seen[b.Label] = true
		n, ok := newByLabel[b.Label]
		if !ok {
			r.Algorithms = append(r.Algorithms, AlgorithmResult{Label: b.Label, OnlyIn: "base"})
			continue
		}
		r.Algorithms = append(r.Algorithms, compareAlgorithm(b, n, opt, noisy, warn))
	}
	for _, n := range new.Algorithms {
		if !seen[n.Label] {
			r.Algorithms = append(r.Algorithms, AlgorithmResult{Label: n.Label, OnlyIn: "new"})
		}
	}
	return r
}

func compareAlgorithm(b, n *report.Algorithm, opt Options, noisy bool, warn func(string, ...any)) AlgorithmResult {
	ar := AlgorithmResult{Label: b.Label, BaseRepetitions: len(b.Repetitions), NewRepetitions: len(n.Repetitions)}
	n1, n2 := ar.BaseRepetitions, ar.NewRepetitions
	testable := n1 >= minRepetitions && n2 >= minRepetitions && minP(n1, n2) < opt.Alpha
	switch {
	case !noisy && n1 == 0 && n2 == 0:
		// The simulator: exact figures, nothing to test.
	case n1 == 0 || n2 == 0:
		warn("%s: %s no per-repetition figures (bench run --repeat 4 or more keeps them): judged on the thresholds alone",
			b.Label, sides(n1 == 0, n2 == 0))
	case !testable:
		warn("%s: %d and %d repetitions: the U test cannot reach p < %g (its smallest p-value is %.3g; 4 or more a side can): judged on the thresholds alone",
			b.Label, n1, n2, opt.Alpha, minP(n1, n2))
	}
	for _, f := range figures {
		c := Change{Figure: f, Base: f.value(b), New: f.value(n)}
		c.Diff = c.New - c.Base
		switch {
		case c.Base != 0:
			c.Rel = c.Diff / math.Abs(c.Base)
		case c.Diff != 0:
			c.Rel = math.Inf(int(math.Copysign(1, c.Diff)))
		}
		c.Worse = c.Diff != 0 && (c.Diff > 0) == f.HigherIsWorse
		if th, ok := opt.Thresholds[f.Name]; ok {
			c.Threshold = &th
			c.Exceeded = c.Worse && th.exceeded(c.Diff, c.Rel)
		}
		if testable && f.repetition != nil {
			x, y := repetitionValues(b, f), repetitionValues(n, f)
			c.Tested = true
			c.U, c.P = MannWhitney(x, y)
		} else if testable && c.Threshold != nil {
			warn("%s is not recorded per repetition: judged on its threshold alone", f.Name)
		}
		c.Regression = c.Exceeded && (!c.Tested || c.P < opt.Alpha)
		ar.Changes = append(ar.Changes, c)
	}
	return ar
}

func sides(base, new bool) string {
	switch {
	case base && new:
		return "neither side has"
	case base:
		return "base has"
	}
	return "new has"
}

func repetitionValues(a *report.Algorithm, f Figure) []float64 {
	v := make([]float64, len(a.Repetitions))
	for i := range a.Repetitions {
		v[i] = f.repetition(&a.Repetitions[i])
	}
	return v
}

// Regressions lists the regressions, as "label figure" ("p2c p99").
func (r *Result) Regressions() []string {
	var out []string
	for _, a := range r.Algorithms {
		for _, c := range a.Changes {
			if c.Regression {
				out = append(out, a.Label+" "+c.Figure.Name)
			}
		}
	}
	return out
}

// regressionsByLabel lists the regressions by algorithm: "p2c (mean,
// p99)".
func (r *Result) regressionsByLabel() []string {
	var out []string
	for _, a := range r.Algorithms {
		var names []string
		for _, c := range a.Changes {
			if c.Regression {
				names = append(names, c.Figure.Name)
			}
		}
		if len(names) > 0 {
			out = append(out, a.Label+" ("+strings.Join(names, ", ")+")")
		}
	}
	return out
}

// Missing lists the labels found on one side only, as "label (only in
// base)".
func (r *Result) Missing() []string {
	var out []string
	for _, a := range r.Algorithms {
		if a.OnlyIn != "" {
			out = append(out, a.Label+" (only in "+a.OnlyIn+")")
		}
	}
	return out
}

// Failed tells whether the comparison fails a build: a regression, or an
// algorithm on one side only unless that is allowed.
func (r *Result) Failed() bool {
	return len(r.Regressions()) > 0 || (!r.Options.AllowMissing && len(r.Missing()) > 0)
}

// Verdict is the comparison's last line: "no regressions ..." or what
// failed it.
func (r *Result) Verdict() string {
	reg, miss := r.Regressions(), r.Missing()
	var parts []string
	if len(reg) > 0 {
		parts = append(parts, fmt.Sprintf("%d regression%s: %s", len(reg), plural(len(reg)), strings.Join(r.regressionsByLabel(), ", ")))
	}
	if len(miss) > 0 {
		what := "missing"
		if r.Options.AllowMissing {
			what = "missing, allowed"
		}
		parts = append(parts, fmt.Sprintf("%d algorithm%s %s: %s", len(miss), plural(len(miss)), what, strings.Join(miss, ", ")))
	}
	if !r.Failed() {
		compared := len(r.Algorithms) - len(miss)
		return strings.Join(append([]string{fmt.Sprintf("ok: no regressions in %d algorithm%s", compared, plural(compared))}, parts...), "; ")
	}
	return "FAIL: " + strings.Join(parts, "; ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
