package algorithms_test

// Every algorithm of List(), with its default params, through the shared
// conformance kit: the contract of DESIGN.md §2 and of the Balancer type.

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/algorithms/algotest"
)

func TestConformance(t *testing.T) {
	for _, info := range algorithms.List() {
		t.Run(info.Name, func(t *testing.T) {
			spec, ok := algorithms.Lookup(info.Name)
			if !ok {
				t.Fatalf("List names %q, Lookup does not know it", info.Name)
			}
			algotest.Conformance(t, spec)
		})
	}
}

func TestErrNoBackendIdentity(t *testing.T) {
	// Engines compare with errors.Is; Pick returns the sentinel itself.
	b, err := algorithms.New("random", nil, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Pick(algorithms.Request{}); !errors.Is(err, algorithms.ErrNoBackend) || err != algorithms.ErrNoBackend {
		t.Fatalf("Pick on nothing = %v", err)
	}
}
