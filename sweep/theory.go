package sweep

import (
	"fmt"

	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/theory"
)

// Unstable is a theory curve's value where the model has no steady state
// (per-server load >= 1): its mean response time is infinite, which JSON
// cannot hold.
const Unstable = -1

// theoryCurves returns the closed-form mean response times of the sweep's
// algorithms that have one at every value, in the order of the labels:
//
//   - random: each of n servers is M/M/1 at lambda/n (theory.RandomRouting);
//   - round-robin: each server sees every n-th arrival, E_n/M/1
//     (theory.RoundRobin).
//
// Both hold when, at every value, the scenario is that model: Poisson
// arrivals to one balancer, one group of identical single-worker servers
// with exponential service and unbounded queues, no network delay, no
// faults, health checks or timeouts. Whatever the swept parameter, the
// curve is there only if the model holds at every value. The simulator
// measures after a warm-up and over a finite run, so it approaches these
// steady-state values; near load 1 it falls short of them.
func theoryCurves(scs []*scenarios.Scenario) []report.TheoryCurve {
	if len(scs) == 0 {
		return nil
	}
	for _, sc := range scs {
		if !isMMModel(sc) {
			return nil
		}
	}
	var out []report.TheoryCurve
	for i, a := range scs[0].Algorithms {
		var model string
		var mean func(lambda, mu float64, n int) theory.Result
		switch {
		case len(a.Params) > 0:
			continue
		case a.Name == "random":
			model, mean = "M/M/1 per server", theory.RandomRouting
		case a.Name == "round-robin":
			model, mean = fmt.Sprintf("E_%d/M/1 per server", scs[0].Servers[0].Count), theory.RoundRobin
		default:
			continue
		}
		c := report.TheoryCurve{Label: a.Label, Model: model, Figure: "mean_ms", Values: make([]float64, len(scs))}
		for vi, sc := range scs {
			if sc.Algorithms[i].Name != a.Name || len(sc.Algorithms[i].Params) > 0 {
				return nil // an algorithm's parameter was swept
			}
			g := sc.Servers[0]
			r := mean(sc.ArrivalRate(), 1/g.Service.Mean.Seconds(), g.Count)
			if r.Stable() {
				c.Values[vi] = r.MeanResponse * 1000
			} else {
				c.Values[vi] = Unstable
			}
		}
		out = append(out, c)
	}
	return out
}

// isMMModel reports whether sc is n identical M/M/1 queues behind one
// balancer fed by a Poisson stream.
func isMMModel(sc *scenarios.Scenario) bool {
	if len(sc.Servers) != 1 {
		return false
	}
	g := sc.Servers[0]
	return sc.Arrivals.Process == "poisson" &&
		len(sc.Arrivals.Profile) == 0 && sc.Arrivals.Sine == nil && len(sc.Classes) == 0 &&
		sc.Balancers == 1 &&
		g.Count >= 1 && g.Concurrency == 1 && g.QueueLimit == 0 &&
		g.Service.Dist == "exponential" && g.Service.Mean > 0 &&
		sc.Network.Dist == "constant" && sc.Network.Value == 0 &&
		sc.HealthCheck.Active == nil && sc.HealthCheck.Passive == nil &&
		len(sc.Faults) == 0 && sc.Timeout == 0
}
