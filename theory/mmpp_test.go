package theory

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// solveStationary solves p Q = 0, sum(p) = 1 for an irreducible generator Q
// with gonum: the transposed system with its first equation replaced by the
// normalisation.
func solveStationary(t *testing.T, q *mat.Dense) []float64 {
	t.Helper()
	n, _ := q.Dims()
	sys := mat.DenseCopyOf(q.T())
	for j := range n {
		sys.Set(0, j, 1)
	}
	rhs := mat.NewVecDense(n, nil)
	rhs.SetVec(0, 1)
	var p mat.VecDense
	if err := p.SolveVec(sys, rhs); err != nil {
		t.Fatalf("stationary solve (%d states): %v", n, err)
	}
	return p.RawVector().Data
}

// bruteMMPP is the MMPP/M/1 chain written out state by state, truncated at
// K customers (arrivals that would make K+1 are lost), and solved as one
// linear system. State (k, i), k customers and phase i, is index k n + i.
// It returns the mean number in system, the probability of each level, the
// marginal of the phases and the probability of an empty system per phase.
func bruteMMPP(t *testing.T, rates, sojourns []float64, mu float64, K int) (meanN float64, levels, phases, empty []float64) {
	t.Helper()
	n := len(rates)
	size := (K + 1) * n
	q := mat.NewDense(size, size, nil)
	add := func(from, to int, rate float64) {
		q.Set(from, to, q.At(from, to)+rate)
		q.Set(from, from, q.At(from, from)-rate)
	}
	for k := 0; k <= K; k++ {
		for i := range n {
			s := k*n + i
			for j := range n {
				if j != i {
					add(s, k*n+j, 1/(sojourns[i]*float64(n-1)))
				}
			}
			if k < K && rates[i] > 0 {
				add(s, s+n, rates[i])
			}
			if k > 0 {
				add(s, s-n, mu)
			}
		}
	}
	p := solveStationary(t, q)
	levels = make([]float64, K+1)
	phases = make([]float64, n)
	empty = append([]float64(nil), p[:n]...)
	for k := 0; k <= K; k++ {
		for i := range n {
			levels[k] += p[k*n+i]
			phases[i] += p[k*n+i]
			meanN += float64(k) * p[k*n+i]
		}
	}
	return meanN, levels, phases, empty
}

// TestMMPPStationaryPhases checks the claim behind MMPPBase: with uniform
// jumps the modulating chain spends fractions of time proportional to the
// mean sojourns. The generator here is written independently of
// MMPPGenerator, and the stationary vector is solved for, not assumed.
func TestMMPPStationaryPhases(t *testing.T) {
	for _, d := range [][]float64{{1, 4}, {0.5, 2, 7}, {1, 1, 1, 1}, {0.1, 3, 0.2, 9, 1}} {
		n := len(d)
		q := mat.NewDense(n, n, nil)
		for i := range n {
			for j := range n {
				if i != j {
					q.Set(i, j, 1/(d[i]*float64(n-1)))
				}
			}
			q.Set(i, i, -1/d[i])
		}
		theta := solveStationary(t, q)
		var sd float64
		for _, x := range d {
			sd += x
		}
		for i := range n {
			if !near(theta[i], d[i]/sd, 1e-13) {
				t.Errorf("sojourns %v: theta[%d] = %v, want d_i/sum(d) = %v", d, i, theta[i], d[i]/sd)
			}
		}
		if !mat.EqualApprox(q, MMPPGenerator(d), 1e-15) {
			t.Errorf("MMPPGenerator(%v) = %v, want %v", d, mat.Formatted(MMPPGenerator(d)), mat.Formatted(q))
		}
	}
}

// TestMMPPM1Poisson: equal factors make the arrivals Poisson whatever the
// sojourns, so the queue is M/M/1.
func TestMMPPM1Poisson(t *testing.T) {
	tests := []struct {
		factors, sojourns []float64
		lambda, mu        float64
	}{
		{[]float64{1}, []float64{1}, 0.5, 1},
		{[]float64{1}, []float64{3}, 900, 1000},
		{[]float64{2, 2}, []float64{1, 4}, 0.7, 1},
		{[]float64{3, 3, 3}, []float64{0.01, 1, 100}, 0.95, 1},
		{[]float64{1, 1, 1, 1}, []float64{1, 2, 3, 4}, 7, 10},
		{[]float64{5, 5}, []float64{1, 1}, 0.999, 1},
	}
	for _, tt := range tests {
		got, err := MMPPM1(tt.factors, tt.sojourns, tt.lambda, tt.mu)
		name := fmt.Sprintf("MMPPM1(%v, %v, %v, %v)", tt.factors, tt.sojourns, tt.lambda, tt.mu)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := MM1(tt.lambda, tt.mu)
		checkResult(t, name, got.Result, want, 1e-9)
		if rho := tt.lambda / tt.mu; !near(got.MeanNumber, rho/(1-rho), 1e-9) || !near(got.PIdle, 1-rho, 1e-9) || !near(got.Decay, rho, 1e-9) {
			t.Errorf("%s: E[N] %v, P(idle) %v, decay %v; want %v, %v, %v", name, got.MeanNumber, got.PIdle, got.Decay, rho/(1-rho), 1-rho, rho)
		}
	}
}

// TestMMPPM1Brute compares with the truncated chain solved directly. K is
// large enough that the levels in the top quarter carry less than 1e-12 of
// the mass (checked), so the truncation is far below the tolerance.
func TestMMPPM1Brute(t *testing.T) {
	tests := []struct {
		factors, sojourns []float64
		lambda, mu        float64
		K                 int
	}{
		{[]float64{4, 0.25}, []float64{1, 4}, 0.5, 1, 400},                // DESIGN.md's example, lighter
		{[]float64{2, 0.5}, []float64{0.5, 0.5}, 0.8, 1, 400},             // alternating, rho 0.8
		{[]float64{1, 0}, []float64{2, 2}, 0.4, 1, 300},                   // on/off
		{[]float64{3, 1, 0.2}, []float64{0.5, 1, 2}, 0.6, 1, 300},         // three phases
		{[]float64{0, 2, 5}, []float64{1, 0.3, 0.1}, 5, 10, 400},          // three, one off
		{[]float64{1.5, 0.5, 1, 0.1}, []float64{2, 1, 1, 3}, 0.5, 1, 250}, // four
	}
	for _, tt := range tests {
		name := fmt.Sprintf("MMPPM1(%v, %v, %v, %v)", tt.factors, tt.sojourns, tt.lambda, tt.mu)
		got, err := MMPPM1(tt.factors, tt.sojourns, tt.lambda, tt.mu)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The rates, from DESIGN.md's formula written out here.
		var sd, sfd float64
		for i, d := range tt.sojourns {
			sd += d
			sfd += tt.factors[i] * d
		}
		rates := make([]float64, len(tt.factors))
		for i, f := range tt.factors {
			rates[i] = f * tt.lambda * sd / sfd
			if !near(got.Rates[i], rates[i], 1e-14) {
				t.Errorf("%s: rate %d = %v, want %v", name, i, got.Rates[i], rates[i])
			}
		}
		meanN, levels, phases, empty := bruteMMPP(t, rates, tt.sojourns, tt.mu, tt.K)
		var tail float64
		for k := 3 * tt.K / 4; k <= tt.K; k++ {
			tail += levels[k]
		}
		if tail > 1e-12 {
			t.Fatalf("%s: K = %d too small, top quarter holds %g (decay %v)", name, tt.K, tail, got.Decay)
		}
		// The phases' marginal gives back the mean rate (theta proportional to d).
		var rate, idleArrivals float64
		for i := range rates {
			rate += phases[i] * rates[i]
			idleArrivals += empty[i] * rates[i]
		}
		if !near(rate, tt.lambda, 1e-10) {
			t.Errorf("%s: brute-force mean rate %v, want %v", name, rate, tt.lambda)
		}
		wantT := meanN / tt.lambda
		want := Result{wantT, wantT - 1/tt.mu, 1 - idleArrivals/tt.lambda, tt.lambda / tt.mu}
		checkResult(t, name, got.Result, want, 1e-9)
		if !near(got.MeanNumber, meanN, 1e-9) || !near(got.PIdle, levels[0], 1e-9) || !near(got.PIdle, 1-tt.lambda/tt.mu, 1e-9) {
			t.Errorf("%s: E[N] %v, P(idle) %v; brute force %v, %v", name, got.MeanNumber, got.PIdle, meanN, levels[0])
		}
		// Far out, the levels fall geometrically at rate Decay.
		if k := tt.K / 4; !near(levels[k+1]/levels[k], got.Decay, 1e-6) {
			t.Errorf("%s: levels %d..%d fall by %v, decay %v", name, k, k+1, levels[k+1]/levels[k], got.Decay)
		}
		t.Logf("%s: E[T] %.6g (M/M/1 %.6g), decay %.4f", name, got.MeanResponse, MM1(tt.lambda, tt.mu).MeanResponse, got.Decay)
	}
}

// TestMMPPM1Burstiness: at the same mean rate, factors further apart (up to
// on/off) and longer sojourns both raise the mean response; very short
// sojourns average the rate out (M/M/1), very long ones leave each phase in
// its own steady state for long stretches, so E[N] tends to the
// time-weighted mean of the phases' M/M/1 values (all below mu here).
func TestMMPPM1Burstiness(t *testing.T) {
	const lambda, mu = 0.6, 1.0
	prev := MM1(lambda, mu).MeanResponse
	for _, a := range []float64{0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1} {
		r, err := MMPPM1([]float64{1 + a, 1 - a}, []float64{2, 2}, lambda, mu)
		if err != nil {
			t.Fatal(err)
		}
		if !(r.MeanResponse > prev) {
			t.Errorf("factors 1 +- %v: E[T] %v not above %v", a, r.MeanResponse, prev)
		}
		prev = r.MeanResponse
	}
	prev = MM1(lambda, mu).MeanResponse
	for _, d := range []float64{0.01, 0.1, 1, 10, 100} {
		r, err := MMPPM1([]float64{3, 0.5, 0}, []float64{d, 2 * d, d}, lambda, mu)
		if err != nil {
			t.Fatal(err)
		}
		if !(r.MeanResponse > prev) {
			t.Errorf("sojourns x %v: E[T] %v not above %v", d, r.MeanResponse, prev)
		}
		prev = r.MeanResponse
	}
	fast, err := MMPPM1([]float64{3, 0.5, 0}, []float64{1e-6, 2e-6, 1e-6}, lambda, mu)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, "fast switching", fast.Result, MM1(lambda, mu), 1e-4)
	// Slow switching: phases 1.5 lambda and 0.5 lambda, half the time each.
	slow, err := MMPPM1([]float64{1.5, 0.5}, []float64{1e5, 1e5}, lambda, mu)
	if err != nil {
		t.Fatal(err)
	}
	var wantN float64
	for _, f := range []float64{1.5, 0.5} {
		rho := f * lambda / mu
		wantN += 0.5 * rho / (1 - rho)
	}
	if !near(slow.MeanNumber, wantN, 1e-3) {
		t.Errorf("slow switching: E[N] %v, want about %v", slow.MeanNumber, wantN)
	}
	if math.IsInf(slow.MeanResponse, 0) || !slow.Stable() {
		t.Errorf("slow switching: %+v", slow)
	}
}

// TestMMPPM1Edges: rho >= 1 is unstable (a state, no error), no arrivals
// is an idle server, and parameters outside the domain panic.
func TestMMPPM1Edges(t *testing.T) {
	for _, lambda := range []float64{1, 1.5} {
		r, err := MMPPM1([]float64{2, 0}, []float64{1, 1}, lambda, 1)
		if err != nil || r.Stable() || !math.IsInf(r.MeanResponse, 1) || !math.IsInf(r.MeanNumber, 1) || r.Utilization != lambda {
			t.Errorf("MMPPM1 at rho %v = %+v, %v; want unstable", lambda, r, err)
		}
	}
	r, err := MMPPM1([]float64{2, 0}, []float64{1, 1}, 0, 4)
	if err != nil || r.MeanResponse != 0.25 || r.MeanNumber != 0 || r.PIdle != 1 {
		t.Errorf("MMPPM1 with no arrivals = %+v, %v", r, err)
	}
	// Close to 1 the reduction still converges.
	r, err = MMPPM1([]float64{2, 0.5}, []float64{1, 1}, 0.999, 1)
	if err != nil || !(r.MeanResponse > MM1(0.999, 1).MeanResponse) || !near(r.PIdle, 0.001, 1e-6) {
		t.Errorf("MMPPM1 at rho 0.999 = %v, P(idle) %v, %v", r.MeanResponse, r.PIdle, err)
	}
	// Closer still, rounding wins and MMPPM1 says so.
	if r, err := MMPPM1([]float64{4, 0.25}, []float64{1, 4}, 100*(1-1e-6), 100); err == nil {
		t.Errorf("MMPPM1 at rho 1 - 1e-6 = %+v, want an error", r)
	}
	for name, f := range map[string]func(){
		"no phases":         func() { MMPPM1(nil, nil, 0.5, 1) },
		"lengths differ":    func() { MMPPM1([]float64{1, 2}, []float64{1}, 0.5, 1) },
		"factor < 0":        func() { MMPPM1([]float64{-1, 2}, []float64{1, 1}, 0.5, 1) },
		"factor NaN":        func() { MMPPM1([]float64{math.NaN(), 2}, []float64{1, 1}, 0.5, 1) },
		"all factors 0":     func() { MMPPM1([]float64{0, 0}, []float64{1, 1}, 0.5, 1) },
		"sojourn 0":         func() { MMPPM1([]float64{1, 2}, []float64{0, 1}, 0.5, 1) },
		"sojourn Inf":       func() { MMPPM1([]float64{1, 2}, []float64{math.Inf(1), 1}, 0.5, 1) },
		"mean rate < 0":     func() { MMPPM1([]float64{1, 2}, []float64{1, 1}, -0.5, 1) },
		"mu 0":              func() { MMPPM1([]float64{1, 2}, []float64{1, 1}, 0.5, 0) },
		"MMPPBase no phase": func() { MMPPBase(nil, nil, 1) },
		"MMPPBase rate NaN": func() { MMPPBase([]float64{1}, []float64{1}, math.NaN()) },
		"generator empty":   func() { MMPPGenerator(nil) },
		"generator d < 0":   func() { MMPPGenerator([]float64{1, -1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// naturalR solves A0 + R A1 + R^2 A2 = 0 by the natural fixed-point
// iteration R <- -(A0 + R^2 A2) A1^-1 from R = 0 (linear convergence,
// monotone [N §1.2]), independently of the logarithmic reduction, and
// returns E[N] from it: pi_0 from pi_0 (B1 + R A2) = 0 and pi_0 (I-R)^-1 1 = 1,
// then E[N] = sum_k k pi_0 R^k 1 summed level by level.
func naturalR(t *testing.T, rates, sojourns []float64, mu float64) float64 {
	t.Helper()
	n := len(rates)
	a0 := mat.NewDense(n, n, nil)
	a1 := mat.NewDense(n, n, nil)
	for i := range n {
		a0.Set(i, i, rates[i])
		a1.Set(i, i, -rates[i]-mu)
		if n > 1 {
			a1.Set(i, i, a1.At(i, i)-1/sojourns[i])
			for j := range n {
				if j != i {
					a1.Set(i, j, 1/(sojourns[i]*float64(n-1)))
				}
			}
		}
	}
	var a1inv mat.Dense
	if err := a1inv.Inverse(a1); err != nil {
		t.Fatal(err)
	}
	r := mat.NewDense(n, n, nil)
	var next, sq mat.Dense
	for it := 0; ; it++ {
		sq.Mul(r, r)
		sq.Scale(mu, &sq) // R^2 A2, A2 = mu I
		sq.Add(&sq, a0)
		next.Mul(&sq, &a1inv)
		next.Scale(-1, &next)
		diff := mat.Norm(&next, math.Inf(1)) - mat.Norm(r, math.Inf(1))
		r.Copy(&next)
		if math.Abs(diff) < 1e-17 && it > 10 {
			break
		}
		if it > 5e6 {
			t.Fatal("natural iteration did not converge")
		}
	}
	// Boundary: columns of (B1 + R A2)^T with the first replaced by
	// (I-R)^-1 1, found here as the sum of the levels' masses.
	c := mat.DenseCopyOf(a1)
	for i := range n {
		c.Set(i, i, c.At(i, i)+mu+r.At(i, i)*mu)
		for j := range n {
			if j != i {
				c.Set(i, j, c.At(i, j)+r.At(i, j)*mu)
			}
		}
	}
	// level sums: v = sum_k R^k 1 and w = sum_k k R^k 1, until R^k is negligible.
	v := make([]float64, n)
	w := make([]float64, n)
	pow := mat.NewDense(n, n, nil)
	for i := range n {
		pow.Set(i, i, 1)
	}
	var tmp mat.Dense
	for k := 0; mat.Norm(pow, math.Inf(1)) > 1e-18; k++ {
		for i := range n {
			s := mat.Sum(pow.RowView(i))
			v[i] += s
			w[i] += float64(k) * s
		}
		tmp.Mul(pow, r)
		pow.Copy(&tmp)
	}
	sys := mat.DenseCopyOf(c.T())
	sys.SetRow(0, v)
	rhs := mat.NewVecDense(n, nil)
	rhs.SetVec(0, 1)
	var pi0 mat.VecDense
	if err := pi0.SolveVec(sys, rhs); err != nil {
		t.Fatal(err)
	}
	return mat.Dot(&pi0, mat.NewVecDense(n, w))
}

// TestMMPPM1Natural covers heavier cases than the truncated chain can
// (decay close to 1, DESIGN.md's example at load 0.7) with the natural
// iteration for R and level-by-level sums.
func TestMMPPM1Natural(t *testing.T) {
	tests := []struct {
		factors, sojourns []float64
		lambda, mu        float64
	}{
		{[]float64{4, 0.25}, []float64{1, 4}, 70, 100},
		{[]float64{4, 0.25}, []float64{1, 4}, 0.5, 1},
		{[]float64{0, 2, 5}, []float64{1, 0.3, 0.1}, 9, 10},
		{[]float64{1, 0}, []float64{0.5, 0.5}, 20, 50},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("MMPPM1(%v, %v, %v, %v)", tt.factors, tt.sojourns, tt.lambda, tt.mu)
		got, err := MMPPM1(tt.factors, tt.sojourns, tt.lambda, tt.mu)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := naturalR(t, got.Rates, tt.sojourns, tt.mu)
		if !near(got.MeanNumber, want, 1e-8) {
			t.Errorf("%s: E[N] %v, natural iteration %v", name, got.MeanNumber, want)
		}
	}
}
