package algorithms

import "testing"

// An idle backend gets the request; a busy one gets nothing while an idle
// one is listed; without a new announcement the next pick falls back.
func TestJIQPicksIdle(t *testing.T) {
	b := mustNew(t, "join-idle-queue", nil, 1)
	b.Update(0, makeBackends(5))
	it := b.(IdleTracker)
	it.Idle(2, 1)
	if id := mustPick(t, b, 0); id != 2 {
		t.Fatalf("after Idle(2): Pick = %d, want 2", id)
	}
	// The I-queue is empty again: random fallback, over every backend.
	seen := map[int]bool{}
	for range 200 {
		seen[mustPick(t, b, 0)] = true
	}
	if len(seen) != 5 {
		t.Fatalf("fallback picked %v, want all 5", seen)
	}
}

func TestJIQFIFONoDuplicatesSkipsUnhealthy(t *testing.T) {
	b := mustNew(t, "join-idle-queue", nil, 1)
	bs := makeBackends(5)
	b.Update(0, bs)
	it := b.(IdleTracker)
	for _, id := range []int{3, 1, 3, 4, 9} { // 3 twice, 9 never listed
		it.Idle(id, 1)
	}
	b.Update(2, withHealth(bs, true, false, true, true, true)) // 1 down
	for _, want := range []int{3, 4} {
		if id := mustPick(t, b, 0); id != want {
			t.Fatalf("Pick = %d, want %d", id, want)
		}
	}
	if n := inflightOf(b, 3); n != 1 {
		t.Fatalf("in flight on 3 = %d, want 1", n)
	}
	// 9 is dropped as stale; then random among the healthy.
	for range 50 {
		if id := mustPick(t, b, 0); id == 1 {
			t.Fatal("picked unhealthy backend 1")
		}
	}
}
