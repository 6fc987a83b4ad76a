package algorithms_test

import (
	"math/rand/v2"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/algorithms/algotest"
)

// least-connections' defining property, on a random scripted load with
// health changes: every pick goes to a backend with the fewest requests in
// flight, as the script counts them.
func TestLeastConnectionsLeastLoaded(t *testing.T) {
	for seed := range uint64(3) {
		b, err := algorithms.New("least-connections", nil, rand.NewPCG(seed, 1))
		if err != nil {
			t.Fatal(err)
		}
		algotest.Property(t, b, algotest.RandomLoad(seed, 20000), algotest.LeastLoaded(0))
	}
}
