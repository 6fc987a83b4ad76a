package algorithms

// weighted-random: a healthy backend drawn with probability weight / (sum of
// the healthy weights) (Envoy's RANDOM over weighted hosts, gRPC's
// weighted_target random pick). Update builds the cumulative weights of the
// healthy backends; Pick draws u uniform on [0, W) and binary-searches the
// first cumulative weight above it: O(log n), no allocation, one draw.
// With slow_start (see slowStart), while a backend ramps Pick sums the
// effective weights at its time and scans them instead: O(n), still one
// draw and no allocation.

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// weightedSnapshot pairs a table snapshot with its cumulative weights.
type weightedSnapshot struct {
	s    *snapshot
	cum  []float64 // cum[k] = sum of the weights of s.healthy[0..k]
	ramp *ramp     // nil when no backend ramps
}

type weightedRandomBalancer struct {
	table
	mu  sync.Mutex // serialises Update, so snapshots are published in order
	cur atomic.Pointer[weightedSnapshot]
	r   *rand.Rand
	ss  slowStart // guarded by mu
}

func newWeightedRandom(src rand.Source) Balancer {
	return &weightedRandomBalancer{r: rand.New(src)}
}

func newWeightedRandomSpec(p Params, src rand.Source) (Balancer, error) {
	return &weightedRandomBalancer{r: rand.New(src), ss: slowStart{window: p.Duration(slowStartWindow.Name)}}, nil
}

func (b *weightedRandomBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.update(backends)
	ws := &weightedSnapshot{s: s, cum: make([]float64, len(s.healthy))}
	total := 0.0
	for k, i := range s.healthy {
		total += s.backends[i].Weight
		ws.cum[k] = total
	}
	ws.ramp = b.ss.update(now, s)
	b.cur.Store(ws)
}

// Pick returns healthy[k] for the least k with u < cum[k], u = W * U[0, 1):
// probability (cum[k] - cum[k-1]) / W = weight_k / W.
func (b *weightedRandomBalancer) Pick(req Request) (int, error) {
	ws := b.cur.Load()
	if ws == nil || len(ws.cum) == 0 {
		return -1, ErrNoBackend
	}
	if ws.ramp.active(req.Now) {
		return b.pickRamping(ws, req.Now)
	}
	n := len(ws.cum)
	u := b.r.Float64() * ws.cum[n-1]
	lo, hi := 0, n-1 // the answer is in [lo, hi]; hi = n-1 also absorbs rounding of u up to W
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if u < ws.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return ws.s.take(ws.s.healthy[lo]), nil
}

// pickRamping is Pick while a backend ramps: the same draw over the
// effective weights at now, by a linear scan.
func (b *weightedRandomBalancer) pickRamping(ws *weightedSnapshot, now time.Duration) (int, error) {
	s := ws.s
	total := 0.0
	for _, i := range s.healthy {
		total += s.backends[i].Weight * ws.ramp.factor(s.backends[i].ID, now)
	}
	u := b.r.Float64() * total
	last := len(s.healthy) - 1
	for k, i := range s.healthy[:last] {
		u -= s.backends[i].Weight * ws.ramp.factor(s.backends[i].ID, now)
		if u < 0 {
			return s.take(s.healthy[k]), nil
		}
	}
	return s.take(s.healthy[last]), nil // also absorbs rounding
}
