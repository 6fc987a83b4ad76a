package theory

import (
	"fmt"
	"math"
)

// GM1 is the G/M/1 queue: renewal arrivals at rate lambda whose interarrival
// time has Laplace-Stieltjes transform lst(s) = E[exp(-s A)], exponential
// service at rate mu, one server, FIFO. [K ch. 6]: an arrival finds the
// server busy with probability sigma, the root in (0, 1) of
//
//	sigma = A*(mu (1 - sigma))
//
// and then
//
//	E[T] = 1 / (mu (1 - sigma)),  E[W] = sigma / (mu (1 - sigma)),  P(wait) = sigma
//
// The root exists when rho = lambda/mu < 1. f(sigma) = A*(mu(1-sigma)) - sigma
// is convex with f(0) = A*(mu) > 0 and f(1) = 0, f'(1) = 1/rho - 1 > 0, so f is
// positive below the root and negative between it and 1: bisection on
// [0, 1] keeps that invariant and needs no derivative. lst must be the
// transform of a positive random variable with mean 1/lambda (decreasing,
// convex, lst(0) = 1); it is not checked.
func GM1(lambda, mu float64, lst func(s float64) float64) Result {
	checkRates("GM1", lambda, mu)
	rho := lambda / mu
	if rho >= 1 {
		return unstable(rho)
	}
	if lambda == 0 {
		return Result{MeanResponse: 1 / mu}
	}
	sigma := solveSigma(mu, lst)
	return Result{
		MeanResponse: 1 / (mu * (1 - sigma)),
		MeanWait:     sigma / (mu * (1 - sigma)),
		PWait:        sigma,
		Utilization:  rho,
	}
}

// solveSigma finds the root of A*(mu(1-sigma)) = sigma in (0, 1) by bisection
// to float64 resolution.
func solveSigma(mu float64, lst func(float64) float64) float64 {
	lo, hi := 0.0, 1.0
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if lst(mu*(1-mid))-mid > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}

// ErlangLST is the Laplace-Stieltjes transform of the Erlang(k, rate)
// distribution (the sum of k exponentials of the given rate, mean k/rate):
//
//	A*(s) = (rate / (rate + s))^k
func ErlangLST(k int, rate float64) func(s float64) float64 {
	return func(s float64) float64 { return math.Pow(rate/(rate+s), float64(k)) }
}

// RoundRobin is the queue at one of n identical single-worker servers (rate
// mu each) when a balancer deals a Poisson stream of total rate lambda to
// them in turn. Each server receives every n-th arrival, so its interarrival
// times are sums of n exponentials of rate lambda: an E_n/M/1 queue,
//
//	A*(s) = (lambda / (lambda + s))^n,  per-server rate lambda/n,  rho = lambda/(n mu)
//
// solved by GM1. n = 1 is M/M/1. For n = 2 and lambda = mu = 1, sigma =
// (3 - sqrt 5)/2 and E[T] is the golden ratio.
func RoundRobin(lambda, mu float64, n int) Result {
	checkRates("RoundRobin", lambda, mu)
	if n < 1 {
		panic(fmt.Sprintf("theory.RoundRobin: need n >= 1 servers, got %d", n))
	}
	return GM1(lambda/float64(n), mu, ErlangLST(n, lambda))
}

// RandomRouting is the queue at one of n identical single-worker servers
// (rate mu each) when a balancer sends each arrival of a Poisson stream of
// total rate lambda to a server chosen uniformly at random: thinning a
// Poisson process gives Poisson streams, so each server is M/M/1 at lambda/n.
func RandomRouting(lambda, mu float64, n int) Result {
	checkRates("RandomRouting", lambda, mu)
	if n < 1 {
		panic(fmt.Sprintf("theory.RandomRouting: need n >= 1 servers, got %d", n))
	}
	return MM1(lambda/float64(n), mu)
}
