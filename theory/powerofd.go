package theory

import (
	"fmt"
	"math"
)

// PowerOfD is the mean response time, in units of the mean service time,
// of the supermarket model in the limit of many servers: n single-worker
// exponential servers, Poisson arrivals at rate rho n (rho < 1), each sent to
// the shortest of d queues chosen uniformly at random. [M]; Vvedenskaya,
// Dobrushin and Karpelevich, Problems of Information Transmission 1996. The fraction
// of queues holding at least i jobs tends to rho^((d^i - 1)/(d - 1)) and
//
//	E[T] = sum_{i>=1} rho^((d^i - d)/(d - 1))      (d >= 2)
//	E[T] = 1/(1 - rho)                            (d = 1, random routing: M/M/1)
//
// The exponents e_i = (d^i - d)/(d-1) follow e_1 = 0, e_{i+1} = d e_i + d,
// so d^i is never formed; the sum stops when a term falls below 1e-15
// (the terms then fall doubly exponentially, so the remainder is smaller
// still). PowerOfD(0.9, 2) = 2.6141 against M/M/1's 10. It is +Inf for
// rho >= 1 and 1 for rho = 0.
func PowerOfD(rho float64, d int) float64 {
	if d < 1 || !(rho >= 0) {
		panic(fmt.Sprintf("theory.PowerOfD: need d >= 1 and rho >= 0, got d=%d rho=%v", d, rho))
	}
	if rho >= 1 {
		return math.Inf(1)
	}
	if d == 1 {
		return 1 / (1 - rho)
	}
	if rho == 0 {
		return 1
	}
	lr := math.Log(rho)
	fd := float64(d)
	sum, e := 0.0, 0.0
	for range 10_000 {
		term := math.Exp(e * lr)
		sum += term
		if term < 1e-15 {
			break
		}
		e = fd*e + fd
	}
	return sum
}
