package algorithms

import (
	"math/rand/v2"
	"testing"
)

func TestMix64SplitMixVectors(t *testing.T) {
	// splitmix64 from seed 0 outputs mix64(0), mix64(γ), mix64(2γ), ...
	const gamma = 0x9e3779b97f4a7c15
	for k, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := mix64(uint64(k) * gamma); got != want {
			t.Errorf("mix64(%d*gamma) = %#x, want %#x", k, got, want)
		}
	}
}

// keyMap returns where each of keys keys goes.
func keyMap(t *testing.T, b Balancer, keys int) []int {
	t.Helper()
	m := make([]int, keys)
	for k := range m {
		m[k] = mustPick(t, b, uint64(k))
	}
	return m
}

func TestIPHashGolden(t *testing.T) {
	// Pins the mapping: engines and versions must agree on it.
	b := mustNew(t, "ip-hash", nil, 1)
	b.Update(0, makeBackends(10))
	for key, want := range map[uint64]int{0: 5, 1: 5, 2: 0, 42: 3, 1 << 63: 5} {
		if got, mod := mustPick(t, b, key), int(mix64(key)%10); got != want || got != mod {
			t.Errorf("key %d: backend %d (mix64 mod 10 = %d), want %d", key, got, mod, want)
		}
	}
}

func TestIPHashStable(t *testing.T) {
	// Same key, same backend: over time and across instances and seeds.
	a, b := mustNew(t, "ip-hash", nil, 1), mustNew(t, "ip-hash", nil, 2)
	bs := makeBackends(7)
	a.Update(0, bs)
	b.Update(0, []Backend{bs[6], bs[5], bs[4], bs[3], bs[2], bs[1], bs[0]})
	first := keyMap(t, a, 2000)
	for _, m := range [][]int{keyMap(t, a, 2000), keyMap(t, b, 2000)} {
		for k := range m {
			if m[k] != first[k] {
				t.Fatalf("key %d: backend %d, then %d", k, first[k], m[k])
			}
		}
	}
	// And spread evenly over the backends.
	counts := make([]int, 7)
	for _, id := range first {
		counts[id]++
	}
	checkFit(t, "2000 keys over 7 backends", counts, uniform(7))
}

func TestIPHashUnhealthyMovesOnlyItsKeys(t *testing.T) {
	const keys, n, down = 3000, 10, 3
	b := mustNew(t, "ip-hash", nil, 1)
	bs := makeBackends(n)
	b.Update(0, bs)
	before := keyMap(t, b, keys)

	healthy := make([]bool, n)
	for i := range healthy {
		healthy[i] = i != down
	}
	b.Update(1, withHealth(bs, healthy...))
	during := keyMap(t, b, keys)
	moved := make([]int, n) // where the keys of the unhealthy backend went
	for k := range before {
		switch {
		case before[k] != down && during[k] != before[k]:
			t.Fatalf("key %d moved from healthy backend %d to %d", k, before[k], during[k])
		case before[k] == down:
			moved[during[k]]++
		}
	}
	// Rehashing spreads them over the other nine, not onto one neighbour.
	checkFit(t, "keys of the unhealthy backend", moved, among(n, 0, 1, 2, 4, 5, 6, 7, 8, 9))

	b.Update(2, bs)
	after := keyMap(t, b, keys)
	for k := range before {
		if after[k] != before[k] {
			t.Fatalf("key %d: backend %d before, %d after recovery", k, before[k], after[k])
		}
	}
}

func TestIPHashSetChangeMovesMostKeys(t *testing.T) {
	// The documented limit of mod-N hashing: unlisting a backend (rather
	// than marking it unhealthy) changes N and moves most keys.
	b := mustNew(t, "ip-hash", nil, 1)
	bs := makeBackends(10)
	b.Update(0, bs)
	before := keyMap(t, b, 1000)
	b.Update(1, bs[:9])
	moved := 0
	for k, id := range keyMap(t, b, 1000) {
		if id != before[k] {
			moved++
		}
	}
	if moved < 800 {
		t.Fatalf("only %d of 1000 keys moved when the set shrank from 10 to 9", moved)
	}
}

func TestIPHashFallback(t *testing.T) {
	// After 20 rehashes all land on unhealthy backends, the first healthy
	// backend at or after the first choice, wrapping around.
	const n = 50
	b := mustNew(t, "ip-hash", nil, 1)
	healthy := make([]bool, n)
	healthy[10], healthy[40] = true, true
	b.Update(0, withHealth(makeBackends(n), healthy...))
	fallbacks := 0
	rng := rand.New(rand.NewPCG(1, 1))
	for range 2000 {
		key := rng.Uint64()
		h := mix64(key)
		i0 := int(h % n)
		want := int(h % n)
		for try := 0; !healthy[want]; try++ {
			if try == 20 {
				fallbacks++
				want = 10
				if i0 > 10 && i0 <= 40 {
					want = 40
				}
				break
			}
			h = mix64(h)
			want = int(h % n)
		}
		if got := mustPick(t, b, key); got != want {
			t.Fatalf("key %#x: backend %d, want %d", key, got, want)
		}
	}
	if fallbacks < 500 { // (48/50)^21 = 42% of keys
		t.Fatalf("only %d fallbacks exercised", fallbacks)
	}
}
