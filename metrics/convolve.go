package metrics

import (
	"math"
	"slices"

	"github.com/fulcrum-lb/fulcrum/report"
)

// maxPairs bounds the sums ConvolveQuantiles sorts: two QuantileGrid grids
// (1000 x 1000) fit whole; longer grids have b subsampled to fit, so that
// the cost stays at one sort of about a million floats (8 MB, ~0.1 s).
const maxPairs = 1 << 20

// ConvolveQuantiles is the distribution of X + Y, for independent X and Y
// given as quantile grids a and b (the shape of
// report.Algorithm.LatencyQuantiles: ascending, element i of a grid of n at
// p = (i+0.5)/n), as a grid of n points of the same shape.
//
// A grid stands for its points as equal masses (see Wasserstein1), so X + Y
// is the N = len(a) x len(b) equal masses a[i] + b[j]. Sorted, they are its
// step quantile function Q(p) = sums[floor(p*N)], read at p = (i+0.5)/n:
//
//	out[i] = sums[floor((i+0.5)/n * N)]
//
// This is exact for the two step distributions, deterministic, and O(N log
// N). When N would exceed maxPairs, b is first re-read at m midpoints
// (b'[j] = b[floor((j+0.5)/m * len(b))], m = maxPairs/len(a)), a
// subsample of the same distribution. A constant b shifts every point of a
// by it; the mean of the sums is mean(a) + mean(b) exactly, and out's mean
// differs from it only by reading one point per 1/n of probability (see
// the tests). nil if a or b is empty or n < 1.
func ConvolveQuantiles(a, b []float64, n int) []float64 {
	if len(a) == 0 || len(b) == 0 || n < 1 {
		return nil
	}
	if len(a)*len(b) > maxPairs {
		if m := max(maxPairs/len(a), 1); m < len(b) {
			b = regrid(b, m)
		}
		if len(a)*len(b) > maxPairs { // a alone is too long: thin it too
			a = regrid(a, maxPairs/len(b))
		}
	}
	sums := make([]float64, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			sums = append(sums, x+y)
		}
	}
	slices.Sort(sums)
	out := make([]float64, n)
	total := float64(len(sums))
	for i := range out {
		k := int((float64(i) + 0.5) / float64(n) * total)
		out[i] = sums[min(k, len(sums)-1)]
	}
	return out
}

// regrid re-reads the step quantile function of grid q at m midpoints.
func regrid(q []float64, m int) []float64 {
	m = max(m, 1)
	out := make([]float64, m)
	for j := range out {
		k := int((float64(j) + 0.5) / float64(m) * float64(len(q)))
		out[j] = q[min(k, len(q)-1)]
	}
	return out
}

// GridQuantile reads the quantile at p from grid q (the shape of
// report.Algorithm.LatencyQuantiles), interpolating linearly between the
// two grid points whose p = (i+0.5)/n surround it and holding the end
// points beyond them: p50 of a grid of 1000 is the mean of q[499] and
// q[500]. NaN for an empty grid.
func GridQuantile(q []float64, p float64) float64 {
	n := len(q)
	if n == 0 {
		return math.NaN()
	}
	x := p*float64(n) - 0.5
	switch {
	case x <= 0:
		return q[0]
	case x >= float64(n-1):
		return q[n-1]
	}
	i := int(x)
	f := x - float64(i)
	return q[i] + f*(q[i+1]-q[i])
}

// CorrectForRig adds to each of cs, which CompareEngines made from sim and
// real, the comparison of real against the simulation plus the rig's own
// latency (DESIGN.md §8): the simulated latency and the rig latency added as
// independent variables, their grids convolved (ConvolveQuantiles).
// rigQuantiles is the rig's latency grid in ms and rigMean its exact mean.
// The corrected simulation's mean is sim's mean + rigMean exactly; its p50,
// p90 and p99 are read from the convolved grid (GridQuantile); KS and W1
// compare that grid with real's. An entry whose label has no latency grid
// on either side, or an empty rig grid, is left without a correction.
func CorrectForRig(cs []report.Comparison, sim, real *report.Summary, rigQuantiles []float64, rigMean float64) {
	if len(rigQuantiles) == 0 {
		return
	}
	grids := func(s *report.Summary) map[string]*report.Algorithm {
		m := make(map[string]*report.Algorithm, len(s.Algorithms))
		for i := range s.Algorithms {
			m[s.Algorithms[i].Label] = &s.Algorithms[i]
		}
		return m
	}
	bySim, byReal := grids(sim), grids(real)
	for i := range cs {
		c := &cs[i]
		s, r := bySim[c.Label], byReal[c.Label]
		if s == nil || r == nil || len(s.LatencyQuantiles) == 0 || len(r.LatencyQuantiles) == 0 {
			continue
		}
		q := ConvolveQuantiles(s.LatencyQuantiles, rigQuantiles, len(s.LatencyQuantiles))
		rc := &report.RigCorrected{
			Sim: report.ComparedLatency{
				Mean: s.Latency.Mean + rigMean,
				P50:  GridQuantile(q, 0.5),
				P90:  GridQuantile(q, 0.9),
				P99:  GridQuantile(q, 0.99),
			},
			Real: compared(r.Latency),
			KS:   KS(q, r.LatencyQuantiles),
			W1:   Wasserstein1(q, r.LatencyQuantiles),
		}
		rc.Rel = report.ComparedLatency{
			Mean: relDiff(rc.Real.Mean, rc.Sim.Mean),
			P50:  relDiff(rc.Real.P50, rc.Sim.P50),
			P90:  relDiff(rc.Real.P90, rc.Sim.P90),
			P99:  relDiff(rc.Real.P99, rc.Sim.P99),
		}
		c.RigCorrected = rc
	}
}
