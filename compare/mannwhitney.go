package compare

import (
	"math"
	"slices"
)

// MannWhitney tests whether x and y come from the same distribution, with
// the Mann-Whitney U test (two-sided), as scipy.stats.mannwhitneyu does by
// default and benchstat does to compare benchmarks.
//
// u is x's statistic: the number of pairs (x[i], y[j]) with x[i] > y[j],
// ties counting one half; equivalently R1 - n1(n1+1)/2 with R1 the sum of
// x's ranks in the pooled sample (mid-ranks for ties).
//
// p is exact when there are no ties and one sample has at most 8 values:
// with U = max(u, n1 n2 - u), p = 2 P(U' >= U), U' drawn from U's
// distribution under the null hypothesis (every one of the C(n1+n2, n1)
// orderings of the pooled sample equally likely). Otherwise p comes from
// the normal approximation with the tie correction and a continuity
// correction of 1/2:
//
//	mu    = n1 n2 / 2
//	sigma = sqrt(n1 n2 / 12 ((n+1) - sum(t^3 - t) / (n (n-1))))
//	z     = (U - mu - 1/2) / sigma,  p = 2 (1 - Phi(z))
//
// where n = n1 + n2 and t runs over the sizes of the groups of tied
// values. p is at most 1. With an empty sample, or every value tied, p is 1.
func MannWhitney(x, y []float64) (u, p float64) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	type obs struct {
		v   float64
		inX bool
	}
	pooled := make([]obs, 0, n1+n2)
	for _, v := range x {
		pooled = append(pooled, obs{v, true})
	}
	for _, v := range y {
		pooled = append(pooled, obs{v, false})
	}
	slices.SortFunc(pooled, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	// Mid-ranks (1-based) and the tie groups' sizes.
	var r1, tieTerm float64
	ties := false
	for i := 0; i < len(pooled); {
		j := i + 1
		for j < len(pooled) && pooled[j].v == pooled[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // mean of ranks i+1 .. j
		for k := i; k < j; k++ {
			if pooled[k].inX {
				r1 += rank
			}
		}
		if t := float64(j - i); j-i > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		i = j
	}
	fn1, fn2 := float64(n1), float64(n2)
	u = r1 - fn1*(fn1+1)/2
	big := math.Max(u, fn1*fn2-u)

	if !ties && min(n1, n2) <= 8 {
		dist := uDistribution(n1, n2)
		var tail, total float64
		for k, c := range dist {
			total += c
			if float64(k) >= big {
				tail += c
			}
		}
		return u, math.Min(1, 2*tail/total)
	}
	n := fn1 + fn2
	sigma := math.Sqrt(fn1 * fn2 / 12 * ((n + 1) - tieTerm/(n*(n-1))))
	if sigma == 0 {
		return u, 1
	}
	z := (big - fn1*fn2/2 - 0.5) / sigma
	return u, math.Min(1, math.Erfc(z/math.Sqrt2)) // 2 (1 - Phi(z))
}

// uDistribution returns, for samples of n1 and n2 distinct values, how many
// of the C(n1+n2, n1) orderings give U = k, for k = 0 .. n1 n2. It uses the
// recurrence f(m, n, k) = f(m-1, n, k-n) + f(m, n-1, k) (the largest value
// is either x's, beating all n of y's, or y's), over the smaller sample, in
// floating point: every term is a sum of positive counts.
func uDistribution(n1, n2 int) []float64 {
	m, n := min(n1, n2), max(n1, n2) // U's distribution is symmetric in the two sizes
	// f[i] is f(i, j, .) for the current j, over 0 .. i j.
	f := make([][]float64, m+1)
	for i := range f {
		f[i] = make([]float64, m*n+1)
	}
	f[0][0] = 1 // f(0, j, 0) = 1 for every j
	for i := 1; i <= m; i++ {
		f[i][0] = 1 // f(i, 0, .): only U = 0
	}
	for j := 1; j <= n; j++ {
		for i := 1; i <= m; i++ {
			// f(i, j, k) = f(i-1, j, k-j) + f(i, j-1, k): f[i-1] already
			// holds row j, f[i] still holds row j-1 (zero above i (j-1)).
			for k := j; k <= i*j; k++ {
				f[i][k] += f[i-1][k-j]
			}
		}
	}
	return f[m]
}

// minP returns the smallest two-sided p-value MannWhitney can give for
// samples of n1 and n2 distinct values: both samples entirely apart,
// 2 / C(n1+n2, n1).
func minP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	c := 1.0 // C(n1+n2, n1), built as a product that stays exact for small sizes
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}
