package algorithms

import (
	"slices"
	"strings"
	"testing"
)

// stickyPicks picks once for each of keys 1..n, finishing at once, and
// returns where each key went (index key-1).
func stickyPicks(t *testing.T, b Balancer, n int) []int {
	t.Helper()
	out := make([]int, n)
	for k := range n {
		id := mustPick(t, b, uint64(k+1))
		b.Started(id, 0)
		b.Finished(id, 0, 0, true)
		out[k] = id
	}
	return out
}

func TestStickyKeepsAndMoves(t *testing.T) {
	for _, base := range []string{"round-robin", "random", "p2c", "least-connections", "weighted-random", "peak-ewma"} {
		t.Run(base, func(t *testing.T) {
			b := mustNew(t, "sticky", map[string]any{"base": base}, 1)
			bs := makeBackends(5)
			b.Update(0, bs)
			first := stickyPicks(t, b, 200)
			for round := range 50 {
				if got := stickyPicks(t, b, 200); !slices.Equal(got, first) {
					t.Fatalf("round %d: keys moved: %v, first %v", round, got, first)
				}
			}
			// Backend 2 goes down: exactly its keys move, to healthy ones.
			b.Update(1, withHealth(bs, true, true, false, true, true))
			moved := stickyPicks(t, b, 200)
			n := 0
			for k, id := range moved {
				switch {
				case id == 2:
					t.Fatalf("key %d still on unhealthy 2", k+1)
				case first[k] == 2:
					n++
				case id != first[k]:
					t.Fatalf("key %d moved from healthy %d to %d", k+1, first[k], id)
				}
			}
			if n == 0 {
				t.Fatal("no key was bound to backend 2")
			}
			// 2 comes back: the moved keys stay where they were re-bound.
			b.Update(2, bs)
			for range 10 {
				if got := stickyPicks(t, b, 200); !slices.Equal(got, moved) {
					t.Fatalf("after 2 came back: %v, want %v", got, moved)
				}
			}
		})
	}
}

func TestStickyKeyZeroGoesToBase(t *testing.T) {
	// Round-robin over 3: key 0 cycles, never sticks.
	b := mustNew(t, "sticky", nil, 1)
	b.Update(0, makeBackends(3))
	seen := map[int]bool{}
	for range 3 {
		seen[mustPick(t, b, 0)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("key 0 over round-robin, 3 picks: %v", seen)
	}
	if n := b.(*stickyBalancer).bindings(); n != 0 {
		t.Fatalf("key 0 bound: %d bindings", n)
	}
}

func TestStickyEvictsOldest(t *testing.T) {
	b := mustNew(t, "sticky", map[string]any{"max_sessions": 3}, 1)
	b.Update(0, makeBackends(4))
	stickyPicks(t, b, 5) // keys 1..5: 1 and 2 evicted
	sb := b.(*stickyBalancer)
	if n := sb.bindings(); n != 3 {
		t.Fatalf("%d bindings, want 3", n)
	}
	for key, want := range map[uint64]bool{1: false, 2: false, 3: true, 4: true, 5: true} {
		if _, ok := sb.slot[key]; ok != want {
			t.Errorf("key %d bound = %v, want %v", key, ok, want)
		}
	}
}

func TestStickyAllocsAfterWarmUp(t *testing.T) {
	b := mustNew(t, "sticky", map[string]any{"max_sessions": 64}, 1)
	b.Update(0, benchBackends())
	key := uint64(0)
	pick := func() {
		key = key%1000 + 1 // new keys evicting old ones, and bound ones
		id, err := b.Pick(Request{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		b.Started(id, 0)
		b.Finished(id, 0, 0, true)
	}
	for range 5000 {
		pick()
	}
	if n := testing.AllocsPerRun(5000, pick); n != 0 {
		t.Fatalf("Pick after warm-up: %v allocations", n)
	}
}

func TestStickyParams(t *testing.T) {
	for _, c := range []struct {
		params   map[string]any
		backends int
		want     string
	}{
		{map[string]any{"base": "p2c", "max_sessions": 10}, 3, ""},
		{map[string]any{"base": "sticky"}, 0, `sticky: param "base": sticky cannot be its own base`},
		{map[string]any{"base": "nope"}, 0, `sticky: param "base": unknown algorithm "nope" (known: `},
		{map[string]any{"base": 3}, 0, `sticky: param "base": must be a string, got 3`},
		{map[string]any{"max_sessions": 0}, 0, `sticky: param "max_sessions": must be an integer >= 1, got 0`},
		{map[string]any{"choices": 3}, 0, `sticky: param "choices": unknown parameter (known: base, max_sessions)`},
		{map[string]any{"base": "p2c"}, 1, `sticky: param "choices": must be <= the number of backends (1), got 2`},
	} {
		err := Validate("sticky", c.params, c.backends)
		if (err == nil) != (c.want == "") || err != nil && !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Validate(sticky, %v, %d) = %v, want %q", c.params, c.backends, err, c.want)
		}
	}
}
