package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Comparison sets one algorithm's latencies in the real engine beside the
// simulator's prediction for the same scenario and seed (bench run
// --compare-sim). Latencies are in ms; Rel holds (real - sim)/sim for each
// figure (0 where sim's is 0). KS is the Kolmogorov-Smirnov distance between
// the two latency distributions (0 = same, 1 = disjoint) and W1 their
// Wasserstein-1 distance in ms (the mean absolute gap between their
// quantiles), both over Algorithm.LatencyQuantiles.
type Comparison struct {
	Label string          `json:"label"`
	Sim   ComparedLatency `json:"sim_ms"`
	Real  ComparedLatency `json:"real_ms"`
	Rel   ComparedLatency `json:"rel_diff"`
	KS    float64         `json:"ks"`
	W1    float64         `json:"w1_ms"`
}

// ComparedLatency holds the figures a Comparison compares.
type ComparedLatency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
}

// WriteComparison writes cs as an aligned table: for mean, p50, p90 and p99
// the simulator's figure, the real one and their relative difference, then
// KS and W1. Latencies have three significant digits.
//
//	real vs sim, latency in ms, diff = (real-sim)/sim
//	label        sim mean  real mean   diff  sim p50  real p50   diff  ...     ks  w1 ms
//	round-robin      15.1       16.0  +5.9%     10.9      11.4  +4.6%  ...  0.031  0.912
func WriteComparison(w io.Writer, cs []Comparison) error {
	fmt.Fprintln(w, "real vs sim, latency in ms, diff = (real-sim)/sim")
	width := len("label")
	for _, c := range cs {
		width = max(width, len(c.Label))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...string) {
		cells[0] = fmt.Sprintf("%-*s", width, cells[0])
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	head := []string{"label"}
	for _, f := range []string{"mean", "p50", "p90", "p99"} {
		head = append(head, "sim "+f, "real "+f, "diff")
	}
	row(append(head, "ks", "w1 ms")...)
	for _, c := range cs {
		cells := []string{c.Label,
			sig3(c.Sim.Mean), sig3(c.Real.Mean), pct(c.Rel.Mean),
			sig3(c.Sim.P50), sig3(c.Real.P50), pct(c.Rel.P50),
			sig3(c.Sim.P90), sig3(c.Real.P90), pct(c.Rel.P90),
			sig3(c.Sim.P99), sig3(c.Real.P99), pct(c.Rel.P99),
			strconv.FormatFloat(c.KS, 'f', 3, 64), sig3(c.W1),
		}
		row(cells...)
	}
	return tw.Flush()
}

// pct writes a ratio as a signed percentage with one decimal: +5.9%, -0.3%.
func pct(x float64) string {
	s := strconv.FormatFloat(100*x, 'f', 1, 64)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s + "%"
}
