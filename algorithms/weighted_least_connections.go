package algorithms

// weighted-least-connections: the healthy backend with the lowest
// (in-flight + 1) / weight, ties broken uniformly at random. The "+1" is the
// request being placed, as in HAProxy's leastconn and Envoy's weighted
// least-request ("weight / (active_requests + 1)"); nginx's least_conn
// compares in-flight/weight without it.

import (
	"math/rand/v2"
	"time"
)

// weightedLeastConnectionsBalancer scores every healthy backend i by
//
//	score_i = (inflight_i + 1) / w_i
//
// and picks the lowest score, uniform among ties. Why +1: the score is the
// load per unit of weight the backend would have after taking this request.
// Without it, every idle backend scores 0 whatever its weight, so a light
// server would be as likely as a heavy one to receive the first request of
// a quiet period, and at low load (when little is in flight) weights would
// hardly matter. With it, idle backends rank by weight, and weights 3 and 1
// hold in-flight counts near 3:1 at any load.
//
// Scores are compared by cross-multiplying, (l_a+1)*w_b < (l_b+1)*w_a,
// which saves a division per backend; with integer weights both products
// are exact integers, so equal scores are exact ties.
type weightedLeastConnectionsBalancer struct {
	table
	r *rand.Rand
}

func newWeightedLeastConnections(src rand.Source) Balancer {
	return &weightedLeastConnectionsBalancer{r: rand.New(src)}
}

func (b *weightedLeastConnectionsBalancer) Update(now time.Duration, backends []Backend) {
	b.update(backends)
}

func (b *weightedLeastConnectionsBalancer) Pick(req Request) (int, error) {
	s := b.load()
	best := -1
	var bestLoad, bestWeight float64 // inflight+1 and weight of best
	tb := ties{r: b.r}
	for _, i := range s.healthy {
		load := float64(s.live[i].inflight.Load() + 1)
		w := s.backends[i].Weight
		// score_i < score_best  <=>  (l_i+1)*w_best < (l_best+1)*w_i
		lhs, rhs := load*bestWeight, bestLoad*w
		switch {
		case best < 0 || lhs < rhs:
			best, bestLoad, bestWeight = i, load, w
			tb.first()
		case lhs == rhs && tb.another():
			best, bestLoad, bestWeight = i, load, w
		}
	}
	if best < 0 {
		return -1, ErrNoBackend
	}
	return s.backends[best].ID, nil
}
