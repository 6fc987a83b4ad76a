package metrics

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Distances between two latency distributions given as quantile grids, the
// shape of report.Algorithm.LatencyQuantiles: element i of a grid of n is the
// quantile at p = (i+0.5)/n. A grid stands for the distribution that puts
// mass 1/n on each of its points, i.e. the step quantile function
// Q(p) = q[floor(p*n)]: gonum's empirical distributions with uniform
// weights, which is what both functions below hand it. Grids need not have
// the same length; quantiles come sorted ascending, and a grid that is not
// is sorted (a copy). An empty grid has no distribution: the distances are
// NaN (gonum's KolmogorovSmirnov would say 1, or 0 for two).

// Wasserstein1 is the Wasserstein-1 (earth mover's) distance, in the grids'
// unit, by gonum's stat.WassersteinDistance:
//
//	W1 = integral over p in (0,1) of |Q1(p) - Q2(p)| dp = integral over x of |F1(x) - F2(x)| dx
//
// For grids of equal length it is mean_i |q1[i] - q2[i]|. A distribution
// shifted by c is at distance |c|.
func Wasserstein1(q1, q2 []float64) float64 {
	if len(q1) == 0 || len(q2) == 0 {
		return math.NaN()
	}
	return stat.WassersteinDistance(q1, q2, nil, nil)
}

// KS is the Kolmogorov-Smirnov distance between the two distributions, the
// largest gap between their CDFs, by gonum's stat.KolmogorovSmirnov:
//
//	KS = sup over x of |F1(x) - F2(x)|,   F(x) = #{i : q[i] <= x} / n
//
// It is 0 for identical grids and 1 for disjoint supports.
//
// The gap at any x is |i/n1 - j/n2|, a multiple of 1/(n1 n2); gonum adds
// 1/n up n times, which leaves the sum a few ulps off (disjoint grids of
// 1000 points would be at 1.0000000000000007). KS rounds to the nearest
// multiple, which is the exact value, so that equal distances compare
// equal.
func KS(q1, q2 []float64) float64 {
	n1, n2 := len(q1), len(q2)
	if n1 == 0 || n2 == 0 {
		return math.NaN()
	}
	q1, q2 = sortedGrid(q1), sortedGrid(q2)
	d := stat.KolmogorovSmirnov(q1, nil, q2, nil)
	// Beyond 2^52 cells a multiple of 1/(n1 n2) is no longer exact in a
	// float64; grids are 1000 points (report.QuantileGrid).
	if cells := float64(n1) * float64(n2); cells <= 1<<52 {
		d = math.Round(d*cells) / cells
	}
	return d
}

// CompareEngines sets the real engine's latencies beside the simulator's,
// label by label in real's order: mean, p50, p90 and p99 of each, the
// relative differences (real - sim)/sim, and the KS and Wasserstein-1
// distances between their LatencyQuantiles. A label missing from either
// summary, or whose latency distribution is unknown in either (nothing
// completed), is left out.
func CompareEngines(sim, real *report.Summary) []report.Comparison {
	bySim := make(map[string]*report.Algorithm, len(sim.Algorithms))
	for i := range sim.Algorithms {
		bySim[sim.Algorithms[i].Label] = &sim.Algorithms[i]
	}
	var out []report.Comparison
	for i := range real.Algorithms {
		r := &real.Algorithms[i]
		s, ok := bySim[r.Label]
		if !ok || len(s.LatencyQuantiles) == 0 || len(r.LatencyQuantiles) == 0 {
			continue
		}
		c := report.Comparison{
			Label: r.Label,
			Sim:   compared(s.Latency),
			Real:  compared(r.Latency),
			KS:    KS(s.LatencyQuantiles, r.LatencyQuantiles),
			W1:    Wasserstein1(s.LatencyQuantiles, r.LatencyQuantiles),
		}
		c.Rel = report.ComparedLatency{
			Mean: relDiff(c.Real.Mean, c.Sim.Mean),
			P50:  relDiff(c.Real.P50, c.Sim.P50),
			P90:  relDiff(c.Real.P90, c.Sim.P90),
			P99:  relDiff(c.Real.P99, c.Sim.P99),
		}
		out = append(out, c)
	}
	return out
}

func compared(l report.Latency) report.ComparedLatency {
	return report.ComparedLatency{Mean: l.Mean, P50: l.P50, P90: l.P90, P99: l.P99}
}

// relDiff is (real - sim)/sim, and 0 where sim is 0 (undefined), so that
// summary.json holds only finite numbers.
func relDiff(real, sim float64) float64 {
	if sim == 0 {
		return 0
	}
	return (real - sim) / sim
}

// sortedGrid is q if it is sorted, else a sorted copy.
func sortedGrid(q []float64) []float64 {
	if slices.IsSorted(q) {
		return q
	}
	return slices.Sorted(slices.Values(q))
}
