package algorithms

// p2c: the power of d choices (Mitzenmacher, "The power of two choices in
// randomized load balancing", IEEE TPDS 2001; Azar, Broder, Karlin and
// Upfal, "Balanced allocations", 1994): sample d distinct healthy backends
// uniformly at random and send the request to the one with the fewest in
// flight. tower's balance::p2c and linkerd2-proxy's pool::p2c do this for
// d = 2; Traefik's p2c samples its pair with a bias, this one does not.

import (
	"math/rand/v2"
	"time"
)

// maxDrawn is the largest d sampled by drawing candidates one at a time;
// larger d use selection sampling.
const maxDrawn = 8

// p2cBalancer with d choices picks, when n backends are healthy:
//
//	n <= d:     every healthy backend is a candidate: least-connections.
//	d <= 8:     draw d distinct candidates one by one, the k-th uniform over
//	            the n-k not yet drawn (a uniform rank among the undrawn, mapped
//	            to an index by stepping over the drawn ones kept in sorted
//	            order: exactly d draws, no rejection loop, no allocation); the
//	            first candidate in draw order with the fewest in flight wins.
//	            Draw order is a uniformly random permutation of the sample, so
//	            the first of the tied ones is uniform among them.
//	d > 8:      Knuth's selection sampling (TAOCP vol. 2, 3.4.2, Algorithm S):
//	            walk the n healthy backends, taking the t-th (0-based) with
//	            probability (d - m) / (n - t), m = taken so far; ties among the
//	            taken ones are broken uniformly by reservoir sampling (ties.go).
//
// Each d-subset of the healthy backends is equally likely in every case.
// d = 1 is random; d >= n is least-connections.
type p2cBalancer struct {
	table
	r *rand.Rand
	d int
}

func newP2C(src rand.Source, choices int) Balancer {
	return &p2cBalancer{r: rand.New(src), d: choices}
}

func (b *p2cBalancer) Update(now time.Duration, backends []Backend) {
	b.update(backends)
}

// Pick counts the request against the winner, reserving it only if its
// count has not grown since it was read (reserveOrRetry).
func (b *p2cBalancer) Pick(req Request) (int, error) {
	s := b.load()
	i, seen := b.choose(s)
	return b.reserveOrRetry(s, i, seen, b.choose)
}

func (b *p2cBalancer) choose(s *snapshot) (int, int64) {
	n := len(s.healthy)
	best, least := -1, int64(0)
	switch {
	case n == 0:
	case b.d >= n:
		best, least = s.leastLoaded(b.r)
	case b.d == 2:
		best, least = s.leastOfTwo(b.r)
	case b.d <= maxDrawn:
		var buf [maxDrawn]int
		best, least = s.leastOfDrawn(b.r, buf[:b.d])
	default:
		tb := ties{r: b.r}
		sel := selection{n: n, d: b.d}
		for x := sel.next(b.r); x >= 0; x = sel.next(b.r) {
			i := s.healthy[x]
			l := s.count(i)
			switch {
			case best < 0 || l < least:
				best, least = i, l
				tb.first()
			case l == least && tb.another():
				best = i
			}
		}
	}
	return best, least
}

// sampleDistinct fills dst with len(dst) distinct indices in [0, n), a
// uniformly random ordered sample: the k-th is uniform over the n-k indices
// not drawn before it. It needs len(dst) <= maxDrawn and len(dst) <= n.
func sampleDistinct(r *rand.Rand, n int, dst []int) {
	var sorted [maxDrawn]int // the indices drawn so far, ascending
	for k := range dst {
		// x is a rank among the n-k undrawn indices; stepping over every
		// drawn index <= it turns it into the index itself.
		x := r.IntN(n - k)
		j := 0
		for ; j < k && x >= sorted[j]; j++ {
			x++
		}
		copy(sorted[j+1:k+1], sorted[j:k])
		sorted[j] = x
		dst[k] = x
	}
}

// leastOfTwo is leastOfDrawn for two candidates (p2c's default, and the
// simulator's hottest pick), written out: the same two draws as
// sampleDistinct (x0 uniform over n, x1 uniform over the n-1 others,
// stepped over x0) and the same tie-break (x0 wins), without the general
// loop's sorted buffer and copy.
func (s *snapshot) leastOfTwo(r *rand.Rand) (int, int64) {
	n := len(s.healthy)
	x0 := r.IntN(n)
	x1 := r.IntN(n - 1)
	if x1 >= x0 {
		x1++
	}
	i, j := s.healthy[x0], s.healthy[x1]
	li, lj := s.count(i), s.count(j)
	if lj < li {
		return j, lj
	}
	return i, li
}

// selection is Knuth's Algorithm S: it yields d of the indices 0..n-1, in
// ascending order, each d-subset with probability 1 / C(n, d).
type selection struct {
	n, d int
	t    int // indices examined
	m    int // indices selected
}

// next returns the next selected index, or -1 when d have been selected.
func (s *selection) next(r *rand.Rand) int {
	for s.m < s.d {
		t := s.t
		s.t++
		// Select t with probability (d-m)/(n-t); certain once n-t == d-m.
		if s.n-t == s.d-s.m || r.IntN(s.n-t) < s.d-s.m {
			s.m++
			return t
		}
	}
	return -1
}
