package latencyp2c_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/algorithms/algotest"

	"example.com/custom-algorithm/latencyp2c"
)

// The kit every built-in strategy passes: the Balancer contract.
func TestConformance(t *testing.T) { algotest.Conformance(t, latencyp2c.Spec) }

// No clock, no package-level rand, no goroutines, timers or I/O.
func TestPurity(t *testing.T) { algotest.CheckPurity(t, ".") }

// The defining property: of two backends that differ only in their
// latency, the faster one wins every pick it is drawn against.
func TestFasterWins(t *testing.T) {
	b := latencyp2c.New(1, 10*time.Millisecond, rand.NewPCG(1, 2))
	b.Update(0, algotest.Backends(2))
	// Teach it: backend 0 answers in 2ms, backend 1 in 20ms.
	for id, lat := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond} {
		b.Finished(id, 0, lat, true)
	}
	for range 100 {
		id, err := b.Pick(algorithms.Request{})
		if err != nil || id != 0 {
			t.Fatalf("Pick = %d, %v; want the faster backend 0", id, err)
		}
		b.Finished(id, 0, 2*time.Millisecond, true)
	}
}

// A bad parameter is the same *ParamError the built-ins give, so a scenario
// file's mistake is reported at its line.
func TestParams(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"alpha": 1.5}, `latency-p2c: param "alpha": must be <= 1, got 1.5`},
		{map[string]any{"alpha": 0}, `latency-p2c: param "alpha"`},
		{map[string]any{"beta": 1}, `latency-p2c: param "beta": unknown parameter`},
	} {
		_, err := latencyp2c.Spec.Build(tc.params, rand.NewPCG(1, 2))
		if err == nil || len(err.Error()) < len(tc.want) || err.Error()[:len(tc.want)] != tc.want {
			t.Errorf("%v: error %v, want %q...", tc.params, err, tc.want)
		}
	}
}
