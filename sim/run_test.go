package sim

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// TestRunReportsFailureNotCancellation: when one algorithm fails, Run
// reports its error, not the cancellation of the others it stopped; run
// one at a time, the algorithms after it do not start (no arrival is
// simulated). "fails-to-start" is a registered strategy whose balancer
// cannot be built.
func TestRunReportsFailureNotCancellation(t *testing.T) {
	if err := algorithms.Register(algorithms.Spec{
		Name: "fails-to-start",
		New: func(algorithms.Params, rand.Source) (algorithms.Balancer, error) {
			return nil, errors.New("cannot start")
		},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { algorithms.Unregister("fails-to-start") })
	rr := scenarios.Algorithm{Name: "round-robin", Label: "round-robin"}
	bad := scenarios.Algorithm{Name: "fails-to-start", Label: "fails-to-start"}
	const want = "sim: algorithm fails-to-start: algorithms: fails-to-start: cannot start"
	for _, tc := range []struct {
		name     string
		algs     []scenarios.Algorithm
		par      int
		requests int64
		arrivals bool // whether round-robin may have simulated any
	}{
		// round-robin, first, is cancelled mid-run (it checks every 65536
		// events, and has millions to go): its error is a cancellation.
		{"failure second, both at once", []scenarios.Algorithm{rr, bad}, 2, 50_000_000, true},
		{"failure first, one at a time", []scenarios.Algorithm{bad, rr}, 1, 2000, false},
		{"failure first, both at once", []scenarios.Algorithm{bad, rr}, 2, 50_000_000, true},
	} {
		sc := smallScenario()
		sc.Algorithms, sc.Requests = tc.algs, tc.requests
		var n atomic.Int64
		_, err := Run(context.Background(), sc, Options{Parallelism: tc.par, Progress: func(d int64) { n.Add(d) }})
		if err == nil || err.Error() != want {
			t.Errorf("%s: Run = %v; want %q", tc.name, err, want)
		}
		if !tc.arrivals && n.Load() != 0 {
			t.Errorf("%s: %d arrivals simulated after the failure; want none", tc.name, n.Load())
		}
	}
}
