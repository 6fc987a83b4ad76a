package metrics

import (
	"math"
	"testing"

	"github.com/fulcrum-lb/fulcrum/report"
)

func mean(q []float64) float64 {
	var s float64
	for _, x := range q {
		s += x
	}
	return s / float64(len(q))
}

// TestConvolveShift: adding a constant shifts every quantile by it, exactly
// (each point's block of sums holds that one value).
func TestConvolveShift(t *testing.T) {
	a := grid(1000, expQuantile(10))
	for _, b := range [][]float64{{2.5}, grid(1000, func(float64) float64 { return 2.5 })} {
		out := ConvolveQuantiles(a, b, len(a))
		if len(out) != len(a) {
			t.Fatalf("len %d, want %d", len(out), len(a))
		}
		for i := range out {
			if out[i] != a[i]+2.5 {
				t.Fatalf("b of %d points: out[%d] = %v, want %v", len(b), i, out[i], a[i]+2.5)
			}
		}
	}
}

// TestConvolveMean: the mean of the result is the sum of the means. The
// sums' own mean is exactly mean(a) + mean(b); the grid reads one sum per
// block of N/n sorted sums, which is off its block's mean by at most the
// block's spread, and the blocks' spreads add up to at most
// max(sums) - min(sums). Hence
//
//	|mean(out) - mean(a) - mean(b)| <= (max(a)+max(b) - min(a)-min(b)) / n
func TestConvolveMean(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []float64
	}{
		{"exp+exp", grid(1000, expQuantile(10)), grid(1000, expQuantile(0.4))},
		{"uniform+lognormal-ish", grid(1000, func(p float64) float64 { return 3 + 2*p }), grid(1000, func(p float64) float64 { return math.Exp(2 * p) })},
		{"short grids", grid(7, expQuantile(1)), grid(13, expQuantile(3))},
	} {
		n := len(tc.a)
		out := ConvolveQuantiles(tc.a, tc.b, n)
		want := mean(tc.a) + mean(tc.b)
		tol := (tc.a[len(tc.a)-1] + tc.b[len(tc.b)-1] - tc.a[0] - tc.b[0]) / float64(n)
		if got := mean(out); math.Abs(got-want) > tol {
			t.Errorf("%s: mean %v, want %v within %v", tc.name, got, want, tol)
		}
	}
}

// TestConvolveExponentials: the sum of two independent exponentials is
// hypoexponential (Erlang-2 for equal rates), whose CDF is known:
//
//	F(x) = 1 - (l2 e^(-l1 x) - l1 e^(-l2 x)) / (l2 - l1)   (l1 != l2)
//	F(x) = 1 - e^(-l x) (1 + l x)                          (l1 = l2 = l)
//
// Each input grid's distribution is within 1/(2n) of its exponential in
// CDF (KS), so their sum is within 1/n of the true sum (adding an
// independent variable does not increase KS); point i of the result is the
// sum of rank floor(p N) at p = (i+0.5)/n, whose CDF is within the mass of
// one tied sum (at most 2/N: a+b = b+a when the grids are equal) of p. So
// every point must satisfy |F(out[i]) - (i+0.5)/n| <= 1/n + 2/N.
func TestConvolveExponentials(t *testing.T) {
	const n = 1000
	hypo := func(l1, l2 float64) func(float64) float64 {
		if l1 == l2 {
			return func(x float64) float64 { return 1 - math.Exp(-l1*x)*(1+l1*x) }
		}
		return func(x float64) float64 {
			return 1 - (l2*math.Exp(-l1*x)-l1*math.Exp(-l2*x))/(l2-l1)
		}
	}
	for _, tc := range []struct{ m1, m2 float64 }{{1, 1}, {10, 10}, {1, 4}, {0.3, 12}} {
		a, b := grid(n, expQuantile(tc.m1)), grid(n, expQuantile(tc.m2))
		out := ConvolveQuantiles(a, b, n)
		cdf := hypo(1/tc.m1, 1/tc.m2)
		tol := 1.0/n + 2.0/(n*n)
		for i, x := range out {
			p := (float64(i) + 0.5) / n
			if d := math.Abs(cdf(x) - p); d > tol {
				t.Fatalf("means %v+%v: out[%d] = %v has F = %v, want %v within %v", tc.m1, tc.m2, i, x, cdf(x), p, tol)
			}
		}
	}
	// The median of Erlang-2 with mean 1 per stage is 1.67835 (F = 0.5);
	// within the grid's tolerance in p, with density F' = x e^-x ~ 0.31
	// there, it is within (1/n + 2/N) / 0.31 ~ 0.0033.
	out := ConvolveQuantiles(grid(n, expQuantile(1)), grid(n, expQuantile(1)), n)
	if m := GridQuantile(out, 0.5); math.Abs(m-1.67835) > 0.0033 {
		t.Errorf("Erlang-2 median %v, want 1.67835", m)
	}
}

// TestConvolveLong: grids whose pairs exceed maxPairs have b re-read at
// fewer points first; the result is still within the tolerances above,
// widened by that re-reading (b' is within 1/(2m) + 1/len(b) of b in KS).
func TestConvolveLong(t *testing.T) {
	const na, nb, n = 3000, 2500, 1000
	a, b := grid(na, expQuantile(2)), grid(nb, expQuantile(5))
	out := ConvolveQuantiles(a, b, n)
	if len(out) != n {
		t.Fatalf("len %d, want %d", len(out), n)
	}
	m := float64(maxPairs / na)
	tol := 1.0/(2*na) + 1.0/(2*nb) + 1.0/(2*m) + 1.0/nb + 1.0/(2*n) + 1.0/(na*m)
	l1, l2 := 1.0/2, 1.0/5
	for i, x := range out {
		p := (float64(i) + 0.5) / n
		f := 1 - (l2*math.Exp(-l1*x)-l1*math.Exp(-l2*x))/(l2-l1)
		if math.Abs(f-p) > tol {
			t.Fatalf("out[%d] = %v has F = %v, want %v within %v", i, x, f, p, tol)
		}
	}
}

func TestConvolveEmpty(t *testing.T) {
	if ConvolveQuantiles(nil, []float64{1}, 10) != nil || ConvolveQuantiles([]float64{1}, nil, 10) != nil ||
		ConvolveQuantiles([]float64{1}, []float64{1}, 0) != nil {
		t.Error("ConvolveQuantiles of an empty grid, or into 0 points, is not nil")
	}
}

func TestGridQuantile(t *testing.T) {
	q := grid(1000, func(p float64) float64 { return 100 * p }) // q[i] = 0.1 i + 0.05
	for _, tc := range []struct{ p, want float64 }{
		{0.5, 50},     // between q[499] = 49.95 and q[500] = 50.05
		{0.99, 99},    // between q[989] and q[990]
		{0.0005, .05}, // q[0] exactly
		{0, .05},      // held below the first point
		{1, 99.95},    // and above the last
	} {
		if got := GridQuantile(q, tc.p); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("GridQuantile(p=%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if !math.IsNaN(GridQuantile(nil, 0.5)) {
		t.Error("GridQuantile of an empty grid is not NaN")
	}
}

// TestCorrectForRig: a real engine that is exactly the simulation plus a
// constant rig latency has, once corrected, no gap left.
func TestCorrectForRig(t *testing.T) {
	const rig = 0.8
	simQ := grid(report.QuantileGrid, expQuantile(10))
	realQ := make([]float64, len(simQ))
	for i, x := range simQ {
		realQ[i] = x + rig
	}
	alg := func(label string, q []float64, m float64) report.Algorithm {
		return report.Algorithm{Label: label, LatencyQuantiles: q,
			Latency: report.Latency{Mean: m, P50: GridQuantile(q, .5), P90: GridQuantile(q, .9), P99: GridQuantile(q, .99)}}
	}
	sim := &report.Summary{Algorithms: []report.Algorithm{alg("rr", simQ, 10), alg("p2c", simQ, 10)}}
	real := &report.Summary{Algorithms: []report.Algorithm{alg("rr", realQ, 10+rig), alg("p2c", nil, 0)}}
	cs := CompareEngines(sim, real)
	cs = append(cs, report.Comparison{Label: "p2c"}) // no grid on the real side
	rigQ := grid(report.QuantileGrid, func(float64) float64 { return rig })
	CorrectForRig(cs, sim, real, rigQ, rig)

	rc := cs[0].RigCorrected
	if rc == nil {
		t.Fatal("rr has no rig correction")
	}
	if rc.Sim.Mean != 10+rig || rc.Real != cs[0].Real {
		t.Errorf("corrected sim mean %v, real %+v; want %v and the raw real %+v", rc.Sim.Mean, rc.Real, 10+rig, cs[0].Real)
	}
	if rc.KS != 0 || rc.W1 > 1e-12 || math.Abs(rc.Rel.P50) > 1e-12 || math.Abs(rc.Rel.P99) > 1e-12 || math.Abs(rc.Rel.Mean) > 1e-12 {
		t.Errorf("corrected: %+v, want no gap", rc)
	}
	if cs[0].KS == 0 || math.Abs(cs[0].W1-rig) > 1e-9 {
		t.Errorf("raw: ks %v, w1 %v; want > 0 and %v", cs[0].KS, cs[0].W1, rig)
	}
	if share, ok := cs[0].RigExplains(); !ok || math.Abs(share-1) > 1e-9 {
		t.Errorf("RigExplains = %v, %v; want 1", share, ok)
	}
	if cs[1].RigCorrected != nil {
		t.Error("p2c, without a real grid, has a rig correction")
	}
	// No rig grid: nothing to correct with.
	cs = CompareEngines(sim, real)
	CorrectForRig(cs, sim, real, nil, 0)
	if cs[0].RigCorrected != nil {
		t.Error("a correction without a rig grid")
	}
}
