package algorithms

// ring-hash: consistent hashing with virtual nodes (Karger, Lehman,
// Leighton, Panigrahy, Levine and Lewin, "Consistent hashing and random
// trees", STOC 1997), as Envoy's ring_hash load balancer and grpc-go's
// ringhash do it. The ring itself is in hashring.go.

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

var ringHashVnodes = Int{
	Name: "vnodes", Default: 100, Min: 1,
	Doc: "ring points per unit of weight (a backend of weight w gets round(vnodes*w), at least 1)",
}

// ringHashBalancer puts round(vnodes * weight) points per listed backend on
// a 64-bit ring, point v of backend b at
//
//	mix64(FNV-1a(b.Name + "#" + v))
//
// and sends a request to the owner of the first point at or after
// mix64(Key), wrapping around, skipping points whose owner is unhealthy.
// Unhealthy backends keep their points, so a backend going down moves only
// its own keys (each to the next healthy point after it, which spreads them
// over the others in proportion to their ring share) and coming back moves
// them home. Adding or removing one of N equal backends moves about 1/N of
// the keys. Key is mixed again as in ip-hash, so low-entropy keys spread
// too; requests without a key (Key 0) all go to one backend.
//
// With 100 vnodes the busiest backend's share of the keys is typically
// 1.1-1.3 times the mean (the standard deviation of a share is about
// 1/sqrt(vnodes) of it); maglev is better balanced, bounded-load-hash
// bounds the load instead.
type ringHashBalancer struct {
	table
	vnodes int
	mu     sync.Mutex // serialises Update, so state matches the table's snapshot
	state  atomic.Pointer[ringState]
}

func newRingHash(vnodes int) Balancer {
	return &ringHashBalancer{vnodes: vnodes}
}

func newRingHashSpec(p Params, _ rand.Source) (Balancer, error) {
	return newRingHash(p.Int(ringHashVnodes.Name)), nil
}

func (b *ringHashBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.update(backends)
	b.state.Store(&ringState{snap: s, ring: buildRing(s, b.vnodes, b.state.Load())})
}

func (b *ringHashBalancer) current() *ringState {
	if st := b.state.Load(); st != nil {
		return st
	}
	return emptyRingState
}

func (b *ringHashBalancer) Pick(req Request) (int, error) {
	st := b.current()
	if len(st.snap.healthy) == 0 {
		return -1, ErrNoBackend
	}
	p := st.ring.next[st.ring.locate(mix64(req.Key))]
	return st.snap.take(int(st.ring.owner[p])), nil
}
