package theory

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// MMPPResult is the steady state of the MMPP/M/1 queue. Its Result has the
// mean response and wait per arrival, the probability that an arrival finds
// the server busy (PWait, weighted by the arrival rate of the phase it comes
// in) and the utilisation rho = meanRate/mu.
type MMPPResult struct {
	Result
	MeanNumber float64   // E[N], time-average number in the system (queue and service)
	PIdle      float64   // time-average probability of an empty system; 1 - rho in theory
	Base       float64   // the base rate: phase i's arrival rate is factors[i] x Base
	Rates      []float64 // the phases' arrival rates lambda_i = factors[i] x Base
	Decay      float64   // spectral radius of R: P(N >= k) falls like Decay^k for large k
}

// MMPPGenerator is the generator D of the chain that modulates the arrivals
// of DESIGN.md §7: phase i lasts an exponential time of mean sojourns[i], and
// on leaving it the next phase is drawn uniformly from the n-1 others, so
//
//	D_ij = 1 / (sojourns[i] (n - 1))  (j != i),  D_ii = -1 / sojourns[i]
//
// With one phase D = [0]. The chain is irreducible for n >= 1, and its
// stationary distribution is theta_i = sojourns[i] / sum(sojourns): with
// uniform jumps the embedded jump chain is uniform over the phases, and each
// visit to phase i lasts sojourns[i] on average.
func MMPPGenerator(sojourns []float64) *mat.Dense {
	n := len(sojourns)
	if n == 0 {
		panic("theory.MMPPGenerator: need at least one phase")
	}
	for i, s := range sojourns {
		if !(s > 0) || math.IsInf(s, 1) {
			panic(fmt.Sprintf("theory.MMPPGenerator: mean sojourn %d must be finite and > 0 seconds, got %v", i, s))
		}
	}
	d := mat.NewDense(n, n, nil)
	for i, s := range sojourns {
		if n == 1 {
			break
		}
		for j := range n {
			if j == i {
				d.Set(i, j, -1/s)
			} else {
				d.Set(i, j, 1/(s*float64(n-1)))
			}
		}
	}
	return d
}

// MMPPBase is the base rate of the Markov-modulated Poisson process of
// DESIGN.md §7 whose long-run mean rate is meanRate: with the stationary
// distribution theta_i = d_i / sum(d) of MMPPGenerator, the mean rate is
// sum(theta_i f_i base), so
//
//	base = meanRate x sum(d_i) / sum(f_i d_i)
func MMPPBase(factors, sojourns []float64, meanRate float64) float64 {
	checkMMPP("MMPPBase", factors, sojourns)
	if !(meanRate >= 0) || math.IsInf(meanRate, 1) {
		panic(fmt.Sprintf("theory.MMPPBase: mean rate must be finite and >= 0, got %v", meanRate))
	}
	var sd, sfd float64
	for i, d := range sojourns {
		sd += d
		sfd += factors[i] * d
	}
	return meanRate * sd / sfd
}

func checkMMPP(fn string, factors, sojourns []float64) {
	if len(factors) == 0 || len(factors) != len(sojourns) {
		panic(fmt.Sprintf("theory.%s: need as many factors as sojourns, at least one; got %d and %d", fn, len(factors), len(sojourns)))
	}
	pos := false
	for i, f := range factors {
		if !(f >= 0) || math.IsInf(f, 1) {
			panic(fmt.Sprintf("theory.%s: factor %d must be finite and >= 0, got %v", fn, i, f))
		}
		if d := sojourns[i]; !(d > 0) || math.IsInf(d, 1) {
			panic(fmt.Sprintf("theory.%s: mean sojourn %d must be finite and > 0 seconds, got %v", fn, i, d))
		}
		pos = pos || f > 0
	}
	if !pos {
		panic(fmt.Sprintf("theory.%s: every factor is 0", fn))
	}
}

// MMPPM1 is the MMPP/M/1 queue, solved exactly by the matrix-geometric
// method: arrivals from the Markov-modulated Poisson process of DESIGN.md §7
// (phase i has rate lambda_i = factors[i] x base and lasts an exponential time
// of mean sojourns[i] seconds, the next phase uniform over the others; base
// from MMPPBase so that the long-run mean rate is meanRate), one exponential
// server of rate mu, FIFO, no limit on the queue.
//
// The number in system and the phase form a level-independent
// quasi-birth-death process [LR ch. 6], [N ch. 3], with D = MMPPGenerator(sojourns)
// and Lambda = diag(lambda_i), levels k = 0, 1, ... and blocks
//
//	A0 = Lambda (up),  A1 = D - Lambda - mu I (local, k >= 1),  A2 = mu I (down)
//	B1 = D - Lambda (local at k = 0)
//
// Its stationary vector is matrix-geometric from level 0, pi_k = pi_0 R^k,
// where R is the minimal nonnegative solution of A0 + R A1 + R^2 A2 = 0. R
// comes from G, the minimal solution of A2 + A1 G + A0 G^2 = 0, computed by
// logarithmic reduction [LR §8.4] (quadratic convergence; G is stochastic
// when rho < 1, which is the stopping test, with a stall of the iteration),
// as R = A0 (-(A1 + A0 G))^-1.
// pi_0 solves the boundary equations and the normalisation
//
//	pi_0 (B1 + R A2) = 0,  pi_0 (I - R)^-1 1 = 1
//
// and then
//
//	E[N] = pi_0 R (I - R)^-2 1,  E[T] = E[N] / meanRate (Little),  E[W] = E[T] - 1/mu
//	P(wait) = 1 - pi_0 Lambda 1 / meanRate
//
// Linear systems are solved by gonum (LU). With every factor equal the
// process is Poisson and the result is M/M/1. rho = meanRate/mu >= 1 is
// unstable (+Inf means, no error); parameters outside the domain (no phase,
// a negative factor, every factor 0, a sojourn <= 0, a negative rate, mu <= 0)
// panic. The error reports a numerical failure: logarithmic reduction not
// converging, a singular system, or a result that fails the check
// pi_0 1 = 1 - rho (the server idles a fraction 1 - rho of the time) by more
// than 1e-6 relative. Rounding errors grow quickly as rho nears 1: DESIGN.md's
// two-phase example passes at rho = 1 - 1e-4 (error 3e-7) and fails at
// 1 - 1e-5.
//
//	[LR] G. Latouche, V. Ramaswami, Introduction to Matrix Analytic Methods
//	     in Stochastic Modeling, ASA-SIAM, 1999.
//	[N]  M. F. Neuts, Matrix-Geometric Solutions in Stochastic Models,
//	     Johns Hopkins University Press, 1981.
func MMPPM1(factors, sojourns []float64, meanRate, mu float64) (MMPPResult, error) {
	checkMMPP("MMPPM1", factors, sojourns)
	checkRates("MMPPM1", meanRate, mu)
	n := len(factors)
	base := MMPPBase(factors, sojourns, meanRate)
	rates := make([]float64, n)
	for i, f := range factors {
		rates[i] = f * base
	}
	rho := meanRate / mu
	res := MMPPResult{Base: base, Rates: rates}
	if rho >= 1 {
		res.Result = unstable(rho)
		res.MeanNumber = math.Inf(1)
		res.Decay = 1
		return res, nil
	}
	if meanRate == 0 {
		res.Result = Result{MeanResponse: 1 / mu}
		res.PIdle = 1
		return res, nil
	}

	d := MMPPGenerator(sojourns)
	lam := mat.NewDiagDense(n, rates)
	a0 := mat.DenseCopyOf(lam)
	a1 := mat.NewDense(n, n, nil)
	a1.Sub(d, lam)
	b1 := mat.DenseCopyOf(a1)
	for i := range n {
		a1.Set(i, i, a1.At(i, i)-mu)
	}
	a2 := mat.NewDense(n, n, nil)
	for i := range n {
		a2.Set(i, i, mu)
	}

	g, err := qbdG(a0, a1, a2)
	if err != nil {
		return res, err
	}
	// R = A0 (-(A1 + A0 G))^-1, i.e. R M = A0 with M = -(A1 + A0 G): solve
	// M^T R^T = A0^T.
	m := mat.NewDense(n, n, nil)
	m.Mul(a0, g)
	m.Add(m, a1)
	m.Scale(-1, m)
	var rt mat.Dense
	if err := rt.Solve(m.T(), a0.T()); err != nil {
		return res, fmt.Errorf("theory.MMPPM1: R: %w", err)
	}
	r := mat.DenseCopyOf(rt.T())

	// I - R, (I - R)^-1 1 and (I - R)^-2 1.
	imr := mat.NewDense(n, n, nil)
	imr.Scale(-1, r)
	for i := range n {
		imr.Set(i, i, 1+imr.At(i, i))
	}
	ones := mat.NewVecDense(n, nil)
	for i := range n {
		ones.SetVec(i, 1)
	}
	var v, w mat.VecDense
	if err := v.SolveVec(imr, ones); err != nil {
		return res, fmt.Errorf("theory.MMPPM1: (I-R)^-1: %w", err)
	}
	if err := w.SolveVec(imr, &v); err != nil {
		return res, fmt.Errorf("theory.MMPPM1: (I-R)^-2: %w", err)
	}

	// pi_0 C = 0 with C = B1 + R A2, one of whose equations is redundant,
	// and pi_0 v = 1: transpose and put the normalisation in place of the
	// first equation.
	c := mat.NewDense(n, n, nil)
	c.Mul(r, a2)
	c.Add(c, b1)
	sys := mat.DenseCopyOf(c.T())
	sys.SetRow(0, v.RawVector().Data)
	rhs := mat.NewVecDense(n, nil)
	rhs.SetVec(0, 1)
	var pi0 mat.VecDense
	if err := pi0.SolveVec(sys, rhs); err != nil {
		return res, fmt.Errorf("theory.MMPPM1: boundary: %w", err)
	}

	var rw mat.VecDense
	rw.MulVec(r, &w)
	l := mat.Dot(&pi0, &rw)
	var idle, idleArrivals float64
	for i := range n {
		idle += pi0.AtVec(i)
		idleArrivals += pi0.AtVec(i) * rates[i]
	}
	// The server is idle a fraction 1 - rho of the time whatever the
	// arrivals: how far pi_0 1 is from it measures what rounding cost.
	if e := math.Abs(idle/(1-rho) - 1); !(e <= 1e-6) {
		return res, fmt.Errorf("theory.MMPPM1: inaccurate at rho = %v: P(idle) = %v, not 1 - rho (relative error %.2g)", rho, idle, e)
	}
	t := l / meanRate
	res.Result = Result{
		MeanResponse: t,
		MeanWait:     t - 1/mu,
		PWait:        1 - idleArrivals/meanRate,
		Utilization:  rho,
	}
	res.MeanNumber = l
	res.PIdle = idle
	res.Decay = spectralRadius(r)
	return res, nil
}

// qbdG is the minimal nonnegative solution G of A2 + A1 G + A0 G^2 = 0 for a
// positive recurrent QBD (A0 up, A1 local, A2 down), by the logarithmic
// reduction of Latouche and Ramaswami [LR §8.4]:
//
//	H = (-A1)^-1 A0,  L = (-A1)^-1 A2,  G = L,  T = H
//	repeat:  U = H L + L H
//	         H = (I - U)^-1 H^2,  L = (I - U)^-1 L^2
//	         G = G + T L,  T = T H
//
// until G 1 = 1 to within 1e-14, or until a step changes nothing (T has
// vanished). Step j accounts for first passages through levels up to 2^j
// above the start.
func qbdG(a0, a1, a2 *mat.Dense) (*mat.Dense, error) {
	n, _ := a0.Dims()
	negA1 := mat.NewDense(n, n, nil)
	negA1.Scale(-1, a1)
	var h, l mat.Dense
	if err := h.Solve(negA1, a0); err != nil {
		return nil, fmt.Errorf("theory: logarithmic reduction: %w", err)
	}
	if err := l.Solve(negA1, a2); err != nil {
		return nil, fmt.Errorf("theory: logarithmic reduction: %w", err)
	}
	g := mat.DenseCopyOf(&l)
	t := mat.DenseCopyOf(&h)
	var u, hl, sq, tl, th mat.Dense
	imu := mat.NewDense(n, n, nil)
	for iter := 0; iter < 100; iter++ {
		u.Mul(&h, &l)
		hl.Mul(&l, &h)
		u.Add(&u, &hl)
		imu.Scale(-1, &u)
		for i := range n {
			imu.Set(i, i, 1+imu.At(i, i))
		}
		sq.Mul(&h, &h)
		if err := h.Solve(imu, &sq); err != nil {
			return nil, fmt.Errorf("theory: logarithmic reduction: %w", err)
		}
		sq.Mul(&l, &l)
		if err := l.Solve(imu, &sq); err != nil {
			return nil, fmt.Errorf("theory: logarithmic reduction: %w", err)
		}
		tl.Mul(t, &l)
		g.Add(g, &tl)
		th.Mul(t, &h)
		t.Copy(&th)
		var gap float64
		for i := range n {
			gap = math.Max(gap, math.Abs(1-mat.Sum(g.RowView(i))))
		}
		// Done when G is stochastic, or when a further step changes
		// nothing: G is then as stochastic as rounding lets it be, and
		// MMPPM1 judges whether that is enough.
		if gap < 1e-14 || mat.Norm(&tl, math.Inf(1)) < 1e-17 {
			return g, nil
		}
	}
	return nil, errors.New("theory: logarithmic reduction did not converge in 100 steps")
}

// spectralRadius is the largest modulus of the eigenvalues of a.
func spectralRadius(a *mat.Dense) float64 {
	var e mat.Eigen
	if !e.Factorize(a, mat.EigenNone) {
		return math.NaN()
	}
	var sr float64
	for _, v := range e.Values(nil) {
		sr = math.Max(sr, math.Hypot(real(v), imag(v)))
	}
	return sr
}
