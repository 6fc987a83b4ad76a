package algorithms

// least-connections: the healthy backend with the fewest requests in flight,
// ties broken uniformly at random (nginx's least_conn, Caddy's least_conn
// policy, which also uses reservoir sampling for the ties). From
// treeMinHealthy healthy backends on, the pick comes from a min-tree
// (mintree.go) in O(log n) instead of a scan, with the same distribution.

import (
	"math/rand/v2"
	"time"
)

type leastConnectionsBalancer struct {
	table
	r  *rand.Rand
	tp treePick[lcKey]
}

// lcKey is least-connections' tree key: the count in flight.
type lcKey int64

func (a lcKey) cmp(b lcKey) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (a lcKey) seen() int64 { return int64(a) }

func newLeastConnections(src rand.Source) Balancer {
	b := &leastConnectionsBalancer{r: rand.New(src)}
	b.tp.init(func(s *snapshot, i int) lcKey { return lcKey(s.count(i)) })
	return b
}

func (b *leastConnectionsBalancer) Update(now time.Duration, backends []Backend) {
	b.tp.updated(b.update(backends))
}

// Pick returns argmin over healthy i of inflight_i, uniform among the ties,
// and counts the request against it. The counts are read one by one, not as
// one consistent cut, but the winner's count is reserved only if it has not
// grown since it was read (reserveOrRetry), so concurrent picks never pile
// onto a backend that only looked idle.
func (b *leastConnectionsBalancer) Pick(req Request) (int, error) {
	s := b.load()
	if b.tp.use(s) {
		if id, ok, err := b.tp.pick(&b.table, b.r); ok {
			return id, err
		}
		s = b.load()
	}
	i, seen := b.choose(s)
	return b.reserveOrRetry(s, i, seen, b.choose)
}

func (b *leastConnectionsBalancer) choose(s *snapshot) (int, int64) {
	return s.leastLoaded(b.r)
}

// Finished uncounts the request and, when picks use the tree, refreshes
// the backend's leaf.
func (b *leastConnectionsBalancer) Finished(id int, now, latency time.Duration, ok bool) {
	b.table.Finished(id, now, latency, ok)
	b.tp.touched(id)
}

// leastLoaded returns the index in s.backends of the healthy backend with
// the fewest requests in flight, uniform among the ties, and that count, or
// -1 if none is healthy. p2c falls back on it when it may sample every
// healthy backend.
func (s *snapshot) leastLoaded(r *rand.Rand) (int, int64) {
	best, least := -1, int64(0)
	tb := ties{r: r}
	for _, i := range s.healthy {
		l := s.count(i)
		switch {
		case best < 0 || l < least:
			best, least = i, l
			tb.first()
		case l == least && tb.another():
			best = i
		}
	}
	return best, least
}
