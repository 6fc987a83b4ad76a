package algorithms

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// checkBound fails unless every healthy backend holds at most
// ceil(c * T / n), T the total in flight to the n healthy ones.
func checkBound(t *testing.T, what string, b Balancer, bs []Backend, c float64) {
	t.Helper()
	total, top, n := int64(0), int64(0), 0
	for _, be := range bs {
		if be.Healthy {
			l := inflightOf(b, be.ID)
			total, top, n = total+l, max(top, l), n+1
		}
	}
	if limit := int64(math.Ceil(c * float64(total) / float64(n))); top > limit {
		t.Fatalf("%s: a backend holds %d of %d in flight over %d backends; bound ceil(%v * %d / %d) = %d",
			what, top, total, n, c, total, n, limit)
	}
}

// TestBoundedLoadBound: under picks that never finish, every healthy
// backend stays within ceil(c * average) after every pick, whatever the
// keys: uniform, one hot key, or a few.
func TestBoundedLoadBound(t *testing.T) {
	for _, c := range []float64{1.1, 1.25, 2} {
		for _, keys := range []uint64{1 << 62, 1, 3} {
			b := mustNew(t, "bounded-load-hash", map[string]any{"balance_factor": c}, 1)
			bs := without(namedBackends(10), 6)
			b.Update(0, bs)
			rng := rand.New(rand.NewPCG(uint64(keys), 1))
			for k := range 5000 {
				if id := mustPick(t, b, rng.Uint64N(keys)); id == 6 {
					t.Fatalf("pick %d went to the unhealthy backend", k)
				}
				checkBound(t, "", b, bs, c)
			}
		}
	}
}

func TestBoundedLoadHotKeySpills(t *testing.T) {
	// One key, ten picks in flight, c = 1.25 over 5 backends: its own
	// backend takes ceil(1.25*(T+1)/5) and the rest walk on round the ring.
	b := mustNew(t, "bounded-load-hash", nil, 1)
	bs := namedBackends(5)
	b.Update(0, bs)
	home := mustPick(t, b, 99)
	b.Finished(home, 0, 0, true)
	seen := map[int]bool{}
	for range 10 {
		seen[mustPick(t, b, 99)] = true
	}
	if inflightOf(b, home) != 3 || len(seen) < 4 {
		t.Errorf("home backend holds %d of 10 (want ceil(1.25*10/5) = 3), %d backends used", inflightOf(b, home), len(seen))
	}
}

// TestBoundedLoadConcurrent: goroutines pick without finishing; the
// reservations keep the bound.
func TestBoundedLoadConcurrent(t *testing.T) {
	const c, workers, picks = 1.25, 8, 500
	b, err := New("bounded-load-hash", nil, LockedSource(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	bs := namedBackends(10)
	b.Update(0, bs)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for range picks {
				if _, err := b.Pick(Request{Key: rng.Uint64N(4)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	checkBound(t, "after concurrent picks", b, bs, c)
}

func TestHashNoBackend(t *testing.T) {
	for _, name := range []string{"ring-hash", "maglev", "bounded-load-hash"} {
		b := mustNew(t, name, nil, 1)
		b.Update(0, withHealth(namedBackends(3), false, false, false))
		if _, err := b.Pick(Request{Key: 5}); err != ErrNoBackend {
			t.Errorf("%s: all unhealthy: %v, want ErrNoBackend", name, err)
		}
	}
}

func TestBoundedLoadRaceWithUpdate(t *testing.T) {
	// A retry whose snapshot is not the ring's (an Update in between) maps
	// the ring's owners into the snapshot by ID and skips the unhealthy.
	b := mustNew(t, "bounded-load-hash", nil, 1).(*boundedLoadBalancer)
	bs := namedBackends(6)
	b.Update(0, bs)
	old := b.current()
	b.Update(1, without(bs[1:], 2)) // ID 0 unlisted, ID 3 down
	s := b.table.load()
	for key := range uint64(2000) {
		i, _ := b.choose(s, old, mix64(key), b.totals.Load())
		if id := s.backends[i].ID; id == 0 || id == 3 {
			t.Fatalf("key %d: ID %d, not a healthy listed backend", key, id)
		}
	}
}
