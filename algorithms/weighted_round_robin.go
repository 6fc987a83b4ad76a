package algorithms

// weighted-round-robin: nginx's smooth weighted round-robin
// (ngx_http_upstream_get_peer in src/http/ngx_http_upstream_round_robin.c,
// introduced in nginx 1.3.1), which spreads a backend's picks evenly over
// the cycle instead of sending them in a burst.

import (
	"math"
	"math/rand/v2"
	"slices"
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
// One mutex guards the current weights and serialises picks. A pick scans
// the healthy backends (O(n)) below wrrTreeMinHealthy of them; from there
// on it picks from a tree (wrrtree.go) in O(G + log n), G the number of
// distinct weights, with the scan's very picks when weights are integers.
// The tree does not serve more than wrrMaxWeights distinct weights (the
// scan does), nor while a slow_start ramp is active: a ramping backend's
// weight changes with every pick's time, so the pick scans then and goes
// back to the tree once every ramp is over. On Update the tree writes the
// current weights back (O(n)), and the next pick builds it again.
//
// With slow_start, a ramping backend's w_i is its effective weight at the
// pick's time (see slowStart), recomputed on every pick while any backend
// ramps and not at all otherwise.
type weightedRoundRobinBalancer struct {
	table
	mu   sync.Mutex
	cur  []float64 // current weight by ID, except the tree's while it is built; guarded by mu
	ss   slowStart // guarded by mu
	ramp *ramp     // guarded by mu; nil when no backend ramps
	tree wrrTree   // guarded by mu
}

func newWeightedRoundRobin(rand.Source) Balancer {
	return &weightedRoundRobinBalancer{tree: newWRRTree()}
}

func newWeightedRoundRobinSpec(p Params, _ rand.Source) (Balancer, error) {
	return &weightedRoundRobinBalancer{ss: slowStart{window: p.Duration(slowStartWindow.Name)}, tree: newWRRTree()}, nil
}

func (b *weightedRoundRobinBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tree.flush(b.cur) // the weights and the set may change: the next pick builds anew
	s := b.update(backends)
	for len(b.cur) < len(s.byID) {
		b.cur = append(b.cur, 0)
	}
	b.ramp = b.ss.update(now, s)
}

func (b *weightedRoundRobinBalancer) Pick(req Request) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.load()
	rp := b.ramp
	if rp != nil && !rp.active(req.Now) {
		rp = nil // every ramp is over by now (times never go back)
		b.ramp = nil
	}
	if rp == nil && s != b.tree.unfit {
		if b.tree.snap != s {
			b.tree.flush(b.cur)
			b.tree.build(s, b.cur)
		}
		if b.tree.snap == s {
			return s.take(s.healthy[b.tree.pick()]), nil
		}
	}
	b.tree.flush(b.cur)                  // a ramp began: the scan takes over the current weights
	best, bestCur, total := -1, 0.0, 0.0 // best: index into s.backends
	for _, i := range s.healthy {
		be := &s.backends[i]
		w := be.Weight
		if rp != nil {
			w *= rp.factor(be.ID, req.Now)
		}
		c := b.cur[be.ID] + w
		b.cur[be.ID] = c
		total += w
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

// Slow start, shared by the weighted balancers (weighted-round-robin,
// weighted-random, weighted-least-connections): the param slow_start, a
// window (default 0, off), as Envoy's slow_start_config (with aggression 1)
// and nginx plus's server slow_start do it. A backend that becomes healthy
// has its effective weight ramped linearly over the window:
//
//	effective_i = w_i * max(slowStartFloor, (now - since_i) / window)
//
// where since_i is the now of the Update that first listed it healthy,
// and now is the pick's Request.Now: 10% of its weight (Envoy's
// min_weight_percent default) right after it came up, half at half the
// window, all of it from the end of the window on. It becomes healthy when an
// Update lists it healthy and the previous one listed it unhealthy or not
// at all. The backends listed healthy by the first Update start at full
// weight (the run's or proxy's start is not a recovery), so are backends
// listed unhealthy at first from the time they come up. A backend that goes
// down during its ramp starts it again when it comes back.
var slowStartWindow = Duration{
	Name: "slow_start", ZeroIsOff: true,
	Doc: "window over which a backend that becomes healthy ramps from 10% to its full weight; 0 = off",
}

// slowStartFloor is the smallest fraction of its weight a ramping backend
// has (Envoy's min_weight_percent default, 10%).
const slowStartFloor = 0.1

// noRamp marks a backend that is not ramping.
const noRamp = time.Duration(math.MinInt64)

// slowStart tracks when each backend became healthy. Its owner serialises
// update.
type slowStart struct {
	window  time.Duration   // 0 = off
	updated bool            // update has been called
	healthy []bool          // by ID: healthy at the last update
	since   []time.Duration // by ID: when it last became healthy, or noRamp
}

// ramp is the immutable ramp state one Update publishes: by ID, when each
// backend became healthy. factor and active read it at a pick's time.
type ramp struct {
	window time.Duration
	since  []time.Duration // by ID, or noRamp
	end    time.Duration   // the latest end of a ramp
}

// update records the health of s's backends at now and returns the ramp
// to publish: nil when slow start is off or no backend is ramping.
func (ss *slowStart) update(now time.Duration, s *snapshot) *ramp {
	if ss.window <= 0 {
		return nil
	}
	healthy := make([]bool, len(s.byID))
	for _, i := range s.healthy {
		healthy[s.backends[i].ID] = true
	}
	for len(ss.since) < len(healthy) {
		ss.since = append(ss.since, noRamp)
	}
	for id, h := range healthy {
		was := id < len(ss.healthy) && ss.healthy[id]
		if h && !was && ss.updated {
			ss.since[id] = now
		}
	}
	ss.healthy, ss.updated = healthy, true
	var r *ramp
	for id, t := range ss.since {
		if !healthy[id] || t == noRamp || now-t >= ss.window {
			continue
		}
		if r == nil {
			r = &ramp{window: ss.window, since: slices.Clone(ss.since), end: now}
		}
		r.end = max(r.end, t+ss.window)
	}
	return r
}

// active reports whether some backend may still be ramping at now.
func (r *ramp) active(now time.Duration) bool { return r != nil && now < r.end }

// factor returns the fraction of its weight backend id has at now.
func (r *ramp) factor(id int, now time.Duration) float64 {
	if id >= len(r.since) || r.since[id] == noRamp {
		return 1
	}
	e := now - r.since[id]
	if e >= r.window {
		return 1
	}
	return max(slowStartFloor, float64(e)/float64(r.window))
}
