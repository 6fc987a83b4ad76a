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
	return &boundedLoadBalancer{c: p.Float(boundedLoadFactor.Name), vnodes: ringHashVnodes.Default}, nil
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
// and stay bounded. Pick reads the n healthy counters to sum T: O(n).
type boundedLoadBalancer struct {
	table
	c      float64
	vnodes int
	mu     sync.Mutex // serialises Update, so state matches the table's snapshot
	state  atomic.Pointer[ringState]
}

func (b *boundedLoadBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.update(backends)
	b.state.Store(&ringState{snap: s, ring: buildRing(s, b.vnodes, b.state.Load())})
}

func (b *boundedLoadBalancer) current() *ringState {
	if st := b.state.Load(); st != nil {
		return st
	}
	return emptyRingState
}

func (b *boundedLoadBalancer) Pick(req Request) (int, error) {
	st := b.current()
	h := mix64(req.Key)
	i, seen := b.choose(st.snap, st, h)
	return b.reserveOrRetry(st.snap, i, seen, func(s *snapshot) (int, int64) {
		return b.choose(s, b.current(), h)
	})
}

// choose returns the index in s of the backend for hash h and the count in
// flight it saw there, or -1. The ring comes from st, which is s's own
// except when a retry races an Update: then its owners are looked up in s
// by ID.
func (b *boundedLoadBalancer) choose(s *snapshot, st *ringState, h uint64) (int, int64) {
	n := len(s.healthy)
	if n == 0 {
		return -1, 0
	}
	total := int64(0)
	for _, i := range s.healthy {
		total += s.count(i)
	}
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
