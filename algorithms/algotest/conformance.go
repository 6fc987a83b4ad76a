package algotest

// The conformance harness: the contract of algorithms.Balancer and of
// DESIGN.md §2, checked by driving a balancer as the engines do.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// Factory builds a fresh balancer drawing all its randomness from src.
type Factory func(src rand.Source) (algorithms.Balancer, error)

// Conformance checks that the strategy s, with its default params, keeps
// the contract of algorithms.Balancer. It runs each check as a subtest when
// t is a *testing.T (most of them in parallel: call it from a test that
// does not itself call t.Parallel, since the allocation check needs the
// process to itself), else one after the other.
func Conformance(t testing.TB, s algorithms.Spec) {
	t.Helper()
	if _, err := s.Build(nil, rand.NewPCG(1, 2)); err != nil {
		t.Fatalf("%s with its default params: %v", s.Name, err)
		return
	}
	ConformanceFunc(t, func(src rand.Source) (algorithms.Balancer, error) { return s.Build(nil, src) })
}

// ConformanceFunc is Conformance for a strategy built by newBalancer, e.g.
// with params other than its defaults.
func ConformanceFunc(t testing.TB, newBalancer Factory) {
	t.Helper()
	c := &conformer{newBalancer: newBalancer}
	runSteps(t, []step{
		{"Allocs", false, c.allocs},
		{"NoBackend", true, c.noBackend},
		{"Sequence", true, c.sequence},
		{"Deterministic", true, c.deterministic},
		{"CountersSurviveUpdate", true, c.counters},
		{"InputNotRetained", true, c.notRetained},
		{"Concurrent", true, c.concurrent},
		{"FinishedFreesLoad", true, c.finishedFreesLoad},
		{"LoadBoard", true, c.loadBoard},
	})
}

// step is one check of a harness.
type step struct {
	name     string
	parallel bool
	f        func(t testing.TB)
}

// runSteps runs steps as subtests of a *testing.T, else in order on t
// with their names in front of their messages.
func runSteps(t testing.TB, steps []step) {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		for _, s := range steps {
			tt.Run(s.name, func(t *testing.T) {
				if s.parallel {
					t.Parallel()
				}
				s.f(t)
			})
		}
		return
	}
	for _, s := range steps {
		s.f(named{t, s.name})
	}
}

// named prefixes the messages of a step run without subtests.
type named struct {
	testing.TB
	name string
}

func (n named) Errorf(format string, args ...any) {
	n.TB.Helper()
	n.TB.Errorf("%s: %s", n.name, fmt.Sprintf(format, args...))
}

func (n named) Fatalf(format string, args ...any) {
	n.TB.Helper()
	n.TB.Fatalf("%s: %s", n.name, fmt.Sprintf(format, args...))
}

func (n named) Error(args ...any) {
	n.TB.Helper()
	n.TB.Error(n.name + ": " + fmt.Sprint(args...))
}

func (n named) Fatal(args ...any) {
	n.TB.Helper()
	n.TB.Fatal(n.name + ": " + fmt.Sprint(args...))
}

type conformer struct {
	newBalancer Factory
}

// build returns a balancer over a PCG stream for seed, as the simulator
// builds one.
func (c *conformer) build(t testing.TB, seed uint64) algorithms.Balancer {
	t.Helper()
	return c.buildFrom(t, rand.NewPCG(seed, 0x5eed))
}

func (c *conformer) buildFrom(t testing.TB, src rand.Source) algorithms.Balancer {
	t.Helper()
	b, err := c.newBalancer(src)
	if err != nil {
		t.Fatalf("cannot build the balancer: %v", err)
	}
	if b == nil {
		t.Fatalf("cannot build the balancer: the factory returned nil")
	}
	return b
}

// Backends returns n healthy backends with IDs 0..n-1, named web-0 ..
// web-(n-1), of weight 1, as a scenario's servers: {count: n} lists them.
func Backends(n int) []algorithms.Backend {
	bs := make([]algorithms.Backend, n)
	for i := range bs {
		bs[i] = algorithms.Backend{ID: i, Name: fmt.Sprintf("web-%d", i), Weight: 1, Healthy: true}
	}
	return bs
}

// withHealth returns a copy of bs with backend i healthy iff healthy[i].
func withHealth(bs []algorithms.Backend, healthy ...bool) []algorithms.Backend {
	out := slices.Clone(bs)
	for i := range out {
		out[i].Healthy = healthy[i]
	}
	return out
}

// only returns a copy of bs where only backend id is healthy.
func only(bs []algorithms.Backend, id int) []algorithms.Backend {
	out := slices.Clone(bs)
	for i := range out {
		out[i].Healthy = out[i].ID == id
	}
	return out
}

// describeSet renders a backend set for messages: "0, 1 (down), 3".
func describeSet(set []algorithms.Backend) string {
	if len(set) == 0 {
		return "none listed"
	}
	bs := slices.Clone(set)
	slices.SortFunc(bs, func(a, b algorithms.Backend) int { return a.ID - b.ID })
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprint(b.ID)
		if !b.Healthy {
			parts[i] += " (down)"
		}
	}
	return "listed: " + strings.Join(parts, ", ")
}

// whyIneligible says why id may not be picked from set, or "" if it may.
func whyIneligible(id int, set []algorithms.Backend) string {
	i := slices.IndexFunc(set, func(b algorithms.Backend) bool { return b.ID == id })
	switch {
	case i < 0:
		return fmt.Sprintf("picked backend %d, which is not listed (%s)", id, describeSet(set))
	case !set[i].Healthy:
		return fmt.Sprintf("picked backend %d, which is unhealthy (%s)", id, describeSet(set))
	}
	return ""
}

// pickOrFail picks with key; it fails t unless Pick returns a backend that
// set lists healthy.
func pickOrFail(t testing.TB, b algorithms.Balancer, now time.Duration, key uint64, set []algorithms.Backend) int {
	t.Helper()
	id, err := b.Pick(algorithms.Request{Now: now, Key: key})
	if err != nil {
		t.Fatalf("t=%v: Pick returned %v, but a backend is healthy (%s)", now, err, describeSet(set))
	}
	if why := whyIneligible(id, set); why != "" {
		t.Fatalf("t=%v: %s", now, why)
	}
	return id
}

// noBackend: ErrNoBackend exactly when no backend is healthy or none is
// listed.
func (c *conformer) noBackend(t testing.TB) {
	b := c.build(t, 1)
	wantNone := func(when string) {
		t.Helper()
		for key := range uint64(50) {
			if id, err := b.Pick(algorithms.Request{Key: key}); err != algorithms.ErrNoBackend {
				t.Fatalf("%s: Pick returned backend %d and error %v; it must return algorithms.ErrNoBackend itself (not a wrapped or other error) when no backend is eligible", when, id, err)
			}
		}
	}
	wantNone("before the first Update")
	b.Update(0, nil)
	wantNone("after Update with no backends")
	bs := Backends(5)
	b.Update(1, withHealth(bs, false, false, false, false, false))
	wantNone("with every backend unhealthy")
	b.Update(2, only(bs, 3))
	for key := range uint64(50) {
		id := pickOrFail(t, b, 2, key, only(bs, 3))
		b.Finished(id, 2, 0, true)
	}
	b.Update(3, bs[:0])
	wantNone("after Update emptied the set")
	b.Update(4, bs)
	id := pickOrFail(t, b, 4, 1, bs)
	b.Finished(id, 4, 0, true)
}

// harness drives a balancer as an engine would, keeping its own model of
// the contract: which backends are listed and healthy, what is in flight.
type harness struct {
	t       testing.TB
	b       algorithms.Balancer
	counter algorithms.InFlightCounter // nil: the balancer does not tell its counts
	rng     *rand.Rand                 // the harness's own choices, apart from the balancer's
	now     time.Duration
	set     []algorithms.Backend
	pending []pending
	model   [nIDs]int64 // in flight by ID, as the harness counts it
	picks   []int
}

type pending struct {
	id    int
	start time.Duration
}

const nIDs = 12

func newHarness(t testing.TB, b algorithms.Balancer, seed uint64) *harness {
	h := &harness{t: t, b: b, rng: rand.New(rand.NewPCG(seed, 99))}
	h.counter, _ = b.(algorithms.InFlightCounter)
	return h
}

// at returns the time of the next call: never earlier than the previous
// one, often the same (the simulator runs many events at one instant).
func (h *harness) at() time.Duration {
	next := h.now + time.Duration(h.rng.IntN(3))*time.Millisecond
	if next < h.now {
		h.t.Fatalf("algotest: the harness's time went backwards: %v after %v", next, h.now)
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
		h.set = append(h.set, algorithms.Backend{
			ID: id, Name: fmt.Sprintf("web-%d", id), Weight: []float64{0.5, 1, 2, 3}[h.rng.IntN(4)],
			Healthy: h.rng.IntN(10) < 7,
		})
	}
	h.rng.Shuffle(len(h.set), func(i, j int) { h.set[i], h.set[j] = h.set[j], h.set[i] })
	h.b.Update(h.at(), h.set)
}

func (h *harness) pick() {
	now := h.at()
	id, err := h.b.Pick(algorithms.Request{Now: now, Key: h.rng.Uint64() % 64})
	none := !slices.ContainsFunc(h.set, func(b algorithms.Backend) bool { return b.Healthy })
	switch {
	case none && err != algorithms.ErrNoBackend:
		h.t.Fatalf("t=%v: no backend is healthy (%s), but Pick returned backend %d and error %v; it must return algorithms.ErrNoBackend", now, describeSet(h.set), id, err)
	case none:
		h.picks = append(h.picks, -1)
		for id := range nIDs {
			h.check(id, "a Pick that returns ErrNoBackend must count nothing")
		}
		return
	case err != nil:
		h.t.Fatalf("t=%v: Pick returned %v, but a backend is healthy (%s)", now, err, describeSet(h.set))
	}
	if why := whyIneligible(id, h.set); why != "" {
		h.t.Fatalf("t=%v: %s", now, why)
	}
	h.picks = append(h.picks, id)
	h.model[id]++ // Pick counts the request ...
	h.check(id, "Pick must count the request it places in flight")
	h.b.Started(id, now) // ... Started does not
	h.pending = append(h.pending, pending{id, now})
	h.check(id, "Started must not change the count: Pick counted the request")
}

func (h *harness) finish() {
	k := h.rng.IntN(len(h.pending))
	p := h.pending[k]
	h.pending = slices.Delete(h.pending, k, k+1)
	now := h.at()
	h.b.Finished(p.id, now, now-p.start, h.rng.IntN(10) > 0)
	h.model[p.id]--
	h.check(p.id, "Finished must take the request out of the count")
}

// check compares the balancer's count for id with the harness's, if the
// balancer tells it.
func (h *harness) check(id int, rule string) {
	if h.counter == nil {
		return
	}
	if got := h.counter.InFlight(id); got != h.model[id] {
		h.t.Fatalf("t=%v: backend %d: the balancer counts %d requests in flight, the harness %d (%s)",
			h.now, id, got, h.model[id], rule)
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
		h.check(id, "every request has finished")
		h.b.Finished(id, h.at(), 0, true)
		h.check(id, "a Finished for a backend with nothing in flight must leave its count at 0")
	}
}

// sequence: picks are healthy listed backends, ErrNoBackend exactly when
// none is, in-flight counts match Pick/Finished (Started changes none)
// across updates that change the set, the health flags and the weights.
func (c *conformer) sequence(t testing.TB) {
	h := newHarness(t, c.build(t, 1), 1)
	if h.counter == nil {
		t.Logf("the balancer does not implement algorithms.InFlightCounter: its in-flight counts are not checked")
	}
	h.run(20000)
}

// deterministic: the same seed and the same calls give the same picks
// (the simulator's byte-identical results depend on it).
func (c *conformer) deterministic(t testing.TB) {
	a, b := newHarness(t, c.build(t, 5), 5), newHarness(t, c.build(t, 5), 5)
	a.run(3000)
	b.run(3000)
	if i := firstDiff(a.picks, b.picks); i >= 0 {
		t.Fatalf("two balancers built with the same seed, given the same calls, picked differently at pick %d (%d, then %d): all randomness must come from the rand.Source given to New, and no decision may depend on map order", i, at(a.picks, i), at(b.picks, i))
	}
}

func firstDiff(a, b []int) int {
	for i := range max(len(a), len(b)) {
		if at(a, i) != at(b, i) {
			return i
		}
	}
	return -1
}

func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return -2
}

// allocs: Pick, Started and Finished do not allocate, whether a backend is
// found or not.
func (c *conformer) allocs(t testing.TB) {
	defer func() {
		if r := recover(); r != nil {
			if s, ok := r.(string); ok && strings.Contains(s, "parallel") {
				t.Errorf("algotest: the allocation check cannot run in a parallel test: call Conformance from a test that does not call t.Parallel")
				return
			}
			panic(r)
		}
	}()
	b := c.build(t, 1)
	bs := Backends(100)
	for i := range bs {
		bs[i].Weight = float64(1 + i%4)
		bs[i].Healthy = i%7 != 3
	}
	b.Update(0, bs)
	key := uint64(0)
	var failed error
	allocs := testing.AllocsPerRun(1000, func() {
		key++
		id, err := b.Pick(algorithms.Request{Now: time.Duration(key), Key: key})
		if err != nil {
			failed = err
			return
		}
		b.Started(id, time.Duration(key))
		b.Finished(id, time.Duration(key), 0, true)
	})
	if failed != nil {
		t.Fatalf("Pick over 100 backends, 86 of them healthy: %v", failed)
	}
	if allocs != 0 {
		t.Errorf("Pick, Started and Finished allocate %v times per request; they must not allocate (the proxy calls them on every request)", allocs)
	}
	b.Update(1, withHealth(bs[:2], false, false))
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := b.Pick(algorithms.Request{Key: 7}); err != algorithms.ErrNoBackend {
			failed = err
		}
	})
	if failed != nil {
		t.Fatalf("Pick with no healthy backend returned %v, not algorithms.ErrNoBackend", failed)
	}
	if allocs != 0 {
		t.Errorf("Pick allocates %v times per call when no backend is healthy; it must not allocate", allocs)
	}
}

// counters: in-flight counts are kept by ID across updates, even while the
// backend is unlisted; Finished never drives them below zero; Pick counts,
// Started does not; unknown IDs are ignored.
func (c *conformer) counters(t testing.TB) {
	b := c.build(t, 1)
	counter, _ := b.(algorithms.InFlightCounter)
	inflight := func(id int, want int64, when string) {
		t.Helper()
		if counter == nil {
			return
		}
		if got := counter.InFlight(id); got != want {
			t.Fatalf("%s: the balancer counts %d requests in flight to backend %d, want %d", when, got, id, want)
		}
	}
	bs := Backends(4)
	b.Update(0, bs)
	b.Update(1, only(bs, 2))
	for range 3 { // 3 requests in flight to 2
		id := pickOrFail(t, b, 1, 5, only(bs, 2))
		b.Started(id, 1)
	}
	b.Update(2, withHealth(bs, true, true, false, true))
	b.Update(3, []algorithms.Backend{bs[0], bs[1], bs[3]}) // 2 unlisted
	b.Finished(2, 3, 3, true)                              // a request still in flight to it ends
	b.Update(4, bs)
	inflight(2, 2, "after 3 picks of backend 2, updates that marked it down, unlisted it and listed it again, and one Finished while it was unlisted")
	for range 5 {
		b.Finished(2, 5, 1, false)
	}
	inflight(2, 0, "after more Finished calls than requests in flight (a stray Finished must not drive the count below 0)")
	b.Update(6, only(bs, 2))
	pickOrFail(t, b, 6, 6, only(bs, 2))
	inflight(2, 1, "after a Pick of backend 2 that followed the stray Finished calls")
	b.Started(2, 6)
	inflight(2, 1, "after Pick and Started (Started must not change the count: Pick counted the request)")
	for _, id := range []int{-1, 4, 1 << 30} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("Started or Finished for backend %d, never listed, panicked: %v; unknown IDs must be ignored", id, r)
				}
			}()
			b.Started(id, 7)
			b.Finished(id, 7, 0, true)
		}()
	}
}

// notRetained: Update copies its argument.
func (c *conformer) notRetained(t testing.TB) {
	b := c.build(t, 1)
	bs := withHealth(Backends(3), false, true, false)
	b.Update(0, bs)
	bs[0].Healthy, bs[1].Healthy, bs[1].ID = true, false, 2
	for key := range uint64(20) {
		id, err := b.Pick(algorithms.Request{Key: key})
		if err != nil || id != 1 {
			t.Fatalf("Update listed only backend 1 healthy, then the caller changed its slice; Pick returned backend %d, error %v: Update must copy the backends it is given, not keep the slice", id, err)
		}
		b.Finished(id, 0, 0, true)
	}
}

// concurrent: many goroutines pick, start and finish while another updates
// health, over a LockedSource; run with -race. Backend 0 stays healthy, so
// every pick must succeed; in the end nothing is in flight.
func (c *conformer) concurrent(t testing.TB) {
	const workers, picks, nb = 8, 1500, 8
	b := c.buildFrom(t, algorithms.LockedSource(rand.NewPCG(1, 2)))
	bs := Backends(nb)
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
	var failure atomic.Pointer[string]
	for w := range workers {
		work.Add(1)
		go func() {
			defer work.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			var open []pending
			for range picks {
				t0 := now()
				id, err := b.Pick(algorithms.Request{Now: t0, Key: rng.Uint64()})
				if err != nil || id < 0 || id >= nb {
					msg := fmt.Sprintf("with backend 0 always healthy and 8 goroutines picking while another updates the others' health, Pick returned backend %d, error %v", id, err)
					failure.CompareAndSwap(nil, &msg)
					break
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
	if msg := failure.Load(); msg != nil {
		t.Fatalf("%s", *msg)
	}
	if counter, ok := b.(algorithms.InFlightCounter); ok {
		for id := range nb {
			if got := counter.InFlight(id); got != 0 {
				t.Errorf("backend %d: the balancer counts %d requests in flight after every request finished (concurrent Pick and Finished must not lose updates)", id, got)
			}
		}
	}
}

// finishedFreesLoad: a backend whose requests have all finished is as
// good as idle. A burst of requests goes to backend 0 alone, all of them
// finish, then every backend is healthy and idle and requests come one at
// a time: a strategy must not shun backend 0 for ever. A load-aware
// strategy whose Finished forgets to uncount its requests does.
func (c *conformer) finishedFreesLoad(t testing.TB) {
	const burst, picks, nb = 1000, 400, 4
	b := c.build(t, 1)
	bs := Backends(nb)
	now := time.Duration(0)
	b.Update(now, only(bs, 0))
	for k := range burst {
		id := pickOrFail(t, b, now, uint64(k+1), only(bs, 0))
		b.Started(id, now)
	}
	now += time.Millisecond
	for range burst {
		b.Finished(0, now, time.Millisecond, true)
	}
	now += time.Millisecond
	b.Update(now, bs)
	var counts [nb]int
	for k := range picks {
		now += time.Millisecond
		id := pickOrFail(t, b, now, uint64(k+1), bs)
		b.Started(id, now)
		b.Finished(id, now+time.Millisecond, time.Millisecond, true)
		counts[id]++
	}
	if counts[0] == 0 {
		t.Errorf("backend 0 served %d requests that all finished, then was never picked in %d picks, one request at a time, over %d idle healthy backends (picks per backend: %v): does Finished take requests out of the strategy's load?",
			burst, picks, nb, counts)
	}
}

// loadBoard checks a balancer that takes the engine's counts
// (algorithms.LoadAware; others pass): boards of any length, before and
// after Update, never make it pick an unhealthy backend or lose count of
// its own requests in flight, and a board that favours an unhealthy
// backend does not draw picks to it.
func (c *conformer) loadBoard(t testing.TB) {
	b := c.build(t, 1)
	la, ok := b.(algorithms.LoadAware)
	if !ok {
		return
	}
	const nb, picks = 4, 200
	la.SetLoad(0, []int64{1, 2, 3, 4}) // before any Update
	bs := withHealth(Backends(nb), true, false, true, true)
	b.Update(0, bs)
	now := time.Duration(0)
	var ids []int
	for k, board := range [][]int64{{5, 0, 5, 5}, nil, {0}, {9, 0, 1, 2, 3, 4, 5}} {
		now += time.Millisecond
		la.SetLoad(now, board)
		for j := range picks / 4 {
			id := pickOrFail(t, b, now, uint64(k*picks+j+1), bs)
			b.Started(id, now)
			ids = append(ids, id)
		}
	}
	counter, counts := b.(algorithms.InFlightCounter)
	if counts {
		var sum int64
		for id := range nb {
			sum += counter.InFlight(id)
		}
		if sum != int64(len(ids)) {
			t.Errorf("after %d picks under SetLoad boards, %d requests counted in flight: boards must not replace the balancer's own count", len(ids), sum)
		}
	}
	for _, id := range ids {
		b.Finished(id, now, time.Millisecond, true)
	}
	if counts {
		for id := range nb {
			if n := counter.InFlight(id); n != 0 {
				t.Errorf("backend %d: %d in flight after every request finished under SetLoad boards", id, n)
			}
		}
	}
}
