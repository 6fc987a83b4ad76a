package algorithms

import (
	"math/rand/v2"
	"testing"
)

// pickCounts returns how often each of n IDs is picked in picks picks,
// with in-flight counts left as they are (each pick is finished at once).
func pickCounts(t *testing.T, b Balancer, n, picks int) []int {
	t.Helper()
	counts := make([]int, n)
	for k := range picks {
		id := mustPick(t, b, uint64(k))
		b.Started(id, 0)
		b.Finished(id, 0, 0, true)
		counts[id]++
	}
	return counts
}

// among returns the uniform distribution over ids, of n cells.
func among(n int, ids ...int) []float64 {
	p := make([]float64, n)
	for _, id := range ids {
		p[id] = 1 / float64(len(ids))
	}
	return p
}

func TestLeastConnections(t *testing.T) {
	for _, c := range []struct {
		name    string
		loads   []int
		healthy []bool
		want    []float64
	}{
		{"unique minimum", []int{3, 1, 2, 5}, nil, among(4, 1)},
		{"minimum unhealthy", []int{0, 2, 1, 1}, []bool{false, true, true, true}, among(4, 2, 3)},
		{"ties uniform", []int{0, 0, 0, 5}, nil, among(4, 0, 1, 2)},
		{"new minimum after a run of ties", []int{1, 1, 0, 1, 0, 0}, nil, among(6, 2, 4, 5)},
		{"all idle", make([]int, 10), nil, uniform(10)},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mustNew(t, "least-connections", nil, 1)
			bs := makeBackends(len(c.loads))
			if c.healthy != nil {
				bs = withHealth(bs, c.healthy...)
			}
			b.Update(0, bs)
			for id, l := range c.loads {
				load(b, id, l)
			}
			checkFit(t, c.name, pickCounts(t, b, len(c.loads), 6000), c.want)
		})
	}
}

func TestLeastConnectionsManyTies(t *testing.T) {
	// 100 idle backends: long runs of ties exercise the skipping reservoir.
	b := mustNew(t, "least-connections", nil, 2)
	b.Update(0, makeBackends(100))
	checkFit(t, "100 idle backends", pickCounts(t, b, 100, 20000), uniform(100))
}

func TestTies(t *testing.T) {
	// After a run of n ties, each of the n is kept with probability 1/n.
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 7, 30} {
		counts := make([]int, n)
		tb := ties{r: r}
		for range 300 * n {
			kept := 0
			tb.first()
			for i := 1; i < n; i++ {
				if tb.another() {
					kept = i
				}
			}
			counts[kept]++
		}
		if n == 1 {
			continue
		}
		checkFit(t, "ties", counts, uniform(n))
	}
}

func TestNextReplacement(t *testing.T) {
	// J = floor(t/u) + 1 > t, and P(J = t+1) = 1/(t+1).
	r := rand.New(rand.NewPCG(3, 4))
	for _, tt := range []int{1, 4, 1 << 40} {
		next := 0
		for range 4000 {
			j := nextReplacement(r, tt)
			if j <= tt {
				t.Fatalf("nextReplacement(%d) = %d", tt, j)
			}
			if j == tt+1 {
				next++
			}
		}
		p := 1 / float64(tt+1)
		checkFit(t, "P(J = t+1)", []int{next, 4000 - next}, []float64{p, 1 - p})
	}
}
