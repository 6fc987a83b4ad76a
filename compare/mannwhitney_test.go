package compare

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMannWhitneyScipy checks U and p against scipy.stats.mannwhitneyu
// (scipy 1.10, default arguments: two-sided, method "auto", continuity
// correction), which is exact without ties when a sample has at most 8
// values and the normal approximation otherwise; the values are scipy's,
// hard-coded.
func TestMannWhitneyScipy(t *testing.T) {
	for _, tc := range []struct {
		x, y []float64
		u, p float64
	}{
		{[]float64{1, 2, 3}, []float64{4, 5, 6}, 0, 0.1},
		{[]float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}, 0, 0.02857142857142857},
		{[]float64{1.5, 3.1, 2.2, 8.0}, []float64{2.9, 4.4, 5.1, 6.3, 7.7}, 6, 0.4126984126984127},
		{[]float64{10.1, 10.4, 9.9, 10.2, 10.0}, []float64{10.3, 10.6, 10.5, 10.8, 10.7}, 1, 0.015873015873015872},
		// ties: the normal approximation with the tie correction
		{[]float64{1, 2, 2, 3, 4}, []float64{2, 3, 5, 6, 6}, 4.5, 0.11049202405566802},
		// both samples above 8: the normal approximation
		{[]float64{3.2, 1.1, 4.7, 2.8, 5.9, 0.4, 7.3, 6.6, 8.1, 2.2}, []float64{5.5, 9.1, 3.3, 7.7, 10.2, 8.8, 6.1, 11.4, 4.9, 9.9}, 17, 0.014019277113959953},
		{[]float64{12.1, 12.3, 12.2, 12.4, 12.0, 12.5}, []float64{12.15, 12.35, 12.25, 12.45, 12.05, 12.55}, 15, 0.6991341991341992},
		{[]float64{1, 1, 1}, []float64{1, 1, 1}, 4.5, 1},
		// one small sample: exact
		{[]float64{5, 6, 7}, []float64{1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14}, 12, 0.554945054945055},
	} {
		u, p := MannWhitney(tc.x, tc.y)
		if u != tc.u || math.Abs(p-tc.p) > 1e-12 {
			t.Errorf("MannWhitney(%v, %v) = %v, %.17g; scipy says %v, %.17g", tc.x, tc.y, u, p, tc.u, tc.p)
		}
		// Swapping the samples gives the complementary U and the same p.
		u2, p2 := MannWhitney(tc.y, tc.x)
		if u2 != float64(len(tc.x)*len(tc.y))-tc.u || math.Abs(p2-p) > 1e-12 {
			t.Errorf("MannWhitney(y, x) = %v, %v; want %v, %v", u2, p2, float64(len(tc.x)*len(tc.y))-tc.u, p)
		}
	}
}

func TestMannWhitneyEmpty(t *testing.T) {
	if u, p := MannWhitney(nil, []float64{1}); u != 0 || p != 1 {
		t.Errorf("MannWhitney(nil, [1]) = %v, %v; want 0, 1", u, p)
	}
}

// TestUDistribution checks the exact distribution against brute force: for
// every way to split 0..n1+n2-1 into x and y, count x's U.
func TestUDistribution(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {3, 3}, {4, 2}, {5, 6}, {1, 9}} {
		n1, n2 := sz[0], sz[1]
		want := make([]float64, n1*n2+1)
		for mask := 0; mask < 1<<(n1+n2); mask++ {
			var x, y []float64
			for i := range n1 + n2 {
				if mask&(1<<i) != 0 {
					x = append(x, float64(i))
				} else {
					y = append(y, float64(i))
				}
			}
			if len(x) != n1 {
				continue
			}
			u, _ := MannWhitney(x, y)
			want[int(u)]++
		}
		got := uDistribution(n1, n2)
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("uDistribution(%d, %d)[%d] = %v, want %v", n1, n2, k, got[k], want[k])
			}
		}
		if p := minP(n1, n2); math.Abs(p-min(1, 2/sum(want))) > 1e-15 {
			t.Errorf("minP(%d, %d) = %v, want %v", n1, n2, p, 2/sum(want))
		}
	}
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// TestMannWhitneyNull checks the test's size: on samples from one
// distribution, p < 0.05 about 5% of the time (at most, for the exact
// test's discrete p-values). Seeded; the tolerance is four binomial
// standard deviations over 2000 trials.
func TestMannWhitneyNull(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const trials = 2000
	for _, n := range []int{5, 12} {
		rejected := 0
		for range trials {
			x, y := make([]float64, n), make([]float64, n)
			for i := range n {
				x[i], y[i] = r.ExpFloat64(), r.ExpFloat64()
			}
			if _, p := MannWhitney(x, y); p < 0.05 {
				rejected++
			}
		}
		rate, tol := float64(rejected)/trials, 4*math.Sqrt(0.05*0.95/trials)
		if rate > 0.05+tol {
			t.Errorf("n = %d: rejected %.3f of true null hypotheses, want <= 0.05 + %.3f", n, rate, tol)
		}
	}
}
