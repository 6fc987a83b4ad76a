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

// Pick returns argmin over healthy i of inflight_i, uniform among the ties,
// and counts the request against it. The counts are read one by one, not as
// one consistent cut, but the winner's count is reserved only if it has not
// grown since it was read (reserveOrRetry), so concurrent picks never pile
// onto a backend that only looked idle.
func (b *leastConnectionsBalancer) Pick(req Request) (int, error) {
	s := b.load()
	i, seen := b.choose(s)
	return b.reserveOrRetry(s, i, seen, b.choose)
}

func (b *leastConnectionsBalancer) choose(s *snapshot) (int, int64) {
	return s.leastLoaded(b.r)
}

// leastLoaded returns the index in s.backends of the healthy backend with
// the fewest requests in flight, uniform among the ties, and that count, or
// -1 if none is healthy. p2c falls back on it when it may sample every
// healthy backend.
func (s *snapshot) leastLoaded(r *rand.Rand) (int, int64) {
	best, least := -1, int64(0)
	tb := ties{r: r}
	for _, i := range s.healthy {
		l := s.count(i)
		switch {
		case best < 0 || l < least:
			best, least = i, l
			tb.first()
		case l == least && tb.another():
			best = i
		}
	}
	return best, least
}
