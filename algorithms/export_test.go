package algorithms

import "testing"

// SetTreeMinHealthy sets, for t's duration, the number of healthy backends
// from which least-connections, weighted-least-connections and
// least-response-time built afterwards pick from their min-tree: 0 forces
// the tree, a huge number the scan. The tests that call it do not run in
// parallel.
func SetTreeMinHealthy(t testing.TB, n int) {
	old := treeMinHealthy
	treeMinHealthy = n
	t.Cleanup(func() { treeMinHealthy = old })
}

// SetWRRTreeMinHealthy sets, for t's duration, the number of healthy
// backends from which weighted-round-robin balancers built afterwards pick
// from their tree (wrrtree.go): 0 forces the tree, a huge number the scan.
// The tests that call it do not run in parallel.
func SetWRRTreeMinHealthy(t testing.TB, n int) {
	old := wrrTreeMinHealthy
	wrrTreeMinHealthy = n
	t.Cleanup(func() { wrrTreeMinHealthy = old })
}

// SetWRRMaxWeights sets, for t's duration, the most distinct weights the
// tree of weighted-round-robin balancers built afterwards serves.
func SetWRRMaxWeights(t testing.TB, g int) {
	old := wrrMaxWeights
	wrrMaxWeights = g
	t.Cleanup(func() { wrrMaxWeights = old })
}

// SetBoundedTotalMinHealthy sets, for t's duration, the number of healthy
// backends from which bounded-load-hash balancers built afterwards keep T
// as a running total: 0 always, a huge number never.
func SetBoundedTotalMinHealthy(t testing.TB, n int) {
	old := boundedTotalMinHealthy
	boundedTotalMinHealthy = n
	t.Cleanup(func() { boundedTotalMinHealthy = old })
}
