package algorithms

// random: a uniformly random healthy backend, the baseline every other
// strategy should beat (Mitzenmacher's d = 1; Envoy's RANDOM policy).

import (
	"math/rand/v2"
	"time"
)

type randomBalancer struct {
	table
	r *rand.Rand
}

func newRandom(src rand.Source) Balancer {
	return &randomBalancer{r: rand.New(src)}
}

func (b *randomBalancer) Update(now time.Duration, backends []Backend) {
	b.update(backends)
}

// Pick returns healthy[IntN(len(healthy))]: one draw, probability 1/n each.
func (b *randomBalancer) Pick(req Request) (int, error) {
	s := b.load()
	n := len(s.healthy)
	if n == 0 {
		return -1, ErrNoBackend
	}
	return s.take(s.healthy[b.r.IntN(n)]), nil
}
