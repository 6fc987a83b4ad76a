package metrics

import (
	"math"
	"slices"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Distances between two latency distributions given as quantile grids, the
// shape of report.Algorithm.LatencyQuantiles: element i of a grid of n is the
// quantile at p = (i+0.5)/n. A grid stands for the distribution that puts
// mass 1/n on each of its points, i.e. the step quantile function
// Q(p) = q[floor(p*n)]; both distances below are exact for those
// distributions. Grids need not have the same length but must be sorted
// ascending (quantiles are). An empty grid has no distribution: the
// distances are NaN.

// Wasserstein1 is the Wasserstein-1 (earth mover's) distance, in the grids'
// unit:
//
//	W1 = integral over p in (0,1) of |Q1(p) - Q2(p)| dp
//
// which for step quantile functions is a sum over the cells of the merged
// breakpoints {i/n1} and {j/n2}. For grids of equal length it is
// mean_i |q1[i] - q2[i]|. A distribution shifted by c is at distance |c|.
func Wasserstein1(q1, q2 []float64) float64 {
	n1, n2 := len(q1), len(q2)
	if n1 == 0 || n2 == 0 {
		return math.NaN()
	}
	// Walk the cells [i/n1, (i+1)/n1) and [j/n2, (j+1)/n2) together. The
	// boundaries are compared exactly as i'*n2 vs j'*n1 (integers), so
	// equal boundaries never leave a sliver.
	var sum float64
	i, j := 0, 0
	lo := 0.0 // p at the start of the current sub-cell
	for i < n1 && j < n2 {
		ei, ej := (i+1)*n2, (j+1)*n1 // next boundaries, both scaled by n1*n2
		var hi float64
		switch {
		case ei < ej:
			hi = float64(i+1) / float64(n1)
			sum += (hi - lo) * math.Abs(q1[i]-q2[j])
			i++
		case ej < ei:
			hi = float64(j+1) / float64(n2)
			sum += (hi - lo) * math.Abs(q1[i]-q2[j])
			j++
		default:
			hi = float64(i+1) / float64(n1)
			sum += (hi - lo) * math.Abs(q1[i]-q2[j])
			i++
			j++
		}
		lo = hi
	}
	return sum
}

// KS is the Kolmogorov-Smirnov distance between the two distributions, the
// largest gap between their CDFs:
//
//	KS = sup over x of |F1(x) - F2(x)|,   F(x) = #{i : q[i] <= x} / n
//
// Both CDFs are right-continuous steps that jump only at grid points, so the
// supremum is reached at one of them; KS walks the merged, sorted points
// once. It is 0 for identical grids and 1 for disjoint supports.
func KS(q1, q2 []float64) float64 {
	n1, n2 := len(q1), len(q2)
	if n1 == 0 || n2 == 0 {
		return math.NaN()
	}
	if !slices.IsSorted(q1) {
		q1 = slices.Sorted(slices.Values(q1))
	}
	if !slices.IsSorted(q2) {
		q2 = slices.Sorted(slices.Values(q2))
	}
	var d float64
	i, j := 0, 0
	for i < n1 || j < n2 {
		// The next jump point, then every point of either grid equal to it.
		var x float64
		switch {
		case j >= n2 || (i < n1 && q1[i] <= q2[j]):
			x = q1[i]
		default:
			x = q2[j]
		}
		for i < n1 && q1[i] <= x {
			i++
		}
		for j < n2 && q2[j] <= x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(n1)-float64(j)/float64(n2)))
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
