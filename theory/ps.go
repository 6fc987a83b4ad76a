package theory

import (
	"fmt"
	"math"
)

// Processor sharing (DESIGN.md §7, servers[].discipline: ps).
//
//	[HB ch. 22, ch. 30], [K §4.4 (vol. 2: M/G/1-PS)]: the M/G/1-PS queue is
//	insensitive: its number in system is geometric, P(n) = (1-rho) rho^n,
//	whatever the service distribution beyond its mean, so
//
//	rho = lambda E[S],  E[N] = rho / (1 - rho),  E[T] = E[S] / (1 - rho)
//
// and a job of size x, whatever the others' sizes, spends on average
//
//	E[T(x)] = x / (1 - rho)
//
// (the slowdown E[T(x)]/x = 1/(1-rho) is the same for every size: PS is fair).

// MG1PS is the M/G/1 processor-sharing queue: Poisson arrivals at rate
// lambda, service times of mean meanS seconds (any distribution), one server
// shared equally by the jobs present. MeanWait is E[T] - E[S], the time a job
// loses to sharing; PWait is the probability an arrival finds another job
// (rho), so that it is served at less than full speed.
func MG1PS(lambda, meanS float64) Result {
	if !(meanS > 0) || math.IsInf(meanS, 1) {
		panic(fmt.Sprintf("theory.MG1PS: mean service time must be finite and > 0, got %v", meanS))
	}
	checkRates("MG1PS", lambda, 1/meanS)
	rho := lambda * meanS
	if rho >= 1 {
		return unstable(rho)
	}
	t := meanS / (1 - rho)
	return Result{MeanResponse: t, MeanWait: t - meanS, PWait: rho, Utilization: rho}
}

// MG1PSSize is the mean response time of a job of size x seconds at an
// M/G/1-PS queue of load rho: x / (1 - rho). +Inf when rho >= 1.
func MG1PSSize(x, rho float64) float64 {
	if !(x >= 0) || math.IsInf(x, 1) || !(rho >= 0) {
		panic(fmt.Sprintf("theory.MG1PSSize: need finite x >= 0 and rho >= 0, got %v, %v", x, rho))
	}
	if rho >= 1 {
		return math.Inf(1)
	}
	return x / (1 - rho)
}
