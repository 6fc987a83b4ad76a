package algorithms

// The shared conformance harness: the contract of DESIGN.md §2 and of the
// Balancer type, checked for every algorithm in List() with default params.

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConformance(t *testing.T) {
	for _, info := range List() {
		t.Run(info.Name, func(t *testing.T) {
			t.Parallel()
			name := info.Name
			t.Run("NoBackend", func(t *testing.T) { conformNoBackend(t, name) })
			t.Run("Sequence", func(t *testing.T) { conformSequence(t, name) })
			t.Run("Deterministic", func(t *testing.T) { conformDeterministic(t, name) })
			t.Run("CountersSurviveUpdate", func(t *testing.T) { conformCounters(t, name) })
			t.Run("InputNotRetained", func(t *testing.T) { conformNotRetained(t, name) })
			t.Run("Concurrent", func(t *testing.T) { conformConcurrent(t, name) })
		})
	}
}

// TestConformanceAllocs runs apart: AllocsPerRun refuses parallel tests.
func TestConformanceAllocs(t *testing.T) {
	for _, info := range List() {
		t.Run(info.Name, func(t *testing.T) { conformAllocs(t, info.Name) })
	}
}

// conformNoBackend: ErrNoBackend exactly when no backend is healthy or none
// is listed.
func conformNoBackend(t *testing.T, name string) {
	b := mustNew(t, name, nil, 1)
	wantNone := func(when string) {
		t.Helper()
		for key := range uint64(50) {
			if id, err := b.Pick(Request{Key: key}); err != ErrNoBackend {
				t.Fatalf("%s: Pick = %d, %v; want ErrNoBackend", when, id, err)
			}
		}
	}
	wantNone("before Update")
	b.Update(0, nil)
	wantNone("no backends")
	bs := makeBackends(5)
	b.Update(1, withHealth(bs, false, false, false, false, false))
	wantNone("all unhealthy")
	b.Update(2, withHealth(bs, false, false, false, true, false))
	for key := range uint64(50) {
		if id := mustPick(t, b, key); id != 3 {
			t.Fatalf("only ID 3 healthy: Pick = %d", id)
		}
	}
	b.Update(3, bs[:0])
	wantNone("set emptied")
	b.Update(4, bs)
	mustPick(t, b, 1)
}

// harness drives a balancer as an engine would, keeping its own model of
// the contract: which backends are listed and healthy, what is in flight.
type harness struct {
	t       *testing.T
	b       Balancer
	rng     *rand.Rand // the harness's own choices, apart from the balancer's
	now     time.Duration
	set     []Backend
	pending []pending
	model   [nIDs]int64 // in flight by ID, as the harness counts it
	picks   []int
}

type pending struct {
	id    int
	start time.Duration
}

const nIDs = 12

// at returns the time of the next call: never earlier than the previous
// one, often the same (the simulator runs many events at one instant).
func (h *harness) at() time.Duration {
	next := h.now + time.Duration(h.rng.IntN(3))*time.Millisecond
	if next < h.now {
		h.t.Fatalf("harness: time went backwards: %v after %v", next, h.now)
	}
	h.now = next
	return next
}

// update lists each ID with probability 0.8, healthy with probability 0.7,
// with random weights, in a random order.
func (h *harness) update() {
	h.set = h.set[:0]
	for id := range nIDs {
		if h.rng.IntN(5) == 0 {
			continue
		}
		h.set = append(h.set, Backend{
			ID: id, Name: "web", Weight: []float64{0.5, 1, 2, 3}[h.rng.IntN(4)],
			Healthy: h.rng.IntN(10) < 7,
		})
	}
	h.rng.Shuffle(len(h.set), func(i, j int) { h.set[i], h.set[j] = h.set[j], h.set[i] })
	h.b.Update(h.at(), h.set)
}

func (h *harness) eligible(id int) bool {
	for _, b := range h.set {
		if b.ID == id {
			return b.Healthy
		}
	}
	return false
}

func (h *harness) pick() {
	now := h.at()
	id, err := h.b.Pick(Request{Now: now, Key: h.rng.Uint64() % 64})
	none := !slices.ContainsFunc(h.set, func(b Backend) bool { return b.Healthy })
	switch {
	case none && err != ErrNoBackend:
		h.t.Fatalf("t=%v: no healthy backend in %v, Pick = %d, %v; want ErrNoBackend", now, h.set, id, err)
	case none:
		h.picks = append(h.picks, -1)
		for id := range nIDs { // a failed pick counts nothing
			h.check(id)
		}
		return
	case err != nil:
		h.t.Fatalf("t=%v: Pick over %v: %v", now, h.set, err)
	case !h.eligible(id):
		h.t.Fatalf("t=%v: Pick = %d, not a healthy listed backend of %v", now, id, h.set)
	}
	h.picks = append(h.picks, id)
	h.model[id]++ // Pick counts the request ...
	h.check(id)
	h.b.Started(id, now) // ... Started does not
	h.pending = append(h.pending, pending{id, now})
	h.check(id)
}

func (h *harness) finish() {
	k := h.rng.IntN(len(h.pending))
	p := h.pending[k]
	h.pending = slices.Delete(h.pending, k, k+1)
	now := h.at()
	h.b.Finished(p.id, now, now-p.start, h.rng.IntN(10) > 0)
	h.model[p.id]--
	h.check(p.id)
}

func (h *harness) check(id int) {
	if got := inflightOf(h.b, id); got != h.model[id] {
		h.t.Fatalf("t=%v: backend %d: balancer counts %d in flight, harness %d", h.now, id, got, h.model[id])
	}
}

// run performs steps random operations, then finishes everything.
func (h *harness) run(steps int) {
	h.update()
	for range steps {
		switch r := h.rng.IntN(100); {
		case r < 3:
			h.update()
		case r < 52 || len(h.pending) == 0:
			h.pick()
		default:
			h.finish()
		}
	}
	for len(h.pending) > 0 {
		h.finish()
	}
	for id := range nIDs {
		h.check(id)
		h.b.Finished(id, h.at(), 0, true) // on zero: stays zero
		h.check(id)
	}
}

func newHarness(t *testing.T, name string, seed uint64) *harness {
	return &harness{t: t, b: mustNew(t, name, nil, seed), rng: rand.New(rand.NewPCG(seed, 99))}
}

// conformSequence: picks are healthy listed backends, ErrNoBackend exactly
// when none is, in-flight counts match Pick/Finished (Started changes none)
// across updates that change the set, the health flags and the weights.
func conformSequence(t *testing.T, name string) {
	newHarness(t, name, 1).run(20000)
}

// conformDeterministic: the same seed and the same calls give the same
// picks (the simulator's byte-identical results depend on it).
func conformDeterministic(t *testing.T, name string) {
	a, b := newHarness(t, name, 5), newHarness(t, name, 5)
	a.run(3000)
	b.run(3000)
	if !slices.Equal(a.picks, b.picks) {
		t.Fatalf("same seed, same calls, different picks")
	}
}

// conformAllocs: Pick, Started and Finished do not allocate, whether a
// backend is found or not.
func conformAllocs(t *testing.T, name string) {
	b := mustNew(t, name, nil, 1)
	bs := makeBackends(100)
	for i := range bs {
		bs[i].Weight = float64(1 + i%4)
		bs[i].Healthy = i%7 != 3
	}
	b.Update(0, bs)
	key := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		key++
		id, err := b.Pick(Request{Now: time.Duration(key), Key: key})
		if err != nil {
			t.Fatal(err)
		}
		b.Started(id, time.Duration(key))
		b.Finished(id, time.Duration(key), 0, true)
	})
	if allocs != 0 {
		t.Errorf("Pick+Started+Finished: %v allocations per run, want 0", allocs)
	}
	b.Update(1, withHealth(bs[:2], false, false))
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := b.Pick(Request{Key: 7}); err != ErrNoBackend {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Pick with no backend: %v allocations per run, want 0", allocs)
	}
}

// conformCounters: in-flight counts are kept by ID across updates, even
// while the backend is unlisted; Finished never drives them below zero;
// Pick counts, Started does not; unknown IDs are ignored.
func conformCounters(t *testing.T, name string) {
	b := mustNew(t, name, nil, 1)
	bs := makeBackends(4)
	b.Update(0, bs)
	load(b, 2, 3)
	b.Update(1, withHealth(bs, true, true, false, true))
	b.Update(2, append(bs[:2:2], bs[3])) // ID 2 unlisted
	b.Finished(2, 3, 3, true)            // a request still in flight to it ends
	b.Update(4, bs)
	if got := inflightOf(b, 2); got != 2 {
		t.Fatalf("in flight to 2 after updates: %d, want 2", got)
	}
	for range 5 {
		b.Finished(2, 5, 1, false)
	}
	if got := inflightOf(b, 2); got != 0 {
		t.Fatalf("in flight to 2 after extra Finished: %d, want 0", got)
	}
	b.Update(6, withHealth(bs, false, false, true, false))
	if id := mustPick(t, b, 6); id != 2 {
		t.Fatalf("only ID 2 healthy: Pick = %d", id)
	}
	if got := inflightOf(b, 2); got != 1 {
		t.Fatalf("in flight to 2 after Finished on zero, then Pick: %d, want 1", got)
	}
	b.Started(2, 6)
	if got := inflightOf(b, 2); got != 1 {
		t.Fatalf("in flight to 2 after Pick and Started: %d, want 1 (Started counts nothing)", got)
	}
	for _, id := range []int{-1, 4, 1 << 30} {
		b.Started(id, 7)
		b.Finished(id, 7, 0, true)
	}
}

// conformNotRetained: Update copies its argument.
func conformNotRetained(t *testing.T, name string) {
	b := mustNew(t, name, nil, 1)
	bs := withHealth(makeBackends(3), false, true, false)
	b.Update(0, bs)
	bs[0].Healthy, bs[1].Healthy, bs[1].ID = true, false, 2
	for key := range uint64(20) {
		if id := mustPick(t, b, key); id != 1 {
			t.Fatalf("Pick = %d after the caller changed its slice; want 1", id)
		}
	}
}

// conformConcurrent: many goroutines pick, start and finish while another
// updates health, over a LockedSource; run with -race. Backend 0 stays
// healthy, so every pick must succeed; in the end nothing is in flight.
func conformConcurrent(t *testing.T, name string) {
	const workers, picks, nb = 8, 1500, 8
	b, err := New(name, nil, LockedSource(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	bs := makeBackends(nb)
	b.Update(0, bs)
	var clock atomic.Int64
	now := func() time.Duration { return time.Duration(clock.Add(1)) }
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // the health checker
		defer wg.Done()
		rng := rand.New(rand.NewPCG(3, 4))
		up := slices.Clone(bs)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for i := 1; i < nb; i++ {
				up[i].Healthy = rng.IntN(2) == 0
			}
			b.Update(now(), up)
		}
	}()
	var work sync.WaitGroup
	for w := range workers {
		work.Add(1)
		go func() {
			defer work.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			var open []pending
			for range picks {
				t0 := now()
				id, err := b.Pick(Request{Now: t0, Key: rng.Uint64()})
				if err != nil || id < 0 || id >= nb {
					t.Errorf("Pick = %d, %v", id, err)
					return
				}
				b.Started(id, t0)
				open = append(open, pending{id, t0})
				for len(open) > 3 || len(open) > 0 && rng.IntN(2) == 0 {
					k := rng.IntN(len(open))
					t1 := now()
					b.Finished(open[k].id, t1, t1-open[k].start, true)
					open = slices.Delete(open, k, k+1)
				}
			}
			for _, p := range open {
				b.Finished(p.id, now(), 0, true)
			}
		}()
	}
	work.Wait()
	close(stop)
	wg.Wait()
	for id := range nb {
		if got := inflightOf(b, id); got != 0 {
			t.Errorf("backend %d: %d in flight after every request finished", id, got)
		}
	}
}

func TestErrNoBackendIdentity(t *testing.T) {
	// Engines compare with errors.Is; Pick returns the sentinel itself.
	b := mustNew(t, "random", nil, 1)
	if _, err := b.Pick(Request{}); !errors.Is(err, ErrNoBackend) || err != ErrNoBackend {
		t.Fatalf("Pick on nothing = %v", err)
	}
}
