package sim

import (
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
)

// prequal and join-idle-queue on 10 servers at load 0.8, two balancer
// instances, a little network delay: no errors, and both beat random's
// mean latency by a wide margin.
func TestProbesAndIdleBeatRandom(t *testing.T) {
	mean := map[string]float64{}
	for _, alg := range []string{"random", "prequal", "join-idle-queue"} {
		sc := queueScenario(alg, nil, 10, 1, exp1ms, 0.8, 50_000)
		sc.Network = dist.Spec{Dist: "exponential", Mean: 20 * time.Microsecond}
		sc.Balancers = 2
		e := simulate(t, sc)
		r := e.result(0)
		if n := r.Errors.Rejected + r.Errors.Failed + r.Errors.Timeout; n != 0 || r.Completed != r.Requests {
			t.Errorf("%s: %d errors, %d of %d completed", alg, n, r.Completed, r.Requests)
		}
		if (e.sig != nil) != (alg != "random") {
			t.Errorf("%s: signals set up = %v", alg, e.sig != nil)
		}
		mean[alg] = r.Latency.Mean
		t.Logf("%s: mean latency %.3f ms, p99 %.3f ms", alg, r.Latency.Mean, r.Latency.P99)
	}
	for _, alg := range []string{"prequal", "join-idle-queue"} {
		if mean[alg] > 0.8*mean["random"] {
			t.Errorf("%s mean %.3f ms, not well below random's %.3f ms", alg, mean[alg], mean["random"])
		}
	}
}

// A crashed server answers no probe and announces nothing; the run still
// completes with every probe slot returned.
func TestProbesSkipCrashedServer(t *testing.T) {
	sc := crashScenario(true)
	sc.Algorithms[0].Name, sc.Algorithms[0].Label = "prequal", "prequal"
	e := simulate(t, sc)
	if e.sig == nil || len(e.sig.msgs.items) == 0 {
		t.Fatal("no probes sent")
	}
	r := e.result(0)
	if r.Completed == 0 {
		t.Fatal("nothing completed")
	}
}
