package algorithms

// sticky: session affinity as a decorator over any other algorithm (HAProxy's
// stick tables, nginx's sticky learn, Envoy's stateful sessions): the first
// request of a client key goes where the base algorithm picks, and the
// key's later requests follow it there for as long as that backend is
// healthy. When it is not, the key is re-picked by the base and re-bound.
// Key 0 (no identity) always goes to the base.
//
// The base is built with its default params: this version cannot pass it
// any (sticky's own params are base and max_sessions).
//
// The bindings sit in a bounded table of max_sessions keys; when it is full,
// binding a new key evicts the one bound longest ago (first in, first out:
// a re-binding keeps the key's place). The table is one map and a ring of
// slots behind one mutex, held for the whole Pick, the base's included, so
// a key is bound once even when its requests race, at the cost of
// serialising picks (a few tens of ns each). The map and the ring grow
// while the table fills; once it is full Pick allocates nothing.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stickyBase is a function, not a variable, because its Check looks the
// base up among the built-ins, which list sticky's params: a variable
// would be an initialization cycle.
//
// The base is a built-in: sticky counts a bound key's request in the
// base's own in-flight table, which a registered strategy does not share.
func stickyBase() String {
	return String{
		Name: "base", Default: "round-robin",
		Doc: "the algorithm that places a key's first request (with its default params); any but sticky",
		Check: func(name string) error {
			_, ok := findBuiltin(name)
			switch {
			case name == "sticky":
				return errors.New("sticky cannot be its own base")
			case !ok:
				return fmt.Errorf("unknown algorithm %q (known: %s)", name, strings.Join(names(builtins()), ", "))
			}
			return nil
		},
	}
}

var stickyMaxSessions = Int{
	Name: "max_sessions", Default: 100000, Min: 1,
	Doc: "keys remembered; when full, the key bound longest ago is forgotten",
}

// stickyBaseSpec returns the Spec of p's base and the base's default params.
func stickyBaseSpec(p Params) (Spec, Params) {
	s, _ := findBuiltin(p.String("base"))
	// The base's defaults: with no params its decoding cannot fail.
	bp, _ := decodeParams(s.Name, s.Params, nil)
	return s, bp
}

func newStickySpec(p Params, src rand.Source) (Balancer, error) {
	s, bp := stickyBaseSpec(p)
	base, err := s.New(bp, src)
	if err != nil {
		return nil, err
	}
	return newSticky(base, p.Int(stickyMaxSessions.Name)), nil
}

// stickyFits: the base's constraints (p2c's choices <= backends) apply.
func stickyFits(p Params, backends int) error {
	s, bp := stickyBaseSpec(p)
	if s.Fits == nil {
		return nil
	}
	return s.Fits(bp, backends)
}

// stickyBalancer forwards everything to its base, whose table holds the
// in-flight counts; it keeps only the health of each ID (to know when a
// binding breaks) and the bindings.
type stickyBalancer struct {
	base    Balancer
	counts  counted                // the base's table
	healthy atomic.Pointer[[]bool] // by ID: listed and healthy

	mu    sync.Mutex
	slot  map[uint64]int32 // key -> index in ring
	ring  []binding        // in binding order from next, once full
	next  int              // the oldest slot, evicted by the next new key once full
	limit int
}

type binding struct {
	key uint64
	id  int
}

// counted is what every balancer of this package has from its table.
type counted interface {
	counter(id int) *live
	InFlight(id int) int64
}

func newSticky(base Balancer, maxSessions int) Balancer {
	return &stickyBalancer{
		base:   base,
		counts: base.(counted),
		slot:   make(map[uint64]int32, min(maxSessions, 1024)),
		limit:  maxSessions,
	}
}

func (b *stickyBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock() // publishes health in the order the base gets its updates
	defer b.mu.Unlock()
	b.base.Update(now, backends)
	n := 0
	for _, be := range backends {
		n = max(n, be.ID+1)
	}
	h := make([]bool, n)
	for _, be := range backends {
		if be.ID >= 0 {
			h[be.ID] = be.Healthy
		}
	}
	b.healthy.Store(&h)
}

func (b *stickyBalancer) isHealthy(id int) bool {
	h := b.healthy.Load()
	return h != nil && id >= 0 && id < len(*h) && (*h)[id]
}

// Pick: key 0 goes to the base. A bound key whose backend is healthy goes
// there, counted in flight in the base's table (the base is not asked, so
// its own state, a round-robin position, moves only for new or broken
// bindings). Otherwise the base picks and the key is (re)bound; if the base
// finds nothing, the binding is kept for when its backend comes back.
func (b *stickyBalancer) Pick(req Request) (int, error) {
	if req.Key == 0 {
		return b.base.Pick(req)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k, bound := b.slot[req.Key]
	if bound {
		if id := b.ring[k].id; b.isHealthy(id) {
			if c := b.counts.counter(id); c != nil {
				c.inflight.Add(1)
				return id, nil
			}
		}
	}
	id, err := b.base.Pick(req)
	if err != nil {
		return id, err
	}
	switch {
	case bound:
		b.ring[k].id = id
	case len(b.ring) < b.limit:
		b.slot[req.Key] = int32(len(b.ring))
		b.ring = append(b.ring, binding{req.Key, id})
	default:
		delete(b.slot, b.ring[b.next].key)
		b.ring[b.next] = binding{req.Key, id}
		b.slot[req.Key] = int32(b.next)
		b.next = (b.next + 1) % b.limit
	}
	return id, nil
}

func (b *stickyBalancer) Started(id int, now time.Duration) { b.base.Started(id, now) }

func (b *stickyBalancer) Finished(id int, now, latency time.Duration, ok bool) {
	b.base.Finished(id, now, latency, ok)
}

// counter exposes the base's counters (for tests).
func (b *stickyBalancer) counter(id int) *live { return b.counts.counter(id) }

// InFlight implements InFlightCounter: the base's count.
func (b *stickyBalancer) InFlight(id int) int64 { return b.counts.InFlight(id) }

// bindings returns the number of keys bound (for tests).
func (b *stickyBalancer) bindings() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.slot)
}
