package algorithms

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// abc returns backends a, b, c (IDs 0, 1, 2) with the given weights.
func abc(wa, wb, wc float64) []Backend {
	return []Backend{
		{ID: 0, Name: "a", Weight: wa, Healthy: true},
		{ID: 1, Name: "b", Weight: wb, Healthy: true},
		{ID: 2, Name: "c", Weight: wc, Healthy: true},
	}
}

// sequence returns the names of the next n picks.
func sequence(t *testing.T, b Balancer, n int) string {
	t.Helper()
	var s []string
	for range n {
		s = append(s, "abcdefgh"[mustPick(t, b, 0):][:1])
	}
	return strings.Join(s, " ")
}

// wrrPaths are weighted-round-robin's two ways to pick, for the tests that
// must hold on both: the scan, and the tree (wrrtree.go) forced from one
// healthy backend on.
var wrrPaths = []struct {
	name string
	min  int // SetWRRTreeMinHealthy
}{{"scan", math.MaxInt}, {"tree", 0}}

// newWRR returns a weighted-round-robin balancer on path min, made while
// the threshold is min.
func newWRR(t *testing.T, min int, params map[string]any) Balancer {
	t.Helper()
	SetWRRTreeMinHealthy(t, min)
	return mustNew(t, "weighted-round-robin", params, 1)
}

// onTree fails t unless b picked its last pick from its tree.
func onTree(t *testing.T, b Balancer) {
	t.Helper()
	wrr := b.(*weightedRoundRobinBalancer)
	wrr.mu.Lock()
	defer wrr.mu.Unlock()
	if wrr.tree.snap == nil {
		t.Fatalf("the tree path is not on its tree")
	}
}

func TestWeightedRoundRobinNginxGolden(t *testing.T) {
	// The sequence of nginx's commit message for smooth WRR (1.3.1) and of
	// ngx_http_upstream_round_robin.c: weights 5, 1, 1.
	for _, path := range wrrPaths {
		t.Run(path.name, func(t *testing.T) {
			b := newWRR(t, path.min, nil)
			bs := abc(5, 1, 1)
			b.Update(0, []Backend{bs[2], bs[1], bs[0]}) // listing order does not matter
			if got, want := sequence(t, b, 14), "a a b a c a a a a b a c a a"; got != want {
				t.Fatalf("weights 5,1,1: %s, want %s", got, want)
			}
			if path.name == "tree" {
				onTree(t, b)
			}
		})
	}
}

func TestWeightedRoundRobinChanges(t *testing.T) {
	for _, c := range []struct {
		name    string
		before  []Backend
		picks   int // before the change
		after   []Backend
		want    string
		comment string
	}{
		{"weights change after a full cycle", abc(5, 1, 1), 7, abc(1, 1, 2), "c a b c c a b c",
			"current weights are back to 0,0,0: a fresh 1,1,2 cycle"},
		{"weights change mid-cycle", abc(5, 1, 1), 3, abc(1, 1, 1), "c a c a c b a c b",
			"current weights 1,-4,3 carry over: c and a catch up on b before 1,1,1 settles"},
		{"c goes down", abc(5, 1, 1), 3, withHealth(abc(5, 1, 1), true, true, false), "a a a a a b a a a a a b",
			"a,b cycle 5:1 while c's current weight is frozen"},
		{"weight grows", abc(1, 1, 1), 3, abc(1, 1, 4), "c a c b c c",
			"6 picks, one full cycle of weights 1,1,4"},
	} {
		for _, path := range wrrPaths {
			t.Run(c.name+"/"+path.name, func(t *testing.T) {
				b := newWRR(t, path.min, nil)
				b.Update(0, c.before)
				sequence(t, b, c.picks)
				b.Update(1, c.after)
				if got := sequence(t, b, len(strings.Fields(c.want))); got != c.want {
					t.Fatalf("%s: %s, want %s", c.comment, got, c.want)
				}
				if path.name == "tree" {
					onTree(t, b)
				}
			})
		}
	}
}

func TestWeightedRoundRobinFrozenWhileDown(t *testing.T) {
	// c's current weight is kept while it is down, and the 5,1,1 cycle
	// resumes where it left off when it comes back.
	for _, path := range wrrPaths {
		t.Run(path.name, func(t *testing.T) {
			b := newWRR(t, path.min, nil)
			b.Update(0, abc(5, 1, 1))
			got := sequence(t, b, 4) // a a b a: current weights -1, -3, 4
			b.Update(1, withHealth(abc(5, 1, 1), true, true, false))
			sequence(t, b, 6) // one full 5,1 cycle of a and b: back to -1, -3
			b.Update(2, abc(5, 1, 1))
			got += " " + sequence(t, b, 3)
			if want := "a a b a c a a"; got != want {
				t.Fatalf("%s, want %s", got, want)
			}
		})
	}
}

// wrrModel is smooth WRR written plainly after nginx, by name.
type wrrModel struct{ cur map[int]float64 }

func (m *wrrModel) pick(bs []Backend) int {
	sorted := slices.Clone(bs)
	slices.SortFunc(sorted, func(a, b Backend) int { return a.ID - b.ID })
	best, total := -1, 0.0
	for _, b := range sorted {
		if !b.Healthy {
			continue
		}
		m.cur[b.ID] += b.Weight
		total += b.Weight
		if best < 0 || m.cur[b.ID] > m.cur[best] {
			best = b.ID
		}
	}
	if best >= 0 {
		m.cur[best] -= total
	}
	return best
}

func TestWeightedRoundRobinAgainstModel(t *testing.T) {
	for _, path := range wrrPaths {
		t.Run(path.name, func(t *testing.T) { wrrAgainstModel(t, newWRR(t, path.min, nil)) })
	}
}

// wrrAgainstModel checks b against wrrModel under random changes of
// weights, health and membership, pick by pick.
func wrrAgainstModel(t *testing.T, b Balancer) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &wrrModel{cur: map[int]float64{}}
	var bs []Backend
	for step := range 5000 {
		if step%50 == 0 {
			bs = bs[:0]
			for id := range 6 {
				if rng.IntN(6) > 0 {
					bs = append(bs, Backend{ID: id, Weight: float64(1 + rng.IntN(5)), Healthy: rng.IntN(5) > 0})
				}
			}
			b.Update(0, bs)
		}
		want := m.pick(bs)
		got, err := b.Pick(Request{})
		if want < 0 {
			got = -1
			if err != ErrNoBackend {
				t.Fatalf("step %d: err %v, want ErrNoBackend", step, err)
			}
		}
		if got != want {
			t.Fatalf("step %d over %v: picked %d, model %d", step, bs, got, want)
		}
	}
}

func TestWeightedRoundRobinCycleShares(t *testing.T) {
	// With integer weights, every cycle of W = sum(w) picks gives each
	// backend exactly w picks.
	for _, path := range wrrPaths {
		t.Run(path.name, func(t *testing.T) {
			b := newWRR(t, path.min, nil)
			w := []float64{3, 1, 4, 1, 5, 9, 2, 6}
			bs := makeBackends(len(w))
			for i := range bs {
				bs[i].Weight = w[i]
			}
			b.Update(0, bs)
			for cycle := range 3 {
				got := make([]float64, len(w))
				for range 31 {
					got[mustPick(t, b, 0)]++
				}
				if !slices.Equal(got, w) {
					t.Fatalf("cycle %d: shares %v, want %v", cycle, got, w)
				}
			}
		})
	}
}
