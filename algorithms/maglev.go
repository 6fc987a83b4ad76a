package algorithms

// maglev: the lookup table of Google's Maglev (Eisenbud et al., "Maglev: A
// Fast and Reliable Software Network Load Balancer", NSDI 2016, section
// 3.4), with Envoy's weighting (source/extensions/load_balancing_policies/
// maglev/maglev_lb.cc). dgryski/go-maglev is the same algorithm unweighted.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// maxMaglevTable is the largest table_size, Envoy's limit (5000011).
const maxMaglevTable = 5000011

var maglevTableSize = Int{
	Name: "table_size", Default: 65537, Min: 2,
	Doc: "M, the lookup table's size: a prime, at least the number of backends (the paper suggests M > 100N)",
	Check: func(m int) error {
		if m > maxMaglevTable || !isPrime(m) {
			return fmt.Errorf("must be a prime <= %d (e.g. 251, 4099, 65537), got %d", maxMaglevTable, m)
		}
		return nil
	},
}

func newMaglevSpec(p Params, _ rand.Source) (Balancer, error) {
	return &maglevBalancer{m: uint64(p.Int(maglevTableSize.Name))}, nil
}

func maglevFits(p Params, backends int) error {
	m := p.Int(maglevTableSize.Name)
	switch {
	case backends <= m:
		return nil
	case backends > maxMaglevTable:
		return &ParamError{Param: maglevTableSize.Name,
			Err: fmt.Errorf("must be >= the number of backends (%d), got %d; no table fits more than %d backends: use ring-hash", backends, m, maxMaglevTable)}
	}
	// The paper's advice, M > 100N, within the limit.
	hint := maxMaglevTable
	if backends <= maxMaglevTable/100 {
		hint = nextPrime(100 * backends)
	}
	return &ParamError{Param: maglevTableSize.Name,
		Err: fmt.Errorf("must be >= the number of backends (%d), got %d; try table_size: %d", backends, m, hint)}
}

// nextPrime returns the least prime >= n (n <= maxMaglevTable; primes are
// under 200 apart there).
func nextPrime(n int) int {
	for !isPrime(n) {
		n++
	}
	return n
}

// isPrime by trial division (n <= maxMaglevTable: under 1200 divisions).
func isPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// maglevBalancer sends a request to table[mix64(Key) mod M]. Update
// rebuilds the table over the HEALTHY backends, as Maglev does when its
// health checks change the set: each backend i (in ID order) has a
// preference list, the permutation
//
//	offset_i = h1(name_i) mod M,  skip_i = h2(name_i) mod (M-1) + 1
//	permutation_i[j] = (offset_i + j*skip_i) mod M      (M prime: a permutation)
//
// and the backends take turns claiming their next preferred entry not yet
// taken until all M are filled (Pseudocode 1 of the paper). Each backend
// gets within about 1% of M/N entries for M = 65537 and N <= 1000 (the
// paper's Figure 11), and removing one of N backends moves its M/N entries
// plus a few others: about 1/N of the keys, slightly more (the paper trades
// perfect stability for balance). h1 and h2 are mix64 of FNV-1a(name) with
// two different addends.
//
// Weights follow Envoy: with normalised weights w_i and w_max the largest,
// in round r = 1, 2, ... backend i claims an entry only if r*w_i reaches
// its target, which starts at 0 and grows by w_max per claim; so it claims
// in about w_i/w_max of the rounds. Equal weights give the paper's table.
type maglevBalancer struct {
	table
	m     uint64
	mu    sync.Mutex // serialises Update, so state matches the table's snapshot
	state atomic.Pointer[maglevState]
}

type maglevState struct {
	snap   *snapshot
	lookup []int32 // M entries: indices into snap.backends, all healthy; nil if none is
}

var emptyMaglevState = &maglevState{snap: emptySnapshot}

func (b *maglevBalancer) Update(now time.Duration, backends []Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.update(backends)
	st := &maglevState{snap: s}
	if n := len(s.healthy); n > 0 {
		offset, skip, weight := make([]uint64, n), make([]uint64, n), make([]float64, n)
		for k, i := range s.healthy {
			offset[k], skip[k] = maglevPermutation(s.backends[i].Name, b.m)
			weight[k] = s.backends[i].Weight
		}
		st.lookup = maglevPopulate(offset, skip, weight, b.m)
		for e, k := range st.lookup {
			st.lookup[e] = int32(s.healthy[k])
		}
	}
	b.state.Store(st)
}

func (b *maglevBalancer) Pick(req Request) (int, error) {
	st := b.state.Load()
	if st == nil {
		st = emptyMaglevState
	}
	if st.lookup == nil {
		return -1, ErrNoBackend
	}
	return st.snap.take(int(st.lookup[mix64(req.Key)%b.m])), nil
}

// maglevPermutation returns a backend's offset and skip for a table of m.
func maglevPermutation(name string, m uint64) (offset, skip uint64) {
	h := fnv1a(fnvOffset64, name)
	return mix64(h) % m, mix64(h+0x632be59bd9b4e019)%(m-1) + 1
}

// maglevPopulate is the paper's Pseudocode 1 with Envoy's weights: it fills
// a table of m entries with the indices 0..n-1 of the backends whose
// permutations are given by offset and skip, each weighted (> 0).
func maglevPopulate(offset, skip []uint64, weight []float64, m uint64) []int32 {
	n := len(offset)
	wmax := 0.0
	for _, w := range weight {
		wmax = math.Max(wmax, w)
	}
	entry := make([]int32, m)
	for e := range entry {
		entry[e] = -1
	}
	cur := make([]uint64, n)     // permutation_i[next_i], the next entry backend i prefers
	target := make([]float64, n) // Envoy's target_weight
	copy(cur, offset)
	filled := uint64(0)
	for round := 1.0; ; round++ {
		for i := range n {
			if round*weight[i] < target[i] {
				continue
			}
			target[i] += wmax
			c := cur[i]
			for entry[c] >= 0 {
				c = (c + skip[i]) % m
			}
			entry[c] = int32(i)
			cur[i] = (c + skip[i]) % m
			if filled++; filled == m {
				return entry
			}
		}
	}
}
