package algorithms

// weighted-least-connections: the healthy backend with the lowest
// (in-flight + 1) / weight, ties broken uniformly at random. The "+1" is the
// request being placed, as in HAProxy's leastconn and Envoy's weighted
// least-request ("weight / (active_requests + 1)"); nginx's least_conn
// compares in-flight/weight without it.

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// weightedLeastConnectionsBalancer scores every healthy backend i by
//
//	score_i = (inflight_i + 1) / w_i
//
// and picks the lowest score, uniform among ties. Why +1: the score is the
// load per unit of weight the backend would have after taking this request.
// Without it, every idle backend scores 0 whatever its weight, so a light
// server would be as likely as a heavy one to receive the first request of
// a quiet period, and at low load (when little is in flight) weights would
// hardly matter. With it, idle backends rank by weight, and weights 3 and 1
// hold in-flight counts near 3:1 at any load.
//
// Scores are compared by cross-multiplying, (l_a+1)*w_b < (l_b+1)*w_a,
// which saves a division per backend; with integer weights both products
// are exact integers, so equal scores are exact ties.
//
// With slow_start (see slowStart), w_i is a ramping backend's effective
// weight at the pick's time.
//
// From treeMinHealthy healthy backends on, the pick comes from a min-tree
// (mintree.go) keyed by (inflight+1, w), compared by the same
// cross-multiplication, except while a backend ramps: its effective weight
// changes with the pick's time, which would change its key at every pick,
// so the pick scans then and refreshes the winner's leaf, and the tree
// serves again once every ramp is over.
type weightedLeastConnectionsBalancer struct {
	table
	r    *rand.Rand
	mu   sync.Mutex // serialises Update
	ss   slowStart  // guarded by mu
	ramp atomic.Pointer[ramp]
	tp   treePick[wlcKey]
}

// wlcKey is weighted-least-connections' tree key: the count in flight and
// the weight; its score is (n+1)/w.
type wlcKey struct {
	n int64
	w float64
}

// cmp compares the scores (a.n+1)/a.w and (b.n+1)/b.w by cross-multiplying,
// as chooseAt does, so a tie in the tree is a tie in the scan.
func (a wlcKey) cmp(b wlcKey) int {
	lhs, rhs := float64(a.n+1)*b.w, float64(b.n+1)*a.w
	switch {
	case lhs < rhs:
		return -1
	case lhs > rhs:
		return 1
	}
	return 0
}

func (a wlcKey) seen() int64 { return a.n }

func newWeightedLeastConnections(src rand.Source) Balancer {
	return newWLC(src, 0)
}

func newWeightedLeastConnectionsSpec(p Params, src rand.Source) (Balancer, error) {
	return newWLC(src, p.Duration(slowStartWindow.Name)), nil
}

func newWLC(src rand.Source, slowStartWindow time.Duration) *weightedLeastConnectionsBalancer {
	b := &weightedLeastConnectionsBalancer{r: rand.New(src), ss: slowStart{window: slowStartWindow}}
	b.tp.init(func(s *snapshot, i int) wlcKey { return wlcKey{n: s.count(i), w: s.backends[i].Weight} })
	return b
}

func (b *weightedLeastConnectionsBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.update(backends)
	b.ramp.Store(b.ss.update(now, s))
	b.tp.updated(s)
}

// Pick counts the request against the winner, reserving it only if its
// count has not grown since it was read (reserveOrRetry).
func (b *weightedLeastConnectionsBalancer) Pick(req Request) (int, error) {
	s := b.load()
	if rp := b.ramp.Load(); rp.active(req.Now) {
		i, seen := b.chooseAt(s, rp, req.Now)
		id, err := b.reserveOrRetry(s, i, seen, func(s *snapshot) (int, int64) { return b.chooseAt(s, rp, req.Now) })
		if err == nil {
			b.tp.touched(id) // the tree, if kept, sees the count the scan reserved
		}
		return id, err
	}
	if b.tp.use(s) {
		if id, ok, err := b.tp.pick(&b.table, b.r); ok {
			return id, err
		}
		s = b.load()
	}
	i, seen := b.choose(s)
	return b.reserveOrRetry(s, i, seen, b.choose)
}

// Finished uncounts the request and, when picks use the tree, refreshes
// the backend's leaf.
func (b *weightedLeastConnectionsBalancer) Finished(id int, now, latency time.Duration, ok bool) {
	b.table.Finished(id, now, latency, ok)
	b.tp.touched(id)
}

func (b *weightedLeastConnectionsBalancer) choose(s *snapshot) (int, int64) {
	return b.chooseAt(s, nil, 0)
}

// chooseAt decides on s with the effective weights of rp at now (the
// weights themselves when rp is nil).
func (b *weightedLeastConnectionsBalancer) chooseAt(s *snapshot, rp *ramp, now time.Duration) (int, int64) {
	best, bestInflight := -1, int64(0)
	var bestLoad, bestWeight float64 // inflight+1 and weight of best
	tb := ties{r: b.r}
	for _, i := range s.healthy {
		inflight := s.count(i)
		load := float64(inflight + 1)
		w := s.backends[i].Weight
		if rp != nil {
			w *= rp.factor(s.backends[i].ID, now)
		}
		// score_i < score_best  <=>  (l_i+1)*w_best < (l_best+1)*w_i
		lhs, rhs := load*bestWeight, bestLoad*w
		switch {
		case best < 0 || lhs < rhs:
			best, bestInflight, bestLoad, bestWeight = i, inflight, load, w
			tb.first()
		case lhs == rhs && tb.another():
			best, bestInflight, bestLoad, bestWeight = i, inflight, load, w
		}
	}
	return best, bestInflight
}
