package algorithms

// weighted-round-robin: nginx's smooth weighted round-robin
// (ngx_http_upstream_get_peer in src/http/ngx_http_upstream_round_robin.c,
// introduced in nginx 1.3.1), which spreads a backend's picks evenly over
// the cycle instead of sending them in a burst.

import (
	"math/rand/v2"
	"sync"
	"time"
)

// weightedRoundRobinBalancer keeps a current weight c_i per backend ID. On
// each pick, over the healthy backends in ID order:
//
//	c_i += w_i for every healthy i;   W = sum of their w_i
//	pick the first i with the greatest c_i;   c_pick -= W
//
// Weights 5, 1, 1 for a, b, c give a a b a c a a, then again. With integer
// weights, each successive cycle of W picks from a state where all current
// weights are 0 (the start) gives each backend exactly w_i picks and ends
// with all current weights 0 again.
//
// nginx's effective_weight (lowered after failures) is left out: health is
// the engine's business and reaches us through Backend.Healthy.
//
// Current weights are kept by ID across Update: a change of weights takes
// effect from the next pick without restarting the cycle, and an unhealthy
// backend's current weight is frozen (nginx skips down peers the same way)
// and resumes when it comes back. Weights are float64; with integer weights
// the arithmetic is exact, with fractional ones it drifts by rounding only.
//
// One mutex guards the current weights; a pick is O(healthy backends).
type weightedRoundRobinBalancer struct {
	table
	mu  sync.Mutex
	cur []float64 // current weight by ID; guarded by mu
}

func newWeightedRoundRobin(rand.Source) Balancer {
	return &weightedRoundRobinBalancer{}
}

func (b *weightedRoundRobinBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.update(backends)
	for len(b.cur) < len(s.byID) {
		b.cur = append(b.cur, 0)
	}
}

func (b *weightedRoundRobinBalancer) Pick(req Request) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.load()
	best, bestCur, total := -1, 0.0, 0.0 // best: index into s.backends
	for _, i := range s.healthy {
		be := &s.backends[i]
		c := b.cur[be.ID] + be.Weight
		b.cur[be.ID] = c
		total += be.Weight
		if best < 0 || c > bestCur {
			best, bestCur = i, c
		}
	}
	if best < 0 {
		return -1, ErrNoBackend
	}
	b.cur[s.backends[best].ID] -= total
	return s.take(best), nil
}
