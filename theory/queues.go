// Package theory holds the closed-form queueing results that the simulator is
// tested against and that plots draw next to measured curves: M/M/1, M/M/c
// (Erlang C), M/G/1 (Pollaczek-Khinchine), G/M/1 and the queue behind a
// round-robin balancer, random routing, Mitzenmacher's power-of-d-choices
// limit, and the expected Jain index of random routing. For the traffic of
// DESIGN.md §7: MMPP/M/1 (bursty Markov-modulated arrivals, exact by the
// matrix-geometric method, linear algebra by gonum), exact Mean Value
// Analysis of a closed loop of users (MVA, ClosedMVA), and the multi-class
// M/G/1 FIFO queue (MG1Classes, SizedClass); processor sharing: M/G/1-PS
// (MG1PS, MG1PSSize).
//
// Rates are per second and times in seconds (or, where said, in units of the
// mean service time). Each formula is written above its code with a source:
//
//	[K]  L. Kleinrock, Queueing Systems, Volume 1: Theory, Wiley, 1975.
//	[HB] M. Harchol-Balter, Performance Modeling and Design of Computer
//	     Systems, Cambridge University Press, 2013.
//	[M]  M. Mitzenmacher, The Power of Two Choices in Randomized Load
//	     Balancing, IEEE TPDS 12(10), 2001.
//	[LR] G. Latouche, V. Ramaswami, Introduction to Matrix Analytic Methods
//	     in Stochastic Modeling, ASA-SIAM, 1999.
//	[RL] M. Reiser, S. S. Lavenberg, Mean-Value Analysis of Closed
//	     Multichain Queuing Networks, JACM 27(2), 1980.
//
// Functions panic on parameters outside their domain (a negative rate, no
// servers): those are bugs of the caller, not states of a system. An unstable
// system (utilisation >= 1) is a state: its mean times are +Inf. MMPPM1
// alone also returns an error, for a numerical failure of its solver.
package theory

import (
	"fmt"
	"math"
)

// Result is the steady state of a queue, for a random arrival.
type Result struct {
	MeanResponse float64 // E[T], seconds: waiting plus service
	MeanWait     float64 // E[W], seconds in the queue before service
	PWait        float64 // probability that an arrival waits (finds all servers busy)
	Utilization  float64 // rho: offered load per server, lambda/(c mu); may exceed 1
}

// Stable reports whether the queue has a steady state (rho < 1).
func (r Result) Stable() bool { return r.Utilization < 1 }

func unstable(rho float64) Result {
	return Result{MeanResponse: math.Inf(1), MeanWait: math.Inf(1), PWait: 1, Utilization: rho}
}

func checkRates(fn string, lambda, mu float64) {
	if !(lambda >= 0) || math.IsInf(lambda, 1) {
		panic(fmt.Sprintf("theory.%s: arrival rate must be finite and >= 0, got %v", fn, lambda))
	}
	if !(mu > 0) || math.IsInf(mu, 1) {
		panic(fmt.Sprintf("theory.%s: service rate must be finite and > 0, got %v", fn, mu))
	}
}

// MM1 is the M/M/1 queue: Poisson arrivals at rate lambda, exponential
// service at rate mu, one server, FIFO. [K §3.2], [HB ch. 13]:
//
//	rho = lambda/mu,  E[T] = 1/(mu - lambda),  E[W] = rho/(mu - lambda),  P(wait) = rho
func MM1(lambda, mu float64) Result {
	checkRates("MM1", lambda, mu)
	rho := lambda / mu
	if rho >= 1 {
		return unstable(rho)
	}
	return Result{
		MeanResponse: 1 / (mu - lambda),
		MeanWait:     rho / (mu - lambda),
		PWait:        rho,
		Utilization:  rho,
	}
}

// ErlangB is the Erlang B (loss) formula B(c, a) for c servers and offered
// load a = lambda/mu Erlangs, by the standard recursion (Jagerman 1974), stable for
// any c (no factorials, every step in (0, 1]):
//
//	B(0, a) = 1,  B(k, a) = a B(k-1, a) / (k + a B(k-1, a))
func ErlangB(c int, a float64) float64 {
	if c < 0 || !(a >= 0) || math.IsInf(a, 1) {
		panic(fmt.Sprintf("theory.ErlangB: need c >= 0 and finite a >= 0, got c=%d a=%v", c, a))
	}
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// ErlangC is the probability that an arrival waits in an M/M/c queue with
// offered load a = lambda/mu < c, from Erlang B [HB ch. 14]:
//
//	C(c, a) = c B / (c - a (1 - B)),  B = B(c, a)
//
// It is 1 for a >= c (every arrival eventually waits).
func ErlangC(c int, a float64) float64 {
	if c < 1 {
		panic(fmt.Sprintf("theory.ErlangC: need c >= 1 servers, got %d", c))
	}
	if a >= float64(c) {
		return 1
	}
	b := ErlangB(c, a)
	return float64(c) * b / (float64(c) - a*(1-b))
}

// MMc is the M/M/c queue: Poisson arrivals at rate lambda, c servers each
// serving at rate mu, one FIFO queue. [K §3.5], [HB ch. 14]:
//
//	a = lambda/mu,  rho = a/c,  P(wait) = C(c, a)
//	E[W] = C(c, a) / (c mu - lambda),  E[T] = E[W] + 1/mu
func MMc(lambda, mu float64, c int) Result {
	checkRates("MMc", lambda, mu)
	if c < 1 {
		panic(fmt.Sprintf("theory.MMc: need c >= 1 servers, got %d", c))
	}
	a := lambda / mu
	rho := a / float64(c)
	if rho >= 1 {
		return unstable(rho)
	}
	pw := ErlangC(c, a)
	w := pw / (float64(c)*mu - lambda)
	return Result{MeanResponse: w + 1/mu, MeanWait: w, PWait: pw, Utilization: rho}
}

// MG1 is the M/G/1 queue: Poisson arrivals at rate lambda, service times with
// mean meanS (seconds) and second moment secondMomentS = E[S^2] (seconds^2),
// one server, FIFO. Pollaczek-Khinchine [K ch. 5], [HB ch. 23]:
//
//	rho = lambda E[S],  E[W] = lambda E[S^2] / (2 (1 - rho)),  E[T] = E[W] + E[S]
//	P(wait) = rho  (Poisson arrivals see time averages)
//
// An infinite E[S^2] (pareto with alpha <= 2) gives an infinite E[W] at any
// load above 0.
func MG1(lambda, meanS, secondMomentS float64) Result {
	if !(meanS > 0) || math.IsInf(meanS, 1) {
		panic(fmt.Sprintf("theory.MG1: mean service time must be finite and > 0, got %v", meanS))
	}
	checkRates("MG1", lambda, 1/meanS)
	if !(secondMomentS >= meanS*meanS*(1-1e-12)) {
		panic(fmt.Sprintf("theory.MG1: E[S^2] = %v cannot be below E[S]^2 = %v", secondMomentS, meanS*meanS))
	}
	rho := lambda * meanS
	if rho >= 1 {
		return unstable(rho)
	}
	w := 0.0
	if lambda > 0 {
		w = lambda * secondMomentS / (2 * (1 - rho))
	}
	return Result{MeanResponse: w + meanS, MeanWait: w, PWait: rho, Utilization: rho}
}

// MD1 is the M/D/1 queue, M/G/1 with constant service 1/mu: E[S^2] = E[S]^2,
// so E[W] = rho / (2 mu (1 - rho)), half the M/M/1 wait.
func MD1(lambda, mu float64) Result {
	checkRates("MD1", lambda, mu)
	return MG1(lambda, 1/mu, 1/(mu*mu))
}
