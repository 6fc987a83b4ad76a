package metrics

import (
	"math"
	"testing"

	"github.com/fulcrum-lb/fulcrum/report"
)

// grid returns the n-point quantile grid of a quantile function:
// element i is q((i+0.5)/n).
func grid(n int, q func(p float64) float64) []float64 {
	g := make([]float64, n)
	for i := range g {
		g[i] = q((float64(i) + 0.5) / float64(n))
	}
	return g
}

func expQuantile(mean float64) func(float64) float64 {
	return func(p float64) float64 { return -mean * math.Log1p(-p) }
}

func TestDivergenceIdentical(t *testing.T) {
	g := grid(1000, expQuantile(10))
	if d := KS(g, g); d != 0 {
		t.Errorf("KS(g, g) = %v, want 0", d)
	}
	if d := Wasserstein1(g, g); d != 0 {
		t.Errorf("W1(g, g) = %v, want 0", d)
	}
}

func TestWasserstein1Shift(t *testing.T) {
	g := grid(1000, expQuantile(10))
	for _, c := range []float64{0.5, 3, 100} {
		h := make([]float64, len(g))
		for i, x := range g {
			h[i] = x + c
		}
		if d := Wasserstein1(g, h); math.Abs(d-c) > 1e-9*c {
			t.Errorf("W1(g, g+%v) = %v, want %v", c, d, c)
		}
		if d := Wasserstein1(h, g); math.Abs(d-c) > 1e-9*c {
			t.Errorf("W1(g+%v, g) = %v, want %v", c, d, c)
		}
	}
}

// TestWasserstein1Lengths checks grids of different lengths against the
// exact integral of their step quantile functions, worked by hand.
func TestWasserstein1Lengths(t *testing.T) {
	// Q1 = 0 on [0,1/2), 2 on [1/2,1); Q2 = 1 on [0,1/3), 1 on [1/3,2/3), 4 on [2/3,1).
	// |Q1-Q2| = 1 on [0,1/2), 1 on [1/2,2/3), 2 on [2/3,1): W1 = 1/2 + 1/6 + 2/3 = 4/3.
	if d := Wasserstein1([]float64{0, 2}, []float64{1, 1, 4}); math.Abs(d-4.0/3) > 1e-12 {
		t.Errorf("W1 = %v, want 4/3", d)
	}
	// A grid and its doubled-up copy are the same distribution.
	g := grid(300, expQuantile(1))
	g2 := make([]float64, 0, 600)
	for _, x := range g {
		g2 = append(g2, x, x)
	}
	if d := Wasserstein1(g, g2); d > 1e-12 {
		t.Errorf("W1(g, doubled g) = %v, want 0", d)
	}
	if d := KS(g, g2); d > 1e-12 {
		t.Errorf("KS(g, doubled g) = %v, want 0", d)
	}
}

// TestWasserstein1Exponentials compares two exponentials' grids with the
// closed form |mean1 - mean2| (their quantile functions never cross), less
// what the grid's midpoint rule leaves out: the grid's mean of -ln(1-p) is
// ln n - ln Γ(n+1/2)/n + ln Γ(1/2)/n = 1 - ln 2/(2n) + O(1/n^2) by Stirling,
// so the grids' W1 is |mean1 - mean2| (1 - ln 2/(2n)).
func TestWasserstein1Exponentials(t *testing.T) {
	const n = 1000
	d := Wasserstein1(grid(n, expQuantile(10)), grid(n, expQuantile(15)))
	want := 5 * (1 - math.Ln2/(2*n))
	if math.Abs(d-want) > 1e-6 {
		t.Errorf("W1(exp 10, exp 15) = %v, want %v", d, want)
	}
}

func TestKSDisjoint(t *testing.T) {
	a := grid(1000, func(p float64) float64 { return p })    // uniform [0,1]
	b := grid(700, func(p float64) float64 { return 2 + p }) // uniform [2,3]
	if d := KS(a, b); d != 1 {
		t.Errorf("KS(disjoint) = %v, want 1", d)
	}
	if d := KS(b, a); d != 1 {
		t.Errorf("KS(disjoint, reversed) = %v, want 1", d)
	}
	if d := Wasserstein1(a, b); math.Abs(d-2) > 1e-9 {
		t.Errorf("W1(U[0,1], U[2,3]) = %v, want 2", d)
	}
}

// TestKSExponentials checks two exponentials against the closed form: with
// rates a > b the CDFs' gap e^{-bx} - e^{-ax} is largest at
// x* = ln(a/b)/(a-b). Each grid's CDF is within 1/(2n) of the true one
// between its points and jumps by 1/n, so the statistic is within 1/n of
// the closed form.
func TestKSExponentials(t *testing.T) {
	const n = 1000
	for _, means := range [][2]float64{{10, 15}, {10, 20}, {1, 1.1}} {
		a, b := 1/means[0], 1/means[1]
		x := math.Log(a/b) / (a - b)
		want := math.Exp(-b*x) - math.Exp(-a*x)
		got := KS(grid(n, expQuantile(means[0])), grid(n, expQuantile(means[1])))
		if math.Abs(got-want) > 1.0/n {
			t.Errorf("KS(exp %v, exp %v) = %.5f, want %.5f ± %.4f", means[0], means[1], got, want, 1.0/n)
		}
	}
}

func TestKSTies(t *testing.T) {
	// Point masses: F1 jumps to 1 at 1; F2 is 1/2 at 1, 1 at 2.
	if d := KS([]float64{1, 1}, []float64{1, 2}); d != 0.5 {
		t.Errorf("KS = %v, want 0.5", d)
	}
	if d := KS([]float64{1, 1, 1}, []float64{1}); d != 0 {
		t.Errorf("KS = %v, want 0", d)
	}
}

func TestDivergenceEmpty(t *testing.T) {
	if !math.IsNaN(KS(nil, []float64{1})) || !math.IsNaN(Wasserstein1([]float64{1}, nil)) {
		t.Error("distances to an empty grid are not NaN")
	}
}

func TestCompareEngines(t *testing.T) {
	g := grid(report.QuantileGrid, expQuantile(10))
	h := make([]float64, len(g))
	for i, x := range g {
		h[i] = x + 1
	}
	sim := &report.Summary{Algorithms: []report.Algorithm{
		{Label: "a", Latency: report.Latency{Mean: 10, P50: 6.9, P90: 23, P99: 46}, LatencyQuantiles: g},
		{Label: "b", LatencyQuantiles: g},
		{Label: "c"},
	}}
	real := &report.Summary{Algorithms: []report.Algorithm{
		{Label: "c", LatencyQuantiles: h}, // nothing completed in sim
		{Label: "a", Latency: report.Latency{Mean: 11, P50: 6.9, P90: 0, P99: 50.6}, LatencyQuantiles: h},
		{Label: "d", LatencyQuantiles: h}, // not in sim
		{Label: "b"},                      // nothing completed in real
	}}
	cs := CompareEngines(sim, real)
	if len(cs) != 1 || cs[0].Label != "a" {
		t.Fatalf("CompareEngines = %+v, want one comparison, for a", cs)
	}
	c := cs[0]
	if math.Abs(c.Rel.Mean-0.1) > 1e-12 || c.Rel.P50 != 0 || c.Rel.P90 != -1 || math.Abs(c.Rel.P99-0.1) > 1e-12 {
		t.Errorf("relative differences %+v, want mean 0.1, p50 0, p90 -1, p99 0.1", c.Rel)
	}
	if math.Abs(c.W1-1) > 1e-9 || c.KS <= 0 || c.KS >= 1 {
		t.Errorf("KS %v, W1 %v; want W1 1 and KS in (0, 1)", c.KS, c.W1)
	}
	if c.Sim.Mean != 10 || c.Real.Mean != 11 {
		t.Errorf("means sim %v real %v, want 10 and 11", c.Sim.Mean, c.Real.Mean)
	}
}
