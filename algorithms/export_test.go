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
