package theory

import (
	"fmt"
	"math"
)

// MVAResult is the steady state of a closed network with n users.
type MVAResult struct {
	Throughput   float64   // X, requests completed per second
	MeanResponse float64   // R, seconds from sending a request to its answer (think time excluded)
	Residence    []float64 // per station, seconds a request spends there on average (over all its visits)
	QueueLength  []float64 // per station, mean number of requests there (waiting and in service)
	Utilization  []float64 // per station, X x demand: the fraction of time it is busy
}

// MVA is exact Mean Value Analysis of a closed product-form network
// [RL], [LZGS ch. 6]: n users, each thinking for a time of mean think
// seconds (a delay station: any distribution, only its mean matters), then
// sending a request that visits queueing stations with service demands
// demands[k] seconds (visit ratio x mean service per visit), waits for the
// answer and thinks again. Each station is a single exponential FIFO server
// (or any processor-sharing one). With Q_k(0) = 0, for m = 1 .. n:
//
//	R_k(m) = D_k (1 + Q_k(m-1))       (an arrival sees the network with m-1 users: arrival theorem)
//	R(m)   = sum_k R_k(m)
//	X(m)   = m / (think + R(m))
//	Q_k(m) = X(m) R_k(m)              (Little, per station)
//
// and the result is at m = n. Every demand must be finite and > 0, think
// finite and >= 0, n >= 1; anything else panics.
//
//	[RL]   M. Reiser, S. S. Lavenberg, Mean-Value Analysis of Closed
//	       Multichain Queuing Networks, JACM 27(2), 1980.
//	[LZGS] E. D. Lazowska, J. Zahorjan, G. S. Graham, K. C. Sevcik,
//	       Quantitative System Performance, Prentice-Hall, 1984.
func MVA(n int, think float64, demands []float64) MVAResult {
	if n < 1 {
		panic(fmt.Sprintf("theory.MVA: need n >= 1 users, got %d", n))
	}
	if !(think >= 0) || math.IsInf(think, 1) {
		panic(fmt.Sprintf("theory.MVA: think time must be finite and >= 0, got %v", think))
	}
	if len(demands) == 0 {
		panic("theory.MVA: need at least one station")
	}
	for k, d := range demands {
		if !(d > 0) || math.IsInf(d, 1) {
			panic(fmt.Sprintf("theory.MVA: demand %d must be finite and > 0, got %v", k, d))
		}
	}
	K := len(demands)
	q := make([]float64, K)
	res := make([]float64, K)
	var x, r float64
	for m := 1; m <= n; m++ {
		r = 0
		for k, d := range demands {
			res[k] = d * (1 + q[k])
			r += res[k]
		}
		x = float64(m) / (think + r)
		for k := range q {
			q[k] = x * res[k]
		}
	}
	u := make([]float64, K)
	for k, d := range demands {
		u[k] = x * d
	}
	return MVAResult{Throughput: x, MeanResponse: r, Residence: res, QueueLength: q, Utilization: u}
}

// ClosedMVA is the closed loop of DESIGN.md §7 in front of a random
// balancer: n users each think for a time of mean think seconds, send a
// request that the balancer routes uniformly at random to one of k
// identical exponential FIFO servers of mean service time service seconds,
// and wait for the answer. Each server has visit ratio 1/k, so demand
// service/k, and MVA gives the throughput (requests per second) and the mean
// response time (seconds). By symmetry the recursion is one station's:
//
//	R(m) = service (1 + Q(m-1)),  X(m) = m / (think + R(m)),  Q(m) = X(m) R(m) / k
//
// Bounds [LZGS ch. 5]: X <= min(n / (think + service), k / service) and
// R >= max(service, n service / k - think), the first terms tight at n = 1
// and the second as n grows.
func ClosedMVA(n int, think, service float64, k int) (throughput, meanResponse float64) {
	if k < 1 {
		panic(fmt.Sprintf("theory.ClosedMVA: need k >= 1 servers, got %d", k))
	}
	if n < 1 {
		panic(fmt.Sprintf("theory.ClosedMVA: need n >= 1 users, got %d", n))
	}
	if !(think >= 0) || math.IsInf(think, 1) {
		panic(fmt.Sprintf("theory.ClosedMVA: think time must be finite and >= 0, got %v", think))
	}
	if !(service > 0) || math.IsInf(service, 1) {
		panic(fmt.Sprintf("theory.ClosedMVA: service time must be finite and > 0, got %v", service))
	}
	var q, x, r float64
	for m := 1; m <= n; m++ {
		r = service * (1 + q)
		x = float64(m) / (think + r)
		q = x * r / float64(k)
	}
	return x, r
}
