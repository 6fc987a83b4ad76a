package algorithms

// The machinery every balancer shares, after grpc-go's balancer/leastrequest:
// Update builds an immutable snapshot of the backend set and publishes it
// behind one atomic pointer, so Pick reads it without a lock; the live
// per-backend counters (in flight) sit outside the snapshot, one per ID, and
// the snapshot only points at them, so they survive every rebuild
// (grpc-go's TestLeastRequestPersistsCounts). A backend that leaves the set
// keeps its counter: requests still in flight to it finish against it, and
// it is accurate again if the backend comes back.
//
// Pick counts the request it places (take, reserve), Finished uncounts it,
// Started leaves the count alone: a pick reserves its slot before it
// returns, as grpc-go's least_request picker increments its counter inside
// Pick, so simultaneous picks from the proxy's goroutines see each other and
// do not herd onto the backend that looked idle to all of them.

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// maxID bounds backend IDs, which index slices. IDs are indices in a
// scenario's server list, so this is far beyond any real use.
const maxID = 1<<24 - 1

// live holds the counters of one backend that outlive snapshots.
type live struct {
	inflight atomic.Int64
	// sequential: one goroutine makes every call (table.SetSequential),
	// so reserve and finished count without locked instructions.
	sequential bool
}

// plain is c's count as a plain int64, for the sequential case.
// atomic.Int64 is its int64 and nothing else (its other fields have size
// zero), so the conversion is unsafe.Pointer's rule (1); plain and atomic
// accesses from one goroutine are ordered, and the race detector agrees.
func (c *live) plain() *int64 { return (*int64)(unsafe.Pointer(&c.inflight)) }

// reserve counts one more request in flight if the count is still at most
// seen, the value the pick was decided on, and reports whether it did. A
// count that fell since (a request finished) only makes the choice better;
// one that grew means a concurrent pick took the slot, and the caller picks
// again. Lock-free: a failed compare-and-swap means another call succeeded.
func (c *live) reserve(seen int64) bool {
	if c.sequential {
		n := c.plain()
		if *n > seen {
			return false
		}
		*n++
		return true
	}
	for {
		v := c.inflight.Load()
		if v > seen {
			return false
		}
		if c.inflight.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// finished decrements inflight but never below zero, so that a stray
// Finished cannot make a backend look better than idle (Caddy's
// selectionpolicies refuse negative counts likewise).
func (c *live) finished() {
	if c.sequential {
		if n := c.plain(); *n > 0 {
			*n--
		}
		return
	}
	for {
		v := c.inflight.Load()
		if v <= 0 || c.inflight.CompareAndSwap(v, v-1) {
			return
		}
	}
}

// snapshot is one published backend set. Nothing in it changes after
// publication except through the *live pointers.
type snapshot struct {
	backends []Backend // a copy of the set, sorted by ID
	live     []*live   // live[i] belongs to backends[i]
	healthy  []int     // indices into backends of the healthy ones, ascending
	byID     []*live   // every ID ever seen (nil for IDs never seen), for Started/Finished
	// board holds the engine's in-flight counts by ID (LoadAware), nil
	// while the balancer decides on its own live counts.
	board []int64
}

// count is the in-flight count a load-aware choice reads for backends[i]:
// the engine's published count when there is one (LoadAware), else the
// live counter.
func (s *snapshot) count(i int) int64 {
	if s.board != nil {
		if id := s.backends[i].ID; id < len(s.board) {
			return s.board[id]
		}
		return 0
	}
	return s.live[i].inflight.Load()
}

var emptySnapshot = &snapshot{}

// table is embedded by every balancer: it implements Update's bookkeeping,
// Started and Finished. The zero value is an empty set.
type table struct {
	mu         sync.Mutex // serialises update
	seen       []*live    // by ID, every ID ever seen; guarded by mu
	snap       atomic.Pointer[snapshot]
	sequential bool // SetSequential was called; guarded by mu
}

// Sequential is implemented by balancers that can count in flight without
// atomic instructions when a single goroutine makes every call: the
// simulator's case, where a locked instruction per pick and per Finished
// was about a tenth of a simulated request's cost (DECISIONS.md).
type Sequential interface {
	// SetSequential promises that, from now on, one goroutine makes
	// every call, Update included.
	SetSequential()
}

// SetSequential implements Sequential: the counters of every backend seen
// so far and to come are counted without locked instructions.
func (t *table) SetSequential() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sequential = true
	for _, c := range t.seen {
		if c != nil {
			c.sequential = true
		}
	}
}

// load returns the current snapshot; never nil.
func (t *table) load() *snapshot {
	if s := t.snap.Load(); s != nil {
		return s
	}
	return emptySnapshot
}

// update builds, publishes and returns the snapshot for backends. It panics
// on a broken contract (see Balancer.Update): such a set is a bug in the
// engine, and picking from it would silently skew every result.
func (t *table) update(backends []Backend) *snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	bs := slices.Clone(backends)
	slices.SortFunc(bs, func(a, b Backend) int { return cmp.Compare(a.ID, b.ID) })
	s := &snapshot{backends: bs, live: make([]*live, len(bs))}
	for i, b := range bs {
		switch {
		case b.ID < 0 || b.ID > maxID:
			panic(fmt.Sprintf("algorithms: Update: backend %q: ID %d out of range [0, %d]", b.Name, b.ID, maxID))
		case i > 0 && bs[i-1].ID == b.ID:
			panic(fmt.Sprintf("algorithms: Update: backends %q and %q share ID %d", bs[i-1].Name, b.Name, b.ID))
		case !(b.Weight > 0) || math.IsInf(b.Weight, 1):
			panic(fmt.Sprintf("algorithms: Update: backend %q (ID %d): weight %v is not a finite number > 0", b.Name, b.ID, b.Weight))
		}
		for len(t.seen) <= b.ID {
			t.seen = append(t.seen, nil)
		}
		if t.seen[b.ID] == nil {
			t.seen[b.ID] = &live{sequential: t.sequential}
		}
		s.live[i] = t.seen[b.ID]
		if b.Healthy {
			s.healthy = append(s.healthy, i)
		}
	}
	s.byID = slices.Clone(t.seen)
	s.board = t.load().board // the engine's counts hold until its next SetLoad
	t.snap.Store(s)
	return s
}

// setLoad is LoadAware's SetLoad for the balancers built on table that
// take counts (loadaware.go): it publishes a snapshot like the current one
// carrying the engine's counts.
func (t *table) setLoad(inflight []int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := *t.load()
	next.board = slices.Clone(inflight)
	if next.board == nil {
		next.board = []int64{} // an empty board: every backend counts 0
	}
	t.snap.Store(&next)
}

// counter returns the live counters of id, or nil for an ID never listed.
func (t *table) counter(id int) *live {
	s := t.load()
	if id < 0 || id >= len(s.byID) {
		return nil
	}
	return s.byID[id]
}

// take counts the request being placed on backends[i] and returns its ID:
// the reservation of balancers whose choice does not depend on the counts.
func (s *snapshot) take(i int) int {
	if c := s.live[i]; c.sequential {
		*c.plain()++
	} else {
		c.inflight.Add(1)
	}
	return s.backends[i].ID
}

// reserveOrRetry is the end of the load-aware balancers' Pick. Their choose
// decides on a snapshot, returning an index into its backends and the
// in-flight count it saw there (or -1 for none eligible). reserveOrRetry
// finishes a Pick whose first choice, i with seen in flight
// on snapshot s, has been made: it reserves the slot, or decides again while
// concurrent picks keep taking it. Load-aware balancers call their choose
// directly for the first try and pass it here only for the retries, so the
// common, uncontended path makes no indirect call.
func (t *table) reserveOrRetry(s *snapshot, i int, seen int64, choose func(s *snapshot) (i int, seen int64)) (int, error) {
	for try := 1; ; try++ {
		switch {
		case i < 0:
			return -1, ErrNoBackend
		case s.board != nil:
			// Decided on the engine's counts: the live count is
			// bookkeeping only, nothing to reserve against.
			return s.take(i), nil
		case try == maxReserveTries:
			return s.take(i), nil
		case s.live[i].reserve(seen):
			return s.backends[i].ID, nil
		}
		s = t.load()
		i, seen = choose(s)
	}
}

// maxReserveTries bounds how often a load-aware Pick decides again when
// concurrent picks keep taking the slot it chose; the last try takes its
// choice unconditionally, so Pick never spins. One goroutine (the
// simulator) always succeeds at the first try, drawing exactly the random
// numbers it drew when Started did the counting.
const maxReserveTries = 8

// Started implements Balancer. It is a notification only: Pick already
// counted the request in flight.
func (t *table) Started(id int, now time.Duration) {}

// Finished implements Balancer. An ID never listed is ignored, and the count
// in flight never goes below zero.
func (t *table) Finished(id int, now, latency time.Duration, ok bool) {
	if c := t.counter(id); c != nil {
		c.finished()
	}
}

// InFlight implements InFlightCounter: the requests in flight to id, 0 for
// an ID never listed.
func (t *table) InFlight(id int) int64 {
	if c := t.counter(id); c != nil {
		return c.inflight.Load()
	}
	return 0
}

// leastOfDrawn draws len(buf) distinct healthy backends (sampleDistinct:
// uniformly, in a uniformly random order; len(buf) < the healthy count) and
// returns the index of the one with the fewest in flight and that count.
// The first drawn wins a tie, which is a uniform tie-break because the draw
// order is random. p2c and prequal's fallback share it.
func (s *snapshot) leastOfDrawn(r *rand.Rand, buf []int) (int, int64) {
	sampleDistinct(r, len(s.healthy), buf)
	best, least := -1, int64(0)
	for _, x := range buf {
		i := s.healthy[x]
		if l := s.count(i); best < 0 || l < least {
			best, least = i, l
		}
	}
	return best, least
}
