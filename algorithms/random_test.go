package algorithms

import "testing"

func TestRandomUniformOverHealthy(t *testing.T) {
	b := mustNew(t, "random", nil, 1)
	b.Update(0, withHealth(makeBackends(6), true, false, true, true, false, true))
	load(b, 0, 10) // load is no concern of random
	counts := make([]int, 6)
	for range 12000 {
		counts[mustPick(t, b, 0)]++
	}
	checkFit(t, "random over IDs 0,2,3,5", counts, []float64{.25, 0, .25, .25, 0, .25})
}
