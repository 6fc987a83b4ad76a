package algorithms

// The min-tree of mintree.go: the tree itself against brute force, and the
// three balancers' tree path against their scan: the same tie set on random
// states kept up by picks, finishes, updates and boards, the same uniform
// distribution over planted ties, the board, slow start, concurrency.

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

var treeBalancers = []string{"least-connections", "weighted-least-connections", "least-response-time"}

// TestMinTree checks ties and nth against brute force after every change
// of a random sequence, on trees with and without padding.
func TestMinTree(t *testing.T) {
	for _, c := range []struct {
		name     string
		n, kinds int // leaves, distinct key values
	}{
		{"one leaf", 1, 1},
		{"power of two", 8, 3},
		{"padding", 13, 2},
		{"all tied", 100, 1},
		{"few ties", 1000, 50},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(c.n), 1))
			keys := make([]lcKey, c.n)
			for p := range keys {
				keys[p] = lcKey(r.IntN(c.kinds))
			}
			var tr minTree[lcKey]
			tr.build(c.n, func(p int) lcKey { return keys[p] })
			for step := range 300 {
				least := slices.Min(keys)
				var want []int
				for p, k := range keys {
					if k == least {
						want = append(want, p)
					}
				}
				if tr.ties() != len(want) {
					t.Fatalf("step %d: ties %d, want %d (keys %v)", step, tr.ties(), len(want), keys)
				}
				for k, p := range want {
					if got := tr.nth(int32(k)); got != p {
						t.Fatalf("step %d: nth(%d) = %d, want %d", step, k, got, p)
					}
				}
				p := r.IntN(c.n)
				keys[p] = lcKey(r.IntN(c.kinds))
				tr.set(p, keys[p])
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		var tr minTree[lcKey]
		tr.build(0, func(int) lcKey { panic("no leaf to key") })
		if tr.ties() != 0 || tr.pick(rand.New(rand.NewPCG(1, 1))) != -1 {
			t.Fatalf("empty tree: ties %d, pick %d", tr.ties(), tr.pick(rand.New(rand.NewPCG(1, 1))))
		}
	})
}

// tieSets returns the IDs the tree would pick from (every tied leaf, by
// nth) and those the scan picked in draws draws on b's current snapshot,
// both sorted. The tree is brought to the snapshot as the next tree pick
// would; its leaves are the ones picks and finishes kept.
func tieSets(t *testing.T, b Balancer, draws int) (tree, scan []int) {
	t.Helper()
	switch b := b.(type) {
	case *leastConnectionsBalancer:
		s := b.load()
		return treeTies(&b.tp, s), scanTies(s, draws, b.choose)
	case *weightedLeastConnectionsBalancer:
		s := b.load()
		return treeTies(&b.tp, s), scanTies(s, draws, b.choose)
	case *leastResponseTimeBalancer:
		s := b.load()
		return treeTies(&b.tp, s), scanTies(s, draws, b.choose)
	}
	t.Fatalf("%T keeps no tree", b)
	return nil, nil
}

func treeTies[K treeKey[K]](tp *treePick[K], s *snapshot) []int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.sync(s)
	ids := []int{}
	for k := range tp.tree.ties() {
		ids = append(ids, s.backends[s.healthy[tp.tree.nth(int32(k))]].ID)
	}
	slices.Sort(ids)
	return ids
}

func scanTies(s *snapshot, draws int, choose func(*snapshot) (int, int64)) []int {
	seen := map[int]bool{}
	for range draws {
		if i, _ := choose(s); i >= 0 {
			seen[s.backends[i].ID] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// TestTreeScanSameTieSet: on random states (weights that make exact ties
// between different weights, planted equal latency estimates, boards), and
// after every step of a random sequence of picks, finishes, updates that
// cross the threshold and boards, the tree's tie set is the set the scan
// picks from. The scan draws 300 times from at most 12 candidates: missing
// one has probability below 1e-9, and the seeds are fixed.
func TestTreeScanSameTieSet(t *testing.T) {
	SetTreeMinHealthy(t, 4) // sets of 1 to 12: both sides of the threshold
	weights := []float64{0.5, 1, 1.5, 2, 3, 4}
	for _, name := range treeBalancers {
		t.Run(name, func(t *testing.T) {
			compared := 0
			for seed := range uint64(60) {
				r := rand.New(rand.NewPCG(seed, 2))
				n := 1 + r.IntN(12)
				b := mustNew(t, name, nil, seed)
				bs := makeBackends(n)
				for i := range bs {
					bs[i].Weight = weights[r.IntN(len(weights))]
				}
				b.Update(0, bs)
				now := time.Second
				for id := range n {
					if name == "least-response-time" && r.IntN(3) > 0 {
						// Nothing in flight: the count stays 0, and every
						// backend fed the same latency at the same time
						// has the same estimate.
						b.Finished(id, now, time.Duration(r.IntN(2)+1)*time.Millisecond, true)
					}
					load(b, id, r.IntN(3))
				}
				b.Update(0, bs) // a new snapshot: the tree is built from these counts
				var inflight []int
				for step := range 40 {
					now += time.Millisecond
					switch x := r.IntN(10); {
					case x < 4:
						id, err := b.Pick(Request{Now: now})
						if err == nil {
							inflight = append(inflight, id)
						}
					case x < 7 && len(inflight) > 0:
						k := r.IntN(len(inflight))
						b.Finished(inflight[k], now, time.Duration(r.IntN(2)+1)*time.Millisecond, true)
						inflight = slices.Delete(inflight, k, k+1)
					case x < 8:
						for i := range bs {
							bs[i].Healthy = r.IntN(5) > 0
						}
						b.Update(now, bs)
					case x < 9:
						board := make([]int64, r.IntN(n+1)) // IDs past the end count 0
						for id := range board {
							board[id] = int64(r.IntN(3))
						}
						b.(LoadAware).SetLoad(now, board)
					default:
						b.Update(now, bs) // the same set: a new snapshot all the same
					}
					if len(b.(interface{ load() *snapshot }).load().healthy) < 4 {
						continue // the scan picks: no tree to compare
					}
					tree, scan := tieSets(t, b, 300)
					compared++
					if !slices.Equal(tree, scan) {
						t.Fatalf("seed %d step %d: tree ties %v, scan picks from %v (backends %v)", seed, step, tree, scan, bs)
					}
				}
			}
			if compared < 500 {
				t.Fatalf("only %d states compared", compared)
			}
		})
	}
}

// plant sets up 300 backends whose least keys are exact ties among a
// planted few, and returns those IDs.
func plant(t *testing.T, name string, b Balancer) []int {
	t.Helper()
	bs := makeBackends(300)
	var tied []int
	switch name {
	case "least-connections":
		// Everyone has 2 in flight but seven spread over the set.
		b.Update(0, bs)
		tied = []int{3, 7, 50, 128, 199, 200, 299}
		for id := range bs {
			if !slices.Contains(tied, id) {
				load(b, id, 2)
			}
		}
	case "weighted-least-connections":
		// Score (n+1)/w: 3 for the rest, exactly 1 for five backends of
		// four weights, 2 for one close to them.
		type planted struct {
			id, n int
			w     float64
		}
		ps := []planted{{10, 1, 2}, {20, 0, 1}, {30, 2, 3}, {250, 3, 4}, {270, 0, 1}, {40, 0, 0.5}}
		tied = []int{10, 20, 30, 250, 270}
		for _, p := range ps {
			bs[p.id].Weight = p.w
		}
		b.Update(0, bs)
		for id := range bs {
			l := 2
			for _, p := range ps {
				if p.id == id {
					l = p.n
				}
			}
			load(b, id, l)
		}
	case "least-response-time":
		// Six backends measured at 1ms, the rest at 100ms (both at 1s, so
		// each group shares one estimate); five of the six have nothing
		// in flight, one has 1; the slow ones have nothing in flight.
		b.Update(0, bs)
		fast := []int{5, 60, 100, 150, 290, 295}
		tied = []int{5, 60, 150, 290, 295}
		for id := range bs {
			lat := 100 * time.Millisecond
			if slices.Contains(fast, id) {
				lat = time.Millisecond
			}
			b.Finished(id, time.Second, lat, true)
		}
		load(b, 100, 1)
	}
	b.Update(0, bs) // a new snapshot: the tree is built from these counts
	return tied
}

// TestTreeTiesUniform: over planted exact ties among 300 backends, both
// paths pick every tied backend equally often (chi-square at 0.001) and
// never another. Each pick is finished at time 0, which leaves counts and
// estimates as they were.
func TestTreeTiesUniform(t *testing.T) {
	for _, name := range treeBalancers {
		for _, path := range []struct {
			name string
			min  int
		}{{"scan", math.MaxInt}, {"tree", 0}} {
			t.Run(name+"/"+path.name, func(t *testing.T) {
				SetTreeMinHealthy(t, path.min)
				b := mustNew(t, name, nil, 11)
				tied := plant(t, name, b)
				checkFit(t, name+" "+path.name, pickCounts(t, b, 300, 500*len(tied)), among(300, tied...))
			})
		}
	}
}

// TestTreeBoard: with the engine's counts (SetLoad), the tree picks by the
// board, not by the live counts its own picks raise, and follows the next
// board.
func TestTreeBoard(t *testing.T) {
	const n = 200 // above treeMinHealthy: the tree picks
	for _, name := range treeBalancers {
		t.Run(name, func(t *testing.T) {
			b := mustNew(t, name, nil, 5)
			b.Update(0, makeBackends(n))
			board := make([]int64, n)
			for id := range board {
				board[id] = 5
			}
			board[17] = 0
			b.(LoadAware).SetLoad(0, board)
			for k := range 100 { // not finished: the live count of 17 climbs to 100
				if id := mustPick(t, b, uint64(k)); id != 17 {
					t.Fatalf("pick %d went to %d, the board's least is 17", k, id)
				}
			}
			board[17], board[3], board[150] = 9, 1, 1
			b.(LoadAware).SetLoad(0, board)
			counts := make([]int, n)
			for k := range 4000 {
				counts[mustPick(t, b, uint64(k))]++
			}
			checkFit(t, "second board", counts, among(n, 3, 150))
			if got := inflightOf(b, 17); got != 100 {
				t.Fatalf("backend 17: %d in flight, want the 100 picks", got)
			}
		})
	}
}

// TestTreeSlowStart: weighted-least-connections scans while a backend
// ramps back in and picks from the tree again afterwards; every pick has
// the least score by brute force, with the ramped weight during the ramp,
// so the tree kept up with the counts the scan picks reserved.
func TestTreeSlowStart(t *testing.T) {
	const n, back = 200, 7
	b := mustNew(t, "weighted-least-connections", map[string]any{"slow_start": "10s"}, 3)
	bs := makeBackends(n)
	for i := range bs {
		bs[i].Weight = float64(1 + i%3)
	}
	b.Update(0, bs)
	down := slices.Clone(bs)
	down[back].Healthy = false
	b.Update(time.Second, down)
	b.Update(2*time.Second, bs) // back ramps from 2s to 12s
	// A tree pick that raced this Update (it saw the new snapshot but not
	// yet the ramp) would have brought the tree to it: the scan's picks
	// must keep it up from there.
	wlc := b.(*weightedLeastConnectionsBalancer)
	wlc.tp.mu.Lock()
	wlc.tp.sync(wlc.load())
	wlc.tp.mu.Unlock()
	byRamp := 0
	for k := range 3000 {
		now := 2*time.Second + time.Duration(k)*5*time.Millisecond // to 17s
		factor := 1.0
		if e := now - 2*time.Second; e < 10*time.Second {
			factor = max(slowStartFloor, float64(e)/float64(10*time.Second))
		}
		best, argmin := math.Inf(1), []int{}
		for id := range n {
			w := bs[id].Weight
			if id == back {
				w *= factor
			}
			switch score := float64(inflightOf(b, id)+1) / w; {
			case score < best*(1-1e-12):
				best, argmin = score, []int{id}
			case score <= best*(1+1e-12):
				argmin = append(argmin, id)
			}
		}
		id, err := b.Pick(Request{Now: now, Key: uint64(k)})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(argmin, id) {
			t.Fatalf("pick %d at %v went to %d (score %v), the least score %v is %v's", k, now, id,
				float64(inflightOf(b, id))/bs[id].Weight, best, argmin)
		}
		if id == back && factor < 1 {
			byRamp++
		}
		if k%3 == 0 { // finish some so the counts go both ways
			b.Finished(id, now, 0, true)
		}
	}
	if byRamp == 0 {
		t.Fatalf("the ramping backend got no pick during its ramp")
	}
}

// TestTreeHerding: TestHerding's burst on the tree path spreads exactly.
func TestTreeHerding(t *testing.T) {
	SetTreeMinHealthy(t, 0)
	const workers, nb, rounds = 64, 8, 20
	for _, name := range treeBalancers[:2] { // least-response-time ranks by estimate first
		t.Run(name, func(t *testing.T) {
			if got := slices.Max(herd(t, name, workers, nb, rounds)); got > workers/nb+1 {
				t.Errorf("simultaneous picks herd: up to %d of %d on one of %d backends, want %d", got, workers, nb, workers/nb)
			}
		})
	}
}

// TestTreeConcurrent: goroutines pick and finish on the tree path while
// another updates the set, crossing the threshold, and posts a board. After
// they are done, nothing is in flight and the tree agrees with the scan.
func TestTreeConcurrent(t *testing.T) {
	SetTreeMinHealthy(t, 150)
	const n, workers, picks = 200, 6, 1500
	for _, name := range treeBalancers {
		t.Run(name, func(t *testing.T) {
			b, err := New(name, nil, LockedSource(rand.NewPCG(9, 9)))
			if err != nil {
				t.Fatal(err)
			}
			bs := makeBackends(n)
			b.Update(0, bs)
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []int
					for k := range picks {
						now := time.Duration(k) * time.Microsecond
						id, err := b.Pick(Request{Now: now, Key: uint64(w)})
						if err != nil {
							errs <- fmt.Errorf("worker %d pick %d: %v", w, k, err)
							return
						}
						mine = append(mine, id)
						if k%2 == 1 {
							b.Finished(mine[0], now, time.Duration(w+1)*time.Millisecond, true)
							mine = mine[1:]
						}
					}
					for _, id := range mine {
						b.Finished(id, time.Millisecond, 0, true)
					}
				}()
			}
			wg.Add(1)
			go func() { // health flips: 200, 100 (the scan) and 180 healthy in turn
				defer wg.Done()
				r := rand.New(rand.NewPCG(1, 1))
				for k := range 60 {
					set := slices.Clone(bs)
					for i := range set[:[]int{0, 100, 20}[k%3]] {
						set[i].Healthy = false
					}
					b.Update(time.Duration(k), set)
					if k == 50 { // the engine's counts from here on (the proxy posts them from its own goroutine)
						board := make([]int64, n)
						for id := range board {
							board[id] = int64(r.IntN(3))
						}
						b.(LoadAware).SetLoad(0, board)
					}
				}
				b.Update(0, bs)
			}()
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for id := range n {
				if got := inflightOf(b, id); got != 0 {
					t.Fatalf("backend %d: %d in flight after every request finished", id, got)
				}
			}
			if tree, scan := tieSets(t, b, 3000); !slices.Equal(tree, scan) {
				t.Fatalf("tree ties %v, scan picks from %v", tree, scan)
			}
		})
	}
}
