package algorithms

import (
	"math/rand/v2"
	"testing"
)

// rrStart is the counter round-robin starts from for mustNew's seed.
func rrStart(seed uint64) uint64 { return rand.NewPCG(seed, 0x5eed).Uint64() }

func TestRoundRobinOrder(t *testing.T) {
	// The k-th pick (from 0) is healthy[(c0 + k) mod n], healthy in ID order,
	// whatever order the engine lists them in.
	const seed = 3
	b := mustNew(t, "round-robin", nil, seed)
	bs := makeBackends(4)
	b.Update(0, []Backend{bs[2], bs[0], bs[3], bs[1]})
	c0 := rrStart(seed)
	for k := range uint64(12) {
		if got, want := mustPick(t, b, 0), int((c0+k)%4); got != want {
			t.Fatalf("pick %d: %d, want %d", k, got, want)
		}
	}
}

func TestRoundRobinHealthChanges(t *testing.T) {
	// Documented behaviour: the counter runs on through updates; the cycle
	// continues at counter mod n over the new healthy list.
	const seed = 11
	b := mustNew(t, "round-robin", nil, seed)
	bs := makeBackends(4)
	k := rrStart(seed)
	pick := func(healthy []int) int {
		t.Helper()
		got, want := mustPick(t, b, 0), healthy[k%uint64(len(healthy))]
		k++
		if got != want {
			t.Fatalf("pick over %v: %d, want %d", healthy, got, want)
		}
		return got
	}
	phase := func(healthy []int, picks int) {
		t.Helper()
		seen := make([]int, 4)
		for range picks {
			seen[pick(healthy)]++
		}
		// Each healthy backend exactly picks/len(healthy) times, the others never.
		for id, n := range seen {
			want := 0
			for _, h := range healthy {
				if h == id {
					want = picks / len(healthy)
				}
			}
			if n != want {
				t.Fatalf("over %v: backend %d picked %d times in %d picks, want %d", healthy, id, n, picks, want)
			}
		}
	}
	b.Update(0, bs)
	phase([]int{0, 1, 2, 3}, 8)
	b.Update(1, withHealth(bs, true, false, true, true)) // 1 goes down
	phase([]int{0, 2, 3}, 9)
	b.Update(2, bs) // and comes back, in its place in ID order
	phase([]int{0, 1, 2, 3}, 8)
	b.Update(3, withHealth(bs, false, false, false, true))
	phase([]int{3}, 3)
}

func TestRoundRobinInstancesStartApart(t *testing.T) {
	// Ten balancers over the same ten backends, seeded apart, do not all
	// start on the same backend.
	firsts := map[int]bool{}
	for seed := range uint64(10) {
		b := mustNew(t, "round-robin", nil, seed)
		b.Update(0, makeBackends(10))
		firsts[mustPick(t, b, 0)] = true
	}
	if len(firsts) < 3 {
		t.Fatalf("10 instances started on only %d distinct backends", len(firsts))
	}
}
