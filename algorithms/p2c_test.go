package algorithms

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSampleDistinctUnbiased(t *testing.T) {
	// Every ordered sample of d distinct indices out of n is equally likely:
	// n=5, d=2 has 20 ordered pairs (so 10 pairs, each 1/10); n=4, d=3 has
	// 24 ordered triples; n=3, d=3 the 6 permutations; n=9, d=8 checks the
	// largest d on the drawing path through the 9 possible left-out indices.
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ n, d int }{{5, 2}, {4, 3}, {3, 3}, {9, 8}, {2, 1}} {
		cells := map[[maxDrawn]int]int{}
		var order [][maxDrawn]int // cells in order of first appearance, for the report
		dst := make([]int, c.d)
		for range 20000 {
			sampleDistinct(r, c.n, dst)
			for _, x := range dst {
				if x < 0 || x >= c.n {
					t.Fatalf("n=%d d=%d: drew %d", c.n, c.d, x)
				}
			}
			if s := slices.Clone(dst); len(slices.Compact(slices.Sorted(slices.Values(s)))) != c.d {
				t.Fatalf("n=%d d=%d: drew %v, not distinct", c.n, c.d, dst)
			}
			var key [maxDrawn]int
			if c.d == 8 { // record the left-out index only: 9 cells
				key[0] = c.n*(c.n-1)/2 - sum(dst)
			} else {
				copy(key[:], dst)
			}
			if cells[key] == 0 {
				order = append(order, key)
			}
			cells[key]++
		}
		want := perm(c.n, c.d)
		if c.d == 8 {
			want = c.n
		}
		if len(cells) != want {
			t.Fatalf("n=%d d=%d: %d distinct samples, want %d", c.n, c.d, len(cells), want)
		}
		counts := make([]int, 0, len(order))
		for _, k := range order {
			counts = append(counts, cells[k])
		}
		checkFit(t, "ordered samples", counts, uniform(len(counts)))
	}
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// perm returns n!/(n-d)!.
func perm(n, d int) int {
	p := 1
	for k := range d {
		p *= n - k
	}
	return p
}

func TestSelectionUnbiased(t *testing.T) {
	// Algorithm S: d ascending distinct indices, each d-subset equally
	// likely. n=10, d=9: the subset is the left-out index, 10 cells; n=6,
	// d=3: 20 subsets.
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ n, d int }{{10, 9}, {6, 3}} {
		cells := map[int]int{}
		for range 20000 {
			s := selection{n: c.n, d: c.d}
			mask, last, m := 0, -1, 0
			for x := s.next(r); x >= 0; x = s.next(r) {
				if x <= last || x >= c.n {
					t.Fatalf("n=%d d=%d: %d after %d", c.n, c.d, x, last)
				}
				mask |= 1 << x
				last = x
				m++
			}
			if m != c.d {
				t.Fatalf("n=%d d=%d: selected %d", c.n, c.d, m)
			}
			cells[mask]++
		}
		masks := slices.Sorted(maps.Keys(cells))
		counts := make([]int, len(masks))
		for i, m := range masks {
			counts[i] = cells[m]
		}
		if want := perm(c.n, c.d) / perm(c.d, c.d); len(counts) != want {
			t.Fatalf("n=%d d=%d: %d subsets, want %d", c.n, c.d, len(counts), want)
		}
		checkFit(t, "subsets", counts, uniform(len(counts)))
	}
}

func TestP2C(t *testing.T) {
	for _, c := range []struct {
		name    string
		choices int
		loads   []int
		healthy []bool
		want    []float64
	}{
		// d=2 over loads 0,1,2: backend 0 wins every pair it is in (2 of 3),
		// backend 1 wins {1,2}, backend 2 never.
		{"d=2, loads 0,1,2", 2, []int{0, 1, 2}, nil, []float64{2. / 3, 1. / 3, 0}},
		{"d=2, all idle", 2, []int{0, 0, 0, 0, 0}, nil, uniform(5)},
		// Tied pair: the first drawn of a tied pair, uniform.
		{"d=2, loads 0,0,9", 2, []int{0, 0, 9}, nil, []float64{.5, .5, 0}},
		{"d=1 is random", 1, []int{0, 5, 10, 0}, nil, uniform(4)},
		{"d=n is least-connections", 4, []int{2, 0, 1, 0}, nil, among(4, 1, 3)},
		{"d above healthy count: all healthy", 3, []int{0, 2, 0, 1, 0}, []bool{false, true, false, true, false}, among(5, 3)},
		// d=9 of 10 (selection sampling): backend 0 is left out 1 time in 10.
		{"d=9, one idle", 9, []int{0, 1, 1, 1, 1, 1, 1, 1, 1, 1}, nil,
			[]float64{.9, .1 / 9, .1 / 9, .1 / 9, .1 / 9, .1 / 9, .1 / 9, .1 / 9, .1 / 9, .1 / 9}},
		{"d=9, all idle", 9, make([]int, 10), nil, uniform(10)},
		{"d=8, one idle", 8, []int{1, 1, 1, 0, 1, 1, 1, 1, 1, 1}, nil,
			[]float64{.2 / 9, .2 / 9, .2 / 9, .8, .2 / 9, .2 / 9, .2 / 9, .2 / 9, .2 / 9, .2 / 9}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mustNew(t, "p2c", map[string]any{"choices": c.choices}, 1)
			bs := makeBackends(len(c.loads))
			if c.healthy != nil {
				bs = withHealth(bs, c.healthy...)
			}
			b.Update(0, bs)
			for id, l := range c.loads {
				load(b, id, l)
			}
			checkFit(t, c.name, pickCounts(t, b, len(c.loads), 9000), c.want)
		})
	}
}

func TestP2CAllocs(t *testing.T) {
	// Both sampling paths and the least-connections fallback.
	for _, d := range []int{2, maxDrawn, maxDrawn + 1, 20} {
		b := mustNew(t, "p2c", map[string]any{"choices": d}, 1)
		b.Update(0, makeBackends(20))
		if a := testing.AllocsPerRun(200, func() { mustPick(t, b, 0) }); a != 0 {
			t.Errorf("choices=%d: %v allocations per Pick", d, a)
		}
	}
}

// leastOfTwo, p2c's path for d = 2, chooses exactly as the general
// leastOfDrawn does with two draws: same random numbers, same candidate,
// same count, tie to the first drawn. The simulator's results rest on it.
func TestLeastOfTwoSameAsDrawn(t *testing.T) {
	for _, c := range []struct {
		name    string
		n       int
		maxLoad int
		healthy func(i int) bool
	}{
		{"two backends", 2, 3, nil},
		{"three, many ties", 3, 1, nil},
		{"a hundred", 100, 6, nil},
		{"a hundred, every third unhealthy", 100, 6, func(i int) bool { return i%3 != 0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tb table
			bs := makeBackends(c.n)
			for i := range bs {
				bs[i].Healthy = c.healthy == nil || c.healthy(i)
			}
			s := tb.update(bs)
			loads := rand.New(rand.NewPCG(5, uint64(c.n)))
			r1 := rand.New(rand.NewPCG(9, uint64(c.n)))
			r2 := rand.New(rand.NewPCG(9, uint64(c.n)))
			ties := 0
			for k := range 5000 {
				if k%10 == 0 {
					for _, l := range s.live {
						l.inflight.Store(int64(loads.IntN(c.maxLoad + 1)))
					}
				}
				var buf [2]int
				wi, wl := s.leastOfDrawn(r1, buf[:])
				gi, gl := s.leastOfTwo(r2)
				if gi != wi || gl != wl {
					t.Fatalf("pick %d: leastOfTwo (%d, %d), leastOfDrawn (%d, %d)", k, gi, gl, wi, wl)
				}
				a, b := s.healthy[buf[0]], s.healthy[buf[1]]
				if s.count(a) == s.count(b) {
					ties++
				}
			}
			if ties == 0 {
				t.Fatal("no tie drawn: the tie-break went untested")
			}
		})
	}
}
