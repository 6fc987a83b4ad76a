package report

import (
	"fmt"
	"io"
	"math"
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
	// RigCorrected, when bench run measured its rig (DESIGN.md §8),
	// compares real with the simulation plus the rig's own latency.
	RigCorrected *RigCorrected `json:"rig_corrected,omitempty"`
}

// RigCorrected is a Comparison's figures against the rig-corrected
// simulation: Sim is the distribution of simulated latency + the rig
// latency measured at the scenario's rate with zero service (independent
// variables, their quantile grids convolved), Real is unchanged, and Rel,
// KS and W1 are computed as in Comparison. What remains of the gap is what
// the real engine does differently, not what the harness costs.
type RigCorrected struct {
	Sim  ComparedLatency `json:"sim_ms"`
	Real ComparedLatency `json:"real_ms"`
	Rel  ComparedLatency `json:"rel_diff"`
	KS   float64         `json:"ks"`
	W1   float64         `json:"w1_ms"`
}

// RigExplains is the share of the raw mean gap |real - sim| that the rig
// correction removes:
//
//	share = 1 - |real - (sim + rig)| / |real - sim|    (means)
//
// 1 when the rig accounts for the whole gap, 0 when the correction leaves
// it as large as it was, negative when it widens it. ok is false without a
// correction or when the raw means are equal (nothing to explain).
func (c Comparison) RigExplains() (share float64, ok bool) {
	if c.RigCorrected == nil {
		return 0, false
	}
	raw := math.Abs(c.Real.Mean - c.Sim.Mean)
	if !(raw > 0) {
		return 0, false
	}
	return 1 - math.Abs(c.RigCorrected.Real.Mean-c.RigCorrected.Sim.Mean)/raw, true
}

// RigNote says, for a Comparison with a rig correction, how much of the
// mean gap the rig explains, as the terminal table and report.html print
// it: "round-robin: rig explains 85% of the mean gap (real - sim: +0.89 ms
// raw, +0.13 ms rig-corrected)". "" without a correction.
func RigNote(c Comparison) string {
	rc := c.RigCorrected
	if rc == nil {
		return ""
	}
	gaps := fmt.Sprintf("real - sim: %s ms raw, %s ms rig-corrected",
		signed(c.Real.Mean-c.Sim.Mean), signed(rc.Real.Mean-rc.Sim.Mean))
	share, ok := c.RigExplains()
	switch {
	case !ok:
		return fmt.Sprintf("%s: no raw mean gap to explain (%s)", c.Label, gaps)
	case share < 0:
		return fmt.Sprintf("%s: the rig correction widens the mean gap (%s)", c.Label, gaps)
	}
	return fmt.Sprintf("%s: rig explains %.0f%% of the mean gap (%s)", c.Label, 100*share, gaps)
}

// signed writes x with a sign and three significant digits: +0.892, -12.0.
func signed(x float64) string {
	if x < 0 {
		return "-" + Sig3(-x)
	}
	return "+" + Sig3(x)
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
//
// An entry with a rig correction gets a second row, "  + rig", right below
// its raw one: the same columns against the simulation plus the rig
// latency, so raw and corrected read one above the other; a line per such
// entry then says how much of the mean gap the rig explains (RigNote).
func WriteComparison(w io.Writer, cs []Comparison) error {
	corrected := false
	for _, c := range cs {
		corrected = corrected || c.RigCorrected != nil
	}
	title := "real vs sim, latency in ms, diff = (real-sim)/sim"
	if corrected {
		title += `; "+ rig" rows: against sim + the measured rig latency`
	}
	fmt.Fprintln(w, title)
	width := len("label")
	for _, c := range cs {
		width = max(width, len(c.Label))
	}
	if corrected {
		width = max(width, len(rigRowLabel))
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
			Sig3(c.Sim.Mean), Sig3(c.Real.Mean), pct(c.Rel.Mean),
			Sig3(c.Sim.P50), Sig3(c.Real.P50), pct(c.Rel.P50),
			Sig3(c.Sim.P90), Sig3(c.Real.P90), pct(c.Rel.P90),
			Sig3(c.Sim.P99), Sig3(c.Real.P99), pct(c.Rel.P99),
			strconv.FormatFloat(c.KS, 'f', 3, 64), Sig3(c.W1),
		}
		row(cells...)
		if rc := c.RigCorrected; rc != nil {
			row(rigRowLabel,
				Sig3(rc.Sim.Mean), Sig3(rc.Real.Mean), pct(rc.Rel.Mean),
				Sig3(rc.Sim.P50), Sig3(rc.Real.P50), pct(rc.Rel.P50),
				Sig3(rc.Sim.P90), Sig3(rc.Real.P90), pct(rc.Rel.P90),
				Sig3(rc.Sim.P99), Sig3(rc.Real.P99), pct(rc.Rel.P99),
				strconv.FormatFloat(rc.KS, 'f', 3, 64), Sig3(rc.W1))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range cs {
		if note := RigNote(c); note != "" {
			if _, err := fmt.Fprintln(w, note); err != nil {
				return err
			}
		}
	}
	return nil
}

// rigRowLabel heads a comparison's rig-corrected row, indented under the
// algorithm's raw row.
const rigRowLabel = "  + rig"

// pct writes a ratio as a signed percentage with one decimal: +5.9%, -0.3%.
func pct(x float64) string {
	s := strconv.FormatFloat(100*x, 'f', 1, 64)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s + "%"
}
