package algorithms_test

import (
	"math/rand/v2"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/algorithms/algotest"
)

// The conformance kit and least-connections' property on the tree path
// (mintree.go), which the kit's small sets never reach at the default
// threshold.
func TestTreeConformance(t *testing.T) {
	algorithms.SetTreeMinHealthy(t, 0)
	for _, name := range []string{"least-connections", "weighted-least-connections", "least-response-time"} {
		t.Run(name, func(t *testing.T) {
			spec, ok := algorithms.Lookup(name)
			if !ok {
				t.Fatalf("Lookup does not know %q", name)
			}
			algotest.Conformance(t, spec)
		})
	}
}

func TestTreeLeastConnectionsLeastLoaded(t *testing.T) {
	algorithms.SetTreeMinHealthy(t, 0)
	for seed := range uint64(3) {
		b, err := algorithms.New("least-connections", nil, rand.NewPCG(seed, 1))
		if err != nil {
			t.Fatal(err)
		}
		algotest.Property(t, b, algotest.RandomLoad(seed, 20000), algotest.LeastLoaded(0))
	}
}
