package algorithms

// weighted-round-robin's tree (wrrtree.go) against its scan: the same picks
// for integer weights under random picks, health flips, weight changes,
// membership changes and Updates on both sides of the threshold; counts
// within 1 per backend for fractional weights; the fallbacks to the scan;
// concurrent picks.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// wrrPair is a scan and a tree balancer fed the same calls.
type wrrPair struct {
	scan, tree *weightedRoundRobinBalancer
	treePicks  int // picks the tree balancer made from its tree
}

func newWRRPair(t *testing.T, min int, params map[string]any) *wrrPair {
	t.Helper()
	SetWRRTreeMinHealthy(t, math.MaxInt)
	scan := mustNew(t, "weighted-round-robin", params, 1).(*weightedRoundRobinBalancer)
	SetWRRTreeMinHealthy(t, min)
	tree := mustNew(t, "weighted-round-robin", params, 1).(*weightedRoundRobinBalancer)
	return &wrrPair{scan: scan, tree: tree}
}

func (p *wrrPair) update(now time.Duration, bs []Backend) {
	p.scan.Update(now, bs)
	p.tree.Update(now, bs)
}

// pick picks from both and returns their IDs (-1 for ErrNoBackend).
func (p *wrrPair) pick(t *testing.T, now time.Duration) (scan, tree int) {
	t.Helper()
	pick := func(b *weightedRoundRobinBalancer) int {
		id, err := b.Pick(Request{Now: now})
		if err == ErrNoBackend {
			return -1
		} else if err != nil {
			t.Fatal(err)
		}
		return id
	}
	scan, tree = pick(p.scan), pick(p.tree)
	if p.tree.tree.snap != nil {
		p.treePicks++
	}
	return scan, tree
}

// TestWRRTreeSameAsScan: with integer weights, the tree's picks are the
// scan's, pick for pick, through random picks, finishes, health flips,
// weight changes, membership changes and Updates of the same set, on sets
// that cross the threshold. If the winner's base were not lowered, or a
// tie went to another backend than the first, the sequences would part.
func TestWRRTreeSameAsScan(t *testing.T) {
	for _, c := range []struct {
		name    string
		min     int // threshold
		maxN    int // backends: 1..maxN
		weights func(r *rand.Rand) float64
		rebase  int64 // the tree's rebaseAt; 0 = wrrRebaseAt
	}{
		{"weights 1..10, tree forced", 0, 40, func(r *rand.Rand) float64 { return float64(1 + r.IntN(10)) }, 0},
		{"weights 1..10, threshold 16", 16, 40, func(r *rand.Rand) float64 { return float64(1 + r.IntN(10)) }, 0},
		{"all equal", 16, 40, func(*rand.Rand) float64 { return 3 }, 0},
		{"weights 1..3, 300 backends, default threshold", 128, 300, func(r *rand.Rand) float64 { return float64(1 + r.IntN(3)) }, 0},
		{"weights 1..100, past wrrMaxWeights", 8, 120, func(r *rand.Rand) float64 { return float64(1 + r.IntN(100)) }, 0},
		{"heavy weights, rebased every 7 picks", 0, 40, func(r *rand.Rand) float64 { return float64(1 + r.IntN(1000000)) }, 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			agreed, total := 0, 0
			for seed := range uint64(25) {
				r := rand.New(rand.NewPCG(seed, 7))
				p := newWRRPair(t, c.min, nil)
				if c.rebase > 0 {
					p.tree.tree.rebaseAt = c.rebase
				}
				n := 1 + r.IntN(c.maxN) // the next new backend's ID
				bs := makeBackends(n)
				for i := range bs {
					bs[i].Weight = c.weights(r)
				}
				p.update(0, bs)
				var scanSeq, treeSeq []int
				for step := range 300 {
					now := time.Duration(step) * time.Millisecond
					switch x := r.IntN(100); {
					case x < 85:
						s, tr := p.pick(t, now)
						scanSeq, treeSeq = append(scanSeq, s), append(treeSeq, tr)
						if s >= 0 && r.IntN(2) == 0 {
							p.scan.Finished(s, now, 0, true)
							p.tree.Finished(tr, now, 0, true)
						}
					case x < 90: // health flips
						for range 1 + r.IntN(3) {
							i := r.IntN(len(bs))
							bs[i].Healthy = !bs[i].Healthy
						}
						p.update(now, bs)
					case x < 94: // a weight changes mid-cycle
						bs[r.IntN(len(bs))].Weight = c.weights(r)
						p.update(now, bs)
					case x < 97: // a backend leaves, or one comes (back)
						if len(bs) > 1 && r.IntN(2) == 0 {
							k := r.IntN(len(bs))
							bs = slices.Delete(bs, k, k+1)
						} else {
							bs = append(bs, Backend{ID: n, Name: "new", Weight: c.weights(r), Healthy: true})
							n++
						}
						p.update(now, slices.Clone(bs))
					default: // the same set: a new snapshot all the same
						p.update(now, bs)
					}
				}
				if !slices.Equal(scanSeq, treeSeq) {
					k := 0
					for scanSeq[k] == treeSeq[k] {
						k++
					}
					t.Fatalf("seed %d: pick %d parts: scan %v, tree %v (backends %v)", seed, k, scanSeq[k:min(k+10, len(scanSeq))], treeSeq[k:min(k+10, len(treeSeq))], bs)
				}
				agreed += len(scanSeq)
				total += p.treePicks
			}
			// The cases are built to reach the tree; a case that never did
			// would compare the scan with itself.
			if c.name == "weights 1..100, past wrrMaxWeights" {
				if total == agreed {
					t.Fatalf("every pick came from the tree: the many-weights fallback was never taken")
				}
			}
			if total < agreed/4 {
				t.Fatalf("only %d of %d picks came from the tree", total, agreed)
			}
		})
	}
}

// TestWRRTreeFractional: with weights in tenths, the tree's rounding
// differs from the scan's repeated additions, but over each cycle of
// 10*sum(m) picks (the cycle of the exact arithmetic) each backend's picks
// from the two agree within 1, and are within 1 of 10 * its weight.
func TestWRRTreeFractional(t *testing.T) {
	for seed := range uint64(5) {
		r := rand.New(rand.NewPCG(seed, 3))
		p := newWRRPair(t, 0, nil)
		bs := makeBackends(200)
		m := 0
		for i := range bs {
			k := 1 + r.IntN(20)
			bs[i].Weight = float64(k) / 10
			m += k
		}
		p.update(0, bs)
		parted := false
		for cycle := range 3 {
			scan, tree := make([]int, len(bs)), make([]int, len(bs))
			for range m {
				s, tr := p.pick(t, 0)
				scan[s]++
				tree[tr]++
				parted = parted || s != tr
			}
			for id := range bs {
				want := bs[id].Weight * 10
				if d := scan[id] - tree[id]; d < -1 || d > 1 ||
					math.Abs(float64(tree[id])-want) > 1 || math.Abs(float64(scan[id])-want) > 1 {
					t.Fatalf("seed %d cycle %d backend %d (weight %v): scan %d picks, tree %d, want %v within 1",
						seed, cycle, id, bs[id].Weight, scan[id], tree[id], want)
				}
			}
		}
		t.Logf("seed %d: the sequences parted: %v", seed, parted)
	}
}

// TestWRRTreeFallbacks: the balancer scans below the threshold, past
// wrrMaxWeights distinct weights, past wrrMaxTotal, and while a slow_start
// ramp is active, and picks from its tree otherwise.
func TestWRRTreeFallbacks(t *testing.T) {
	weighted := func(n int, w func(i int) float64) []Backend {
		bs := makeBackends(n)
		for i := range bs {
			bs[i].Weight = w(i)
		}
		return bs
	}
	for _, c := range []struct {
		name            string
		min, maxWeights int
		bs              []Backend
		want            bool // picks from the tree
	}{
		{"at the threshold", 10, 4, weighted(10, func(i int) float64 { return float64(1 + i%4) }), true},
		{"below the threshold", 11, 4, weighted(10, func(i int) float64 { return float64(1 + i%4) }), false},
		{"at wrrMaxWeights", 0, 4, weighted(10, func(i int) float64 { return float64(1 + i%4) }), true},
		{"past wrrMaxWeights", 0, 4, weighted(10, func(i int) float64 { return float64(1 + i%5) }), false},
		{"past wrrMaxTotal", 0, 4, weighted(3, func(int) float64 { return wrrMaxTotal / 2 }), false},
		{"none healthy", 0, 4, withHealth(makeBackends(2), false, false), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			SetWRRMaxWeights(t, c.maxWeights)
			p := newWRRPair(t, c.min, nil)
			p.update(0, c.bs)
			for range 20 {
				if s, tr := p.pick(t, 0); s != tr {
					t.Fatalf("scan %d, tree %d", s, tr)
				}
			}
			if got := p.treePicks > 0; got != c.want {
				t.Fatalf("%d of 20 picks from the tree, want tree %v", p.treePicks, c.want)
			}
		})
	}
	t.Run("slow start", func(t *testing.T) {
		const n, back = 200, 7
		p := newWRRPair(t, 0, map[string]any{"slow_start": "10s"})
		bs := makeBackends(n)
		for i := range bs {
			bs[i].Weight = float64(1 + i%3)
		}
		p.update(0, bs)
		down := slices.Clone(bs)
		down[back].Healthy = false
		p.update(time.Second, down)
		p.update(2*time.Second, bs) // back ramps from 2s to 12s
		scanCount, treeCount := make([]int, n), make([]int, n)
		var onTree []bool
		for k := range 4000 {
			now := 2*time.Second + time.Duration(k)*5*time.Millisecond // to 22s
			s, tr := p.pick(t, now)
			scanCount[s]++
			treeCount[tr]++
			onTree = append(onTree, p.tree.tree.snap != nil)
		}
		// 10s of ramp at 5ms a pick: picks 0..1999 scan, the tree from 2000 on.
		if slices.Contains(onTree[:2000], true) || slices.Contains(onTree[2000:], false) {
			t.Fatalf("the tree served during the ramp or the scan after it: first tree pick %d, want 2000",
				slices.Index(onTree, true))
		}
		// The ramp leaves fractional current weights: the picks agree
		// within the rounding (see wrrtree.go), so within 1 per backend.
		for id := range n {
			if d := scanCount[id] - treeCount[id]; d < -1 || d > 1 {
				t.Fatalf("backend %d: scan %d picks, tree %d", id, scanCount[id], treeCount[id])
			}
		}
	})
}

// TestWRRTreeConcurrent: goroutines pick and finish on the tree while
// another Updates the same set again and again (the tree is written back
// and rebuilt each time). Picks are serialised, so whatever the
// interleaving, C cycles of W picks give each backend exactly C*w picks.
func TestWRRTreeConcurrent(t *testing.T) {
	leakcheck.Check(t)
	const n, workers, cycles = 200, 6, 12
	b := newWRR(t, 0, nil)
	bs := makeBackends(n)
	w := 0
	for i := range bs {
		bs[i].Weight = float64(1 + i%4)
		w += 1 + i%4
	}
	b.Update(0, bs)
	picks := w * cycles / workers
	if picks*workers != w*cycles {
		t.Fatalf("%d picks do not share among %d workers", w*cycles, workers)
	}
	var wg sync.WaitGroup
	counts := make([][]int, workers)
	errs := make(chan error, workers)
	stop := make(chan struct{})
	for k := range workers {
		counts[k] = make([]int, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range picks {
				id, err := b.Pick(Request{})
				if err != nil {
					errs <- fmt.Errorf("worker %d: %v", k, err)
					return
				}
				counts[k][id]++
				b.Finished(id, 0, 0, true)
			}
		}()
	}
	updated := make(chan int)
	go func() {
		k := 0
		defer func() { updated <- k }()
		for {
			select {
			case <-stop:
				return
			default:
				b.Update(0, bs)
				k++
			}
		}
	}()
	wg.Wait()
	close(stop)
	updates := <-updated
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for id := range n {
		got := 0
		for k := range workers {
			got += counts[k][id]
		}
		if want := int(bs[id].Weight) * cycles; got != want {
			t.Fatalf("backend %d (weight %v): %d picks in %d cycles, want %d (%d Updates meanwhile)", id, bs[id].Weight, got, cycles, want, updates)
		}
	}
	mustPick(t, b, 0) // the last Update wrote the tree back: a pick builds it
	onTree(t, b)
}
