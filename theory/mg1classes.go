package theory

import (
	"fmt"
	"math"
)

// ServiceClass is one class of requests at a multi-class queue.
type ServiceClass struct {
	Weight        float64 // relative share of the arrivals; the shares are normalised over the classes
	MeanS         float64 // E[S_c], seconds
	SecondMomentS float64 // E[S_c^2], seconds^2 (+Inf allowed)
}

// SizedClass is a class whose service time is size x a base draw of mean
// mean seconds and coefficient of variation cv (DESIGN.md §7's class size on
// a server's service distribution): E[S_c] = size mean and
//
//	E[S_c^2] = size^2 mean^2 (1 + cv^2)
//
// cv = 0 is constant service, cv = 1 exponential; cv may be +Inf (a pareto
// with alpha <= 2).
func SizedClass(weight, size, mean, cv float64) ServiceClass {
	if !(size > 0) || math.IsInf(size, 1) || !(mean > 0) || math.IsInf(mean, 1) || !(cv >= 0) {
		panic(fmt.Sprintf("theory.SizedClass: need finite size > 0 and mean > 0, cv >= 0; got %v, %v, %v", size, mean, cv))
	}
	m := size * mean
	return ServiceClass{Weight: weight, MeanS: m, SecondMomentS: m * m * (1 + cv*cv)}
}

// MultiClassResult is the steady state of a multi-class queue.
type MultiClassResult struct {
	All     Result   // a random arrival, whatever its class
	Classes []Result // an arrival of each class, in the order given
}

// MG1Classes is the M/G/1 FIFO queue fed by several classes: Poisson
// arrivals at total rate lambda, each independently of class c with
// probability p_c = Weight_c / sum(Weight), class c's service with mean
// E[S_c] and second moment E[S_c^2]. The service time of a random arrival is
// the mixture, E[S] = sum p_c E[S_c] and E[S^2] = sum p_c E[S_c^2], and FIFO
// makes the wait independent of the class: an arrival waits for the work in
// the system, which by PASTA is the time average whatever its own class.
// Pollaczek-Khinchine over the mixture [K ch. 5], [HB ch. 23, ch. 29]:
//
//	rho = lambda E[S],  W = lambda E[S^2] / (2 (1 - rho))
//	E[T_c] = W + E[S_c],  E[T] = W + E[S] = sum p_c E[T_c]
//
// Every class's Result has the common wait, P(wait) = rho and Utilization =
// rho, the whole server's. rho >= 1 is unstable (+Inf means). An empty
// list, a negative or non-finite weight, weights summing to 0, a mean <= 0
// or a second moment below the mean squared panic; classes of weight 0 are
// allowed and get the common wait.
func MG1Classes(lambda float64, classes []ServiceClass) MultiClassResult {
	if len(classes) == 0 {
		panic("theory.MG1Classes: need at least one class")
	}
	var sw float64
	for i, c := range classes {
		if !(c.Weight >= 0) || math.IsInf(c.Weight, 1) {
			panic(fmt.Sprintf("theory.MG1Classes: class %d: weight must be finite and >= 0, got %v", i, c.Weight))
		}
		if !(c.MeanS > 0) || math.IsInf(c.MeanS, 1) {
			panic(fmt.Sprintf("theory.MG1Classes: class %d: mean service must be finite and > 0, got %v", i, c.MeanS))
		}
		if !(c.SecondMomentS >= c.MeanS*c.MeanS*(1-1e-12)) {
			panic(fmt.Sprintf("theory.MG1Classes: class %d: E[S^2] = %v cannot be below E[S]^2 = %v", i, c.SecondMomentS, c.MeanS*c.MeanS))
		}
		sw += c.Weight
	}
	if !(sw > 0) {
		panic("theory.MG1Classes: the weights sum to 0")
	}
	var m1, m2 float64
	for _, c := range classes {
		if c.Weight == 0 {
			continue // 0 x Inf would be NaN
		}
		p := c.Weight / sw
		m1 += p * c.MeanS
		m2 += p * c.SecondMomentS
	}
	all := MG1(lambda, m1, m2)
	out := MultiClassResult{All: all, Classes: make([]Result, len(classes))}
	for i, c := range classes {
		out.Classes[i] = Result{
			MeanResponse: all.MeanWait + c.MeanS,
			MeanWait:     all.MeanWait,
			PWait:        all.PWait,
			Utilization:  all.Utilization,
		}
	}
	return out
}
