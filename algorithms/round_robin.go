package algorithms

// round-robin: cycle over the healthy backends in ID order, as nginx's
// default upstream policy does with equal weights and grpc-go's round_robin
// picker does (an atomic counter, a random start).

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// roundRobinBalancer picks healthy[(c0 + k) mod n] for its k-th pick, where
// healthy is the current snapshot's healthy backends in ID order, n their
// number and c0 a start drawn once from the source at construction, so that
// several balancer instances over the same servers do not march in lockstep.
//
// The counter is one atomic add per pick and is never reset. When the healthy
// set changes, the cycle simply continues at counter mod n' over the new
// list: while nothing changes, every n consecutive picks visit each healthy
// backend exactly once; at the moment of a change one backend may be picked
// twice in a row or skipped once. A backend that becomes unhealthy drops out
// of the cycle at the next Update; one that comes back rejoins it at its ID's
// place in the order, with no catch-up burst (it has no memory of the picks
// it missed). The counter wraps after 2^64 picks, a further one-off hiccup.
type roundRobinBalancer struct {
	table
	next atomic.Uint64
}

func newRoundRobin(src rand.Source) Balancer {
	b := &roundRobinBalancer{}
	b.next.Store(src.Uint64())
	return b
}

func (b *roundRobinBalancer) Update(now time.Duration, backends []Backend) {
	b.update(backends)
}

func (b *roundRobinBalancer) Pick(req Request) (int, error) {
	s := b.load()
	n := len(s.healthy)
	if n == 0 {
		return -1, ErrNoBackend
	}
	k := b.next.Add(1) - 1
	return s.take(s.healthy[k%uint64(n)]), nil
}
