// Package latencyp2c is a load-balancing strategy that is not in Fulcrum's
// catalogue, written outside Fulcrum as any researcher's would be: two
// random choices decided by latency. Each pick samples two distinct healthy
// backends uniformly at random and takes the one whose exponentially
// weighted average of recent latencies is lower; the one with fewer
// requests in flight breaks a tie, and the first drawn a tie of both. A
// backend that has answered nothing yet counts as DefaultRTT.
//
// It differs from p2c (which compares requests in flight only), from
// least-response-time (which scans every backend) and from peak-ewma
// (which multiplies a peak-sensitive average by the load): the average
// here moves by Alpha of the gap with each answer, up or down alike.
//
//	ewma <- ewma + alpha x (latency - ewma)
package latencyp2c

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// Spec declares the strategy to Fulcrum: register it with
// algorithms.Register(latencyp2c.Spec) before running anything, and
// scenario files can name it:
//
//	algorithms: [p2c, {name: latency-p2c, alpha: 0.3}]
var Spec = algorithms.Spec{
	Name:    "latency-p2c",
	Summary: "two random healthy backends; the lower EWMA of latency wins, fewer in flight breaks ties",
	Params: []algorithms.Param{
		algorithms.Float{Name: "alpha", Default: 0.3, Above: 0, Doc: "weight of the newest latency in the average, in (0, 1]",
			Check: func(a float64) error {
				if a > 1 {
					return fmt.Errorf("must be <= 1, got %g", a)
				}
				return nil
			}},
		algorithms.Duration{Name: "default_rtt", Default: 10 * time.Millisecond, Doc: "the average of a backend that has answered nothing yet"},
	},
	New: func(p algorithms.Params, src rand.Source) (algorithms.Balancer, error) {
		return New(p.Float("alpha"), p.Duration("default_rtt"), src), nil
	},
}

// Balancer is the strategy. It is safe for concurrent use, as the proxy
// needs; its randomness comes only from the source it was built with
// (the proxy locks it; the simulator drives it from one goroutine).
type Balancer struct {
	alpha      float64
	defaultRTT float64 // ns
	rng        *rand.Rand

	snap  atomic.Pointer[snapshot] // the current backend set, immutable
	mu    sync.Mutex               // serialises Update (growing stats)
	stats []*stat                  // by ID; outlive updates (under mu)
}

// snapshot is one Update's view: the healthy backends' IDs, and the stats
// of every ID seen so far (shared with later snapshots).
type snapshot struct {
	healthy []int
	stats   []*stat
}

// stat is one backend's live figures, updated by Pick and Finished.
type stat struct {
	inflight atomic.Int64
	ewma     atomic.Uint64 // float64 bits, ns; 0 bits = nothing yet
}

// New is the strategy with weight alpha in (0, 1] and defaultRTT for
// backends without answers, drawing its randomness from src.
func New(alpha float64, defaultRTT time.Duration, src rand.Source) *Balancer {
	b := &Balancer{alpha: alpha, defaultRTT: float64(defaultRTT), rng: rand.New(src)}
	b.snap.Store(&snapshot{})
	return b
}

// Update publishes a new backend set; counters and averages of IDs seen
// before carry over.
func (b *Balancer) Update(_ time.Duration, backends []algorithms.Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &snapshot{}
	for _, be := range backends {
		for be.ID >= len(b.stats) {
			b.stats = append(b.stats, new(stat))
		}
		if be.Healthy {
			s.healthy = append(s.healthy, be.ID)
		}
	}
	slices.Sort(s.healthy) // the same draws pick the same backends, whatever the input order
	s.stats = slices.Clip(b.stats)
	b.snap.Store(s)
}

// Pick samples two distinct healthy backends and keeps the better one, and
// counts the request in flight there.
func (b *Balancer) Pick(algorithms.Request) (int, error) {
	s := b.snap.Load()
	n := len(s.healthy)
	if n == 0 {
		return 0, algorithms.ErrNoBackend
	}
	id := s.healthy[0]
	if n > 1 {
		i := b.rng.IntN(n)
		j := b.rng.IntN(n - 1)
		if j >= i {
			j++ // distinct, and every pair equally likely
		}
		id = b.better(s, s.healthy[i], s.healthy[j])
	}
	s.stats[id].inflight.Add(1)
	return id, nil
}

// better is a or c, whichever has the lower average, then fewer in flight,
// then a.
func (b *Balancer) better(s *snapshot, a, c int) int {
	la, lc := b.latency(s.stats[a]), b.latency(s.stats[c])
	switch {
	case lc < la:
		return c
	case la < lc:
		return a
	case s.stats[c].inflight.Load() < s.stats[a].inflight.Load():
		return c
	}
	return a
}

func (b *Balancer) latency(st *stat) float64 {
	bits := st.ewma.Load()
	if bits == 0 {
		return b.defaultRTT
	}
	return math.Float64frombits(bits)
}

// Started changes nothing: Pick has counted the request already.
func (b *Balancer) Started(int, time.Duration) {}

// Finished ends a request on id and folds its latency into id's average
// (a failure's too: a backend that fails fast should not look fast, but
// neither is its latency unknown).
func (b *Balancer) Finished(id int, _ time.Duration, latency time.Duration, _ bool) {
	s := b.snap.Load()
	if id < 0 || id >= len(s.stats) {
		return // an ID this balancer never listed
	}
	st := s.stats[id]
	for {
		n := st.inflight.Load()
		if n <= 0 || st.inflight.CompareAndSwap(n, n-1) {
			break
		}
	}
	for {
		old := st.ewma.Load()
		x := float64(latency)
		if old != 0 {
			prev := math.Float64frombits(old)
			x = prev + b.alpha*(x-prev)
		}
		if x == 0 {
			x = math.SmallestNonzeroFloat64 // 0 bits mean "nothing yet"
		}
		if st.ewma.CompareAndSwap(old, math.Float64bits(x)) {
			return
		}
	}
}

// InFlight is id's count of requests in flight, for the test kit.
func (b *Balancer) InFlight(id int) int64 {
	s := b.snap.Load()
	if id < 0 || id >= len(s.stats) {
		return 0
	}
	return s.stats[id].inflight.Load()
}
