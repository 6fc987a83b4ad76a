// Package clockreader is a deliberately broken strategy for algotest's own
// tests: it expires its state by reading the wall clock, which the
// simulator cannot replay.
package clockreader

import (
	"math/rand/v2"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

type recentFirst struct {
	r    *rand.Rand
	last time.Time
	ids  []int
}

func (b *recentFirst) Update(now time.Duration, backends []algorithms.Backend) {
	b.ids = b.ids[:0]
	for _, be := range backends {
		if be.Healthy {
			b.ids = append(b.ids, be.ID)
		}
	}
}

func (b *recentFirst) Pick(req algorithms.Request) (int, error) {
	if len(b.ids) == 0 {
		return -1, algorithms.ErrNoBackend
	}
	if time.Since(b.last) > time.Second { // the bug: wall time
		b.last = time.Now()
		b.r.Shuffle(len(b.ids), func(i, j int) { b.ids[i], b.ids[j] = b.ids[j], b.ids[i] })
	}
	return b.ids[0], nil
}

func (b *recentFirst) Started(id int, now time.Duration)                    {}
func (b *recentFirst) Finished(id int, now, latency time.Duration, ok bool) {}
