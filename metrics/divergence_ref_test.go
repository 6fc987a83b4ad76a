package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// The distances were written by hand before they were gonum's; the hand
// versions stay here as the reference the gonum ones must agree with.

// wasserstein1Reference walks the cells [i/n1, (i+1)/n1) and [j/n2,
// (j+1)/n2) of the two step quantile functions together, summing
// |Q1 - Q2| over each sub-cell. The boundaries are compared exactly as
// i'*n2 vs j'*n1 (integers), so equal boundaries never leave a sliver.
func wasserstein1Reference(q1, q2 []float64) float64 {
	n1, n2 := len(q1), len(q2)
	if n1 == 0 || n2 == 0 {
		return math.NaN()
	}
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

// ksReference walks the merged, sorted points once: both CDFs are
// right-continuous steps that jump only at grid points, so the supremum
// is reached at one of them.
func ksReference(q1, q2 []float64) float64 {
	n1, n2 := len(q1), len(q2)
	if n1 == 0 || n2 == 0 {
		return math.NaN()
	}
	q1, q2 = sortedGrid(q1), sortedGrid(q2)
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

// KS and Wasserstein1 over gonum agree with the hand-written versions on
// random grids (equal and unequal lengths, with ties and without,
// overlapping and apart, up to report.QuantileGrid points):
//
//   - KS to 1e-14: both are a multiple of 1/(n1 n2), to an ulp.
//   - W1 to 1e-14 of the grids' scale (their largest magnitude) when the
//     grids have the same length, as the engines' grids always do
//     (report.QuantileGrid points each). gonum integrates |F1 - F2| over
//     x, the reference |Q1 - Q2| over p; with equal lengths both CDFs
//     carry the same rounding at the same steps and it cancels.
//   - W1, for grids of different lengths, to (n1+n2) ulps of the scale:
//     gonum's CDFs add 1/n up to n times, each sum off by up to n/2 ulps,
//     and |F1 - F2| is integrated over the scale. (Seen: 3e-14.)
func TestDivergenceMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randomGrid := func(n int, shift, scale, step float64) []float64 {
		g := make([]float64, n)
		for i := range g {
			x := shift + scale*rng.ExpFloat64()
			if step > 0 {
				x = math.Round(x/step) * step
			}
			g[i] = x
		}
		slices.Sort(g)
		return g
	}
	const tol = 1e-14
	for trial := range 400 {
		n1 := 1 + rng.IntN(1000)
		n2 := n1
		if trial%2 == 1 {
			n2 = 1 + rng.IntN(1000)
		}
		step := 0.0
		if trial%3 == 0 {
			step = 0.5 // ties within and across the grids
		}
		q1 := randomGrid(n1, 0, 10, step)
		q2 := randomGrid(n2, rng.Float64()*20, 5+rng.Float64()*20, step)
		if ks, ref := KS(q1, q2), ksReference(q1, q2); math.Abs(ks-ref) > tol {
			t.Errorf("trial %d (%d, %d points): KS = %v, reference %v", trial, n1, n2, ks, ref)
		}
		scale := max(math.Abs(q1[0]), math.Abs(q1[n1-1]), math.Abs(q2[0]), math.Abs(q2[n2-1]), 1)
		wtol := tol * scale
		if n1 != n2 {
			wtol = float64(n1+n2) * 0x1p-52 * scale
		}
		if w1, ref := Wasserstein1(q1, q2), wasserstein1Reference(q1, q2); math.Abs(w1-ref) > wtol {
			t.Errorf("trial %d (%d, %d points): W1 = %v, reference %v (tolerance %.3g)", trial, n1, n2, w1, ref, wtol)
		}
	}
}

// gonum alone would put disjoint grids a few ulps off 1; KS rounds to the
// exact multiple of 1/(n1 n2).
func TestKSRounding(t *testing.T) {
	a := grid(1000, func(p float64) float64 { return p })
	b := grid(1000, func(p float64) float64 { return 2 + p })
	raw := stat.KolmogorovSmirnov(a, nil, b, nil)
	if got := KS(a, b); got != 1 {
		t.Errorf("KS(disjoint) = %v (gonum's %v), want 1", got, raw)
	}
	t.Logf("gonum's own KS of disjoint grids: %v", raw)
}
