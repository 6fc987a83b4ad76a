package algorithms

// weighted-random: a healthy backend drawn with probability weight / (sum of
// the healthy weights) (Envoy's RANDOM over weighted hosts, gRPC's
// weighted_target random pick). Update builds the cumulative weights of the
// healthy backends; Pick draws u uniform on [0, W) and binary-searches the
// first cumulative weight above it: O(log n), no allocation, one draw.

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// weightedSnapshot pairs a table snapshot with its cumulative weights.
type weightedSnapshot struct {
	s   *snapshot
	cum []float64 // cum[k] = sum of the weights of s.healthy[0..k]
}

type weightedRandomBalancer struct {
	table
	mu  sync.Mutex // serialises Update, so snapshots are published in order
	cur atomic.Pointer[weightedSnapshot]
	r   *rand.Rand
}

func newWeightedRandom(src rand.Source) Balancer {
	return &weightedRandomBalancer{r: rand.New(src)}
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
	b.cur.Store(ws)
}

// Pick returns healthy[k] for the least k with u < cum[k], u = W * U[0, 1):
// probability (cum[k] - cum[k-1]) / W = weight_k / W.
func (b *weightedRandomBalancer) Pick(req Request) (int, error) {
	ws := b.cur.Load()
	if ws == nil || len(ws.cum) == 0 {
		return -1, ErrNoBackend
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
