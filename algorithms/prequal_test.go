package algorithms

import (
	"testing"
	"time"
)

func newTestPrequal(t *testing.T, params map[string]any, n int) (Balancer, Prober) {
	t.Helper()
	b := mustNew(t, "prequal", params, 1)
	b.Update(0, makeBackends(n))
	return b, b.(Prober)
}

// Hot/cold: with q_rif 0.5 over RIFs {1, 2, 3, 4, 10, 10}, θ = 3, so 4 and
// the 10s are hot. Cold ones go first by latency; once they are used up,
// the hot one with the lowest RIF.
func TestPrequalHotCold(t *testing.T) {
	b, p := newTestPrequal(t, map[string]any{"q_rif": 0.5, "reuse": 1}, 6)
	ms := time.Millisecond
	p.ProbeResult(0, 0, 1, 50*ms)
	p.ProbeResult(1, 0, 2, 5*ms)
	p.ProbeResult(2, 0, 3, 20*ms)
	p.ProbeResult(3, 0, 4, 1*ms) // hot: its low latency does not count
	p.ProbeResult(4, 0, 10, 1*ms)
	p.ProbeResult(5, 0, 10, 2*ms)
	for _, want := range []int{1, 2, 0, 3, 4, 5} {
		if id := mustPick(t, b, 0); id != want {
			t.Fatalf("Pick = %d, want %d", id, want)
		}
	}
	if n := inflightOf(b, 3); n != 1 {
		t.Fatalf("in flight on 3 = %d", n)
	}
}

// An idle backend (RIF 0) ranks first among the cold, whatever the stale
// latency it reported; one use makes it RIF 1 and its latency counts again.
func TestPrequalIdleFirst(t *testing.T) {
	b, p := newTestPrequal(t, nil, 4)
	ms := time.Millisecond
	p.ProbeResult(0, 0, 1, 2*ms)
	p.ProbeResult(1, 0, 0, 90*ms)
	for _, want := range []int{1, 0} {
		if id := mustPick(t, b, 0); id != want {
			t.Fatalf("Pick = %d, want %d", id, want)
		}
	}
}

// A probe serves at most reuse picks; one older than max_age none.
func TestPrequalAgeingAndReuse(t *testing.T) {
	b, p := newTestPrequal(t, map[string]any{"reuse": 2, "max_age": "100ms"}, 8)
	ms := time.Millisecond
	p.ProbeResult(5, 0, 0, ms)
	for range 2 {
		if id, _ := b.Pick(Request{Now: 10 * ms}); id != 5 {
			t.Fatalf("Pick = %d, want 5", id)
		}
	}
	p.ProbeResult(6, 0, 0, ms)
	p.ProbeResult(7, 50*ms, 0, 2*ms)
	// At 120ms the probe of 6 (from t=0) has expired; 7's has not.
	if id, _ := b.Pick(Request{Now: 120 * ms}); id != 7 {
		t.Fatalf("Pick = %d, want 7 (6's probe expired)", id)
	}
	// At 200ms every probe has expired: the p2c fallback, never 5 twice
	// more from the used-up probe.
	counts := map[int]int{}
	for range 400 {
		id, _ := b.Pick(Request{Now: 200 * ms})
		counts[id]++
	}
	if len(counts) != 8 {
		t.Fatalf("fallback reached %v, want all 8", counts)
	}
}

func TestPrequalPoolEvictsOldestAndTargets(t *testing.T) {
	b, p := newTestPrequal(t, map[string]any{"pool_size": 2, "reuse": 1}, 5)
	p.ProbeResult(0, 0, 1, time.Millisecond) // evicted
	p.ProbeResult(1, 0, 1, 3*time.Millisecond)
	p.ProbeResult(2, 0, 1, 2*time.Millisecond)
	for _, want := range []int{2, 1} {
		if id := mustPick(t, b, 0); id != want {
			t.Fatalf("Pick = %d, want %d", id, want)
		}
	}
	dst := p.ProbeTargets(0, nil)
	if len(dst) != 3 || dst[0] == dst[1] || dst[1] == dst[2] || dst[0] == dst[2] {
		t.Fatalf("ProbeTargets = %v, want 3 distinct", dst)
	}
	b.Update(1, withHealth(makeBackends(5), false, true, false, false, false))
	if dst = p.ProbeTargets(1, dst[:0]); len(dst) != 1 || dst[0] != 1 {
		t.Fatalf("ProbeTargets with only 1 healthy = %v", dst)
	}
}

func TestPrequalBadParams(t *testing.T) {
	for _, params := range []map[string]any{{"q_rif": 1.5}, {"q_rif": 0}, {"pool_size": 0}, {"reuse": 0}, {"max_age": "0s"}} {
		if err := Validate("prequal", params, 5); err == nil {
			t.Errorf("Validate(%v) = nil", params)
		}
	}
}
