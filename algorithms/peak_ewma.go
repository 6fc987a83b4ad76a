package algorithms

// peak-ewma: power of two choices over a latency cost, as Finagle's
// P2CPeakEwma and tower's / linkerd2-proxy's p2c over load::PeakEwma do it:
// sample two distinct healthy backends uniformly at random (p2c's sampler)
// and send the request to the one with the lower
//
//	cost = peak-EWMA of latency (ewma.go) * (in flight + 1)
//
// The peak rule believes a rise in latency at once and a fall only
// gradually, so traffic leaves a backend that slows down within a request
// or two, and comes back as its estimate decays.

import (
	"math/rand/v2"
	"sync"
	"time"
)

type peakEWMABalancer struct {
	table
	mu  sync.Mutex // serialises Update
	est estimates
	r   *rand.Rand
}

func newPeakEWMA(src rand.Source, decay, defaultRTT time.Duration) Balancer {
	return &peakEWMABalancer{r: rand.New(src), est: newEstimates(decay, defaultRTT)}
}

func (b *peakEWMABalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.est.grow(now, backends) // before the snapshot that lists them is published
	b.update(backends)
}

// Pick reserves the winner only if its count has not grown since its cost
// was computed (reserveOrRetry).
func (b *peakEWMABalancer) Pick(req Request) (int, error) {
	s := b.load()
	choose := func(s *snapshot) (int, int64) { return b.choose(s, req.Now) }
	i, seen := choose(s)
	return b.reserveOrRetry(s, i, seen, choose)
}

// choose: one healthy backend is the only candidate; otherwise two distinct
// ones in a uniformly random order, the first winning a tie (so a tie is
// broken uniformly).
func (b *peakEWMABalancer) choose(s *snapshot, now time.Duration) (int, int64) {
	switch n := len(s.healthy); n {
	case 0:
		return -1, 0
	case 1:
		i := s.healthy[0]
		return i, s.count(i)
	default:
		var pair [2]int
		sampleDistinct(b.r, n, pair[:])
		best, least, bestCost := -1, int64(0), 0.0
		for _, x := range pair {
			i := s.healthy[x]
			l := s.count(i)
			c := b.est.cost(s.backends[i].ID, now) * float64(l+1)
			if best < 0 || c < bestCost {
				best, least, bestCost = i, l, c
			}
		}
		return best, least
	}
}

// Finished folds the latency into the backend's estimate and uncounts the
// request.
func (b *peakEWMABalancer) Finished(id int, now, latency time.Duration, ok bool) {
	b.est.observe(id, now, latency, true)
	b.table.Finished(id, now, latency, ok)
}
