package algorithms_test

import (
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/algorithms/algotest"
)

// The conformance kit on weighted-round-robin's tree (wrrtree.go) and on
// bounded-load-hash's running total, which the kit's small sets never
// reach at the default thresholds.
func TestScaleConformance(t *testing.T) {
	algorithms.SetWRRTreeMinHealthy(t, 0)
	algorithms.SetBoundedTotalMinHealthy(t, 0)
	for _, name := range []string{"weighted-round-robin", "bounded-load-hash"} {
		t.Run(name, func(t *testing.T) {
			spec, ok := algorithms.Lookup(name)
			if !ok {
				t.Fatalf("Lookup does not know %q", name)
			}
			algotest.Conformance(t, spec)
		})
	}
}
