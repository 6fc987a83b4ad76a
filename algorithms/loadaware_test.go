package algorithms

import (
	"slices"
	"testing"
)

// Which built-ins take the engine's counts: those whose choices read
// in-flight counts. The load-blind ones must not claim to.
func TestLoadAwareBuiltins(t *testing.T) {
	aware := []string{"least-connections", "weighted-least-connections", "p2c", "peak-ewma",
		"least-response-time", "bounded-load-hash", "prequal", "sticky"}
	for _, s := range List() {
		b := mustNew(t, s.Name, nil, 1)
		_, ok := b.(LoadAware)
		if want := slices.Contains(aware, s.Name); ok != want {
			t.Errorf("%s: LoadAware = %v, want %v", s.Name, ok, want)
		}
	}
}

// Between two SetLoad calls a load-aware balancer decides on the board
// alone: its own picks do not move it (the herding of Mitzenmacher's
// periodic-update model), while its own in-flight count still follows
// Pick and Finished. An Update keeps the board; the next SetLoad replaces
// it.
func TestSetLoadFreezesTheView(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
	}{
		{"least-connections", nil},
		{"weighted-least-connections", nil},
		{"p2c", map[string]any{"choices": 4}}, // d >= n: every backend a candidate
		{"peak-ewma", nil},
		{"least-response-time", nil},
		{"sticky", map[string]any{"base": "least-connections"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustNew(t, tt.name, tt.params, 1)
			bs := makeBackends(4)
			b.Update(0, bs)
			if tt.name == "peak-ewma" { // two candidates: make backend 2 one of every pair
				bs = withHealth(bs, false, false, true, true)
				b.Update(0, bs)
			}
			la := b.(LoadAware)
			la.SetLoad(0, []int64{5, 5, 0, 5})
			for range 20 {
				if id := mustPick(t, b, 0); id != 2 {
					t.Fatalf("picked %d on board [5 5 0 5], want 2 every time", id)
				}
			}
			if got := inflightOf(b, 2); got != 20 {
				t.Errorf("own in-flight count of 2 = %d, want 20", got)
			}
			b.Update(1, bs)
			if id := mustPick(t, b, 0); id != 2 {
				t.Errorf("after Update: picked %d, want 2 (the board holds)", id)
			}
			la.SetLoad(2, []int64{5, 5, 9, 0}) // backend 3 now least
			if id := mustPick(t, b, 0); id != 3 {
				t.Errorf("after a new board: picked %d, want 3", id)
			}
			la.SetLoad(3, []int64{7, 7}) // IDs past the end count 0
			if id := mustPick(t, b, 0); id != 2 && id != 3 {
				t.Errorf("on a short board: picked %d, want 2 or 3", id)
			}
		})
	}
}

// SetLoad copies the counts: the engine reuses its slice.
func TestSetLoadCopies(t *testing.T) {
	b := mustNew(t, "least-connections", nil, 1)
	b.Update(0, makeBackends(3))
	board := []int64{1, 0, 1}
	b.(LoadAware).SetLoad(0, board)
	board[1] = 9
	if id := mustPick(t, b, 0); id != 1 {
		t.Errorf("picked %d, want 1: the balancer must keep its own copy", id)
	}
}
