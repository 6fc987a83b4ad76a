package algorithms

// least-response-time: the healthy backend with the lowest EWMA of latency
// (ewma.go, without the peak rule), ties broken by fewest in flight, then
// uniformly at random (NGINX Plus's least_time, HAProxy has none; the
// estimate is the one peak-ewma keeps). Below treeMinHealthy healthy
// backends every backend is read on each pick; from there on the pick comes
// from a min-tree (mintree.go) keyed by (estimate rank, in flight), in
// O(log n), with the same distribution. An idle backend's estimate decays toward 0, so a
// backend that was slow is tried again after a few decay times.

import (
	"math/rand/v2"
	"sync"
	"time"
)

type leastResponseTimeBalancer struct {
	table
	mu  sync.Mutex // serialises Update
	est estimates
	r   *rand.Rand
	tp  treePick[lrtKey]
}

// lrtKey is least-response-time's tree key: the estimate's rank
// (estimate.order), then the count in flight.
type lrtKey struct {
	est float64
	n   int64
}

// cmp orders by estimate, then by count, as choose does.
func (a lrtKey) cmp(b lrtKey) int {
	switch {
	case a.est < b.est:
		return -1
	case a.est > b.est:
		return 1
	case a.n < b.n:
		return -1
	case a.n > b.n:
		return 1
	}
	return 0
}

func (a lrtKey) seen() int64 { return a.n }

func newLeastResponseTime(src rand.Source, decay, defaultRTT time.Duration) Balancer {
	b := &leastResponseTimeBalancer{r: rand.New(src), est: newEstimates(decay, defaultRTT)}
	b.tp.init(func(s *snapshot, i int) lrtKey {
		return lrtKey{est: b.est.order(s.backends[i].ID), n: s.count(i)}
	})
	return b
}

func (b *leastResponseTimeBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.est.grow(now, backends)
	b.tp.updated(b.update(backends))
}

func (b *leastResponseTimeBalancer) Pick(req Request) (int, error) {
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

// choose returns argmin over healthy i of (estimate_i, inflight_i), uniform
// among exact ties of both. The estimates are compared by rank (ewma.go),
// which orders them as at any common time: no exp, no lock, and the choice
// does not depend on now.
func (b *leastResponseTimeBalancer) choose(s *snapshot) (int, int64) {
	best, least, bestEst := -1, int64(0), 0.0
	tb := ties{r: b.r}
	for _, i := range s.healthy {
		e := b.est.order(s.backends[i].ID)
		l := s.count(i)
		switch {
		case best < 0 || e < bestEst || e == bestEst && l < least:
			best, least, bestEst = i, l, e
			tb.first()
		case e == bestEst && l == least && tb.another():
			best = i
		}
	}
	return best, least
}

// Finished folds the latency into the backend's estimate and uncounts the
// request, then, when picks use the tree, refreshes the backend's leaf.
func (b *leastResponseTimeBalancer) Finished(id int, now, latency time.Duration, ok bool) {
	b.est.observe(id, now, latency, false)
	b.table.Finished(id, now, latency, ok)
	b.tp.touched(id)
}
