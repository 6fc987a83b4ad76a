package algorithms

// least-connections: the healthy backend with the fewest requests in flight,
// ties broken uniformly at random (nginx's least_conn, Caddy's least_conn
// policy, which also uses reservoir sampling for the ties).

import (
	"math/rand/v2"
	"time"
)

type leastConnectionsBalancer struct {
	table
	r *rand.Rand
}

func newLeastConnections(src rand.Source) Balancer {
	return &leastConnectionsBalancer{r: rand.New(src)}
}

func (b *leastConnectionsBalancer) Update(now time.Duration, backends []Backend) {
	b.update(backends)
}

// Pick returns argmin over healthy i of inflight_i, uniform among the ties.
// The counts are read one by one, not as one consistent cut: under
// concurrency a pick may act on a count that is a request or two stale.
func (b *leastConnectionsBalancer) Pick(req Request) (int, error) {
	s := b.load()
	i := s.leastLoaded(b.r)
	if i < 0 {
		return -1, ErrNoBackend
	}
	return s.backends[i].ID, nil
}

// leastLoaded returns the index in s.backends of the healthy backend with
// the fewest requests in flight, uniform among the ties, or -1 if none is
// healthy. p2c falls back on it when it may sample every healthy backend.
func (s *snapshot) leastLoaded(r *rand.Rand) int {
	best, least := -1, int64(0)
	tb := ties{r: r}
	for _, i := range s.healthy {
		l := s.live[i].inflight.Load()
		switch {
		case best < 0 || l < least:
			best, least = i, l
			tb.first()
		case l == least && tb.another():
			best = i
		}
	}
	return best
}
