package algorithms

// bounded-load-hash: consistent hashing with bounded loads (Mirrokni,
// Thorup and Zadimoghaddam, "Consistent Hashing with Bounded Loads", SODA
// 2018), over the ring of ring-hash, as HAProxy's hash-balance-factor and
// Envoy's hash_balance_factor do it.

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

var boundedLoadFactor = Float{
	Name: "balance_factor", Default: 1.25, Above: 1,
	Doc: "c: no backend takes more than ceil(c * (in flight + 1) / healthy backends) requests",
}

func newBoundedLoadSpec(p Params, _ rand.Source) (Balancer, error) {
	return &boundedLoadBalancer{c: p.Float(boundedLoadFactor.Name), vnodes: ringHashVnodes.Default, min: boundedTotalMinHealthy}, nil
}

// boundedLoadBalancer walks ring-hash's ring (100 points per unit of
// weight) from the request's point, as ring-hash does, and takes the first
// healthy backend that is under the bound: with T requests in flight to
// the n healthy backends and c the balance factor,
//
//	capacity = ceil(c * (T + 1) / n)
//	take backend b if  inflight(b) + 1 <= capacity
//
// so no backend holds more than ceil(c * average) once the request is
// placed (the paper's invariant; someone is always under it, since the n
// backends cannot all hold capacity >= c(T+1)/n > T/n). At zero load every
// backend is under the bound and the mapping is ring-hash's: a key moves
// only when its backend goes down or is full. The chosen slot is reserved
// by compare-and-swap (reserveOrRetry), so concurrent picks see each other
// and stay bounded.
//
// T: below boundedTotalMinHealthy healthy backends, Pick sums the n
// healthy counters (O(n)), as it always did. From there on it reads a
// running total (runningTotal), so a pick costs its walk, not n: the total
// is summed once by each Update and then moved by one on every pick and
// every Finished of a backend it counts. With the engine's counts
// (LoadAware), T is their sum over the healthy backends, summed once per
// SetLoad. In sequential use (the simulator) the running total is the sum,
// so the picks are the same as the scan's; under concurrent use see
// runningTotal for the one way it can be off.
type boundedLoadBalancer struct {
	table
	c      float64
	vnodes int
	min    int        // boundedTotalMinHealthy when the balancer was made
	mu     sync.Mutex // serialises Update, so state matches the table's snapshot
	state  atomic.Pointer[ringState]
	totals atomic.Pointer[runningTotal] // nil below min healthy backends
	boardT atomic.Pointer[boardTotal]   // T of the last board summed
}

// boundedTotalMinHealthy is the number of healthy backends from which
// bounded-load-hash keeps T as a running total (runningTotal) instead of
// summing the counters on every pick: the min-tree's threshold
// (treeMinHealthy), so that every shipped scenario (100 servers at most)
// and the proxy's usual sets keep the exact sum and its behaviour under
// concurrency. Tests change it (export_test.go).
var boundedTotalMinHealthy = 128

// runningTotal is T, the requests in flight to the healthy backends of the
// snapshot one Update published, kept running: summed by the Update, then
// +1 for each pick and -1 for each Finished (that did uncount) of a
// backend it counts. A SetLoad's snapshot lists the same backends and
// keeps it.
//
// Exact in sequential use. Under concurrent use it is exact whenever no
// Pick or Finished runs during an Update (then every change of a counter
// is either in the Update's sum or moves the new total). A Pick or
// Finished that loaded the previous total before the Update published the
// new one, and changed its counter after the Update read it, moves the old
// total instead: the new one is off by one for each such call, so by at
// most the number of calls in progress during the last Update (each
// goroutine has one call in progress at a time), until the next Update
// sums T again. A call that loads the new total cannot be missed, since
// the Update reads every counter before it publishes. Making it exact
// would need a lock shared by every Pick and Finished and Update; a T off
// by a few requests out of thousands in flight moves the bound
// ceil(c*(T+1)/n) by at most one slot. T is taken as 0 if it is ever
// negative.
type runningTotal struct {
	snap    *snapshot // the Update's snapshot
	counted []bool    // by ID: healthy in snap, so counted in t
	t       live      // T; its inflight is the count, live's plain view serves the sequential case
}

// counts reports whether id's requests are in t.
func (rt *runningTotal) counts(id int) bool { return id >= 0 && id < len(rt.counted) && rt.counted[id] }

// add moves T by d: without a locked instruction when c, the counter that
// moved, is counted sequentially (the same goroutine makes every call).
func (rt *runningTotal) add(d int64, c *live) {
	if c.sequential {
		*rt.t.plain() += d
	} else {
		rt.t.inflight.Add(d)
	}
}

// boardTotal is T for one board: the engine's counts summed over the
// healthy backends of the snapshot that carries them.
type boardTotal struct {
	snap *snapshot
	t    int64
}

func (b *boundedLoadBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.update(backends)
	b.state.Store(&ringState{snap: s, ring: buildRing(s, b.vnodes, b.state.Load())})
	if len(s.healthy) < b.min {
		b.totals.Store(nil)
		return
	}
	rt := &runningTotal{snap: s, counted: make([]bool, len(s.byID))}
	t := int64(0)
	for _, i := range s.healthy {
		rt.counted[s.backends[i].ID] = true
		t += s.live[i].inflight.Load()
	}
	rt.t.inflight.Store(t)
	b.totals.Store(rt)
}

func (b *boundedLoadBalancer) current() *ringState {
	if st := b.state.Load(); st != nil {
		return st
	}
	return emptyRingState
}

func (b *boundedLoadBalancer) Pick(req Request) (int, error) {
	rt := b.totals.Load() // before the counter moves: see runningTotal
	st := b.current()
	h := mix64(req.Key)
	i, seen := b.choose(st.snap, st, h, rt)
	id, err := b.reserveOrRetry(st.snap, i, seen, func(s *snapshot) (int, int64) {
		return b.choose(s, b.current(), h, b.totals.Load())
	})
	if err == nil && rt != nil && rt.counts(id) {
		rt.add(1, rt.snap.byID[id])
	}
	return id, err
}

// Finished uncounts the request and, if the running total counts its
// backend, moves the total with it.
func (b *boundedLoadBalancer) Finished(id int, now, latency time.Duration, ok bool) {
	rt := b.totals.Load() // before the counter moves: see runningTotal
	c := b.counter(id)
	if c == nil {
		return
	}
	if uncount(c) && rt != nil && rt.counts(id) {
		rt.add(-1, c)
	}
}

// uncount is live.finished, reporting whether it did decrement (it does
// not at 0), so that the running total moves only when the count did.
func uncount(c *live) bool {
	if c.sequential {
		n := c.plain()
		if *n <= 0 {
			return false
		}
		*n--
		return true
	}
	for {
		v := c.inflight.Load()
		if v <= 0 {
			return false
		}
		if c.inflight.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

// total returns T for s: the running total rt (or the board's sum) when
// it covers s's healthy backends, else their sum.
func (b *boundedLoadBalancer) total(s *snapshot, rt *runningTotal) int64 {
	switch {
	case rt == nil || !sameBackends(rt.snap, s):
		// Below the threshold, or an Update raced this pick.
	case s.board != nil:
		// The board does not change: sum it once per SetLoad.
		if bt := b.boardT.Load(); bt != nil && bt.snap == s {
			return bt.t
		}
		bt := &boardTotal{snap: s, t: sumInFlight(s)}
		b.boardT.Store(bt)
		return bt.t
	default:
		return max(0, rt.t.inflight.Load())
	}
	return sumInFlight(s)
}

// sumInFlight returns the in-flight count of s's healthy backends: O(n).
func sumInFlight(s *snapshot) int64 {
	total := int64(0)
	for _, i := range s.healthy {
		total += s.count(i)
	}
	return total
}

// choose returns the index in s of the backend for hash h and the count in
// flight it saw there, or -1. The ring comes from st, which is s's own
// except when a retry races an Update: then its owners are looked up in s
// by ID. rt is the running total the pick loaded (nil for none).
func (b *boundedLoadBalancer) choose(s *snapshot, st *ringState, h uint64, rt *runningTotal) (int, int64) {
	n := len(s.healthy)
	if n == 0 {
		return -1, 0
	}
	total := b.total(s, rt)
	capacity := int64(math.Ceil(b.c * float64(total+1) / float64(n)))
	r := &st.ring
	same := st.snap == s
	first, firstSeen := -1, int64(0)
	if len(r.points) > 0 {
		p := r.locate(h)
		for range len(r.points) {
			var i int
			if same {
				p = int(r.next[p])
				i = int(r.owner[p])
			} else if i = s.indexOf(st.snap.backends[r.owner[p]].ID); i < 0 || !s.backends[i].Healthy {
				p = (p + 1) % len(r.points)
				continue
			}
			l := s.count(i)
			if l+1 <= capacity {
				return i, l
			}
			if first < 0 {
				first, firstSeen = i, l
			}
			p = (p + 1) % len(r.points)
		}
	}
	// Only when concurrent picks and updates moved the counts or the set
	// under the walk: the key's own backend, else one by the hash.
	if first >= 0 {
		return first, firstSeen
	}
	i := s.healthy[h%uint64(n)]
	return i, s.count(i)
}
