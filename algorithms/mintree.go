package algorithms

// An O(log n) pick for the balancers that want the least-loaded healthy
// backend (least-connections, weighted-least-connections,
// least-response-time), for sets of thousands of backends (issue 15). Below
// treeMinHealthy healthy backends they keep scanning (ties.go's reservoir):
// the scan is as fast there, and it draws the same random numbers as it
// always did, so every result of a smaller set stays byte-identical.
//
// The tree is a segment tree over the snapshot's healthy backends that
// stores, per node, the least key below it and how many leaves attain it.
// Picking draws k uniform in [0, ties) and walks down to the k-th tied leaf
// from the left: each of the tied backends is equally likely, exactly the
// distribution of the scan's reservoir (uniform among exact ties), though
// from other random numbers. A count change updates one leaf and its
// ancestors.

import (
	"math/bits"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// treeMinHealthy is the number of healthy backends from which the three
// least-loaded balancers pick from a tree instead of scanning. The scan
// costs a few ns per backend; the tree costs a lock and a few walks of
// log2(n) levels (pick, reserve, finish). BenchmarkPickCrossover puts the
// crossover between 16 and 32 backends; 128 keeps the scan, and so every
// result, for every shipped scenario (100 servers at most). Tests change it
// (export_test.go).
var treeMinHealthy = 128

// treeKey is what a minTree orders its leaves by.
type treeKey[K any] interface {
	comparable
	// cmp orders keys: negative if the receiver is the better (lower) one,
	// 0 for an exact tie.
	cmp(K) int
	// seen returns the in-flight count the key was made from: the count a
	// pick reserves against (table.reserveOrRetry).
	seen() int64
}

// minTree is a segment tree over leaves 0..n-1, stored as a heap: node x
// has children 2x and 2x+1, the leaves are nodes size..size+n-1, and the
// nodes past them are padding with cnt 0.
type minTree[K treeKey[K]] struct {
	size int
	key  []K     // by node: the least key below it
	cnt  []int32 // by node: how many leaves below it have that key; 0 = no leaf
}

// build makes the tree over n leaves, leaf p keyed keyAt(p).
func (t *minTree[K]) build(n int, keyAt func(p int) K) {
	t.size = 1
	if n > 1 {
		t.size = 1 << bits.Len(uint(n-1))
	}
	if cap(t.key) < 2*t.size {
		t.key, t.cnt = make([]K, 2*t.size), make([]int32, 2*t.size)
	}
	t.key, t.cnt = t.key[:2*t.size], t.cnt[:2*t.size]
	var zero K
	for p := range t.size {
		if p < n {
			t.key[t.size+p], t.cnt[t.size+p] = keyAt(p), 1
		} else {
			t.key[t.size+p], t.cnt[t.size+p] = zero, 0
		}
	}
	for x := t.size - 1; x >= 1; x-- {
		t.pull(x)
	}
}

// pull recomputes node x from its children.
func (t *minTree[K]) pull(x int) {
	l, r := 2*x, 2*x+1
	cl, cr := t.cnt[l], t.cnt[r]
	switch {
	case cr == 0:
		t.key[x], t.cnt[x] = t.key[l], cl
	case cl == 0:
		t.key[x], t.cnt[x] = t.key[r], cr
	default:
		switch c := t.key[l].cmp(t.key[r]); {
		case c < 0:
			t.key[x], t.cnt[x] = t.key[l], cl
		case c > 0:
			t.key[x], t.cnt[x] = t.key[r], cr
		default:
			t.key[x], t.cnt[x] = t.key[l], cl+cr
		}
	}
}

// leaf returns leaf p's key.
func (t *minTree[K]) leaf(p int) K { return t.key[t.size+p] }

// set changes leaf p's key.
func (t *minTree[K]) set(p int, k K) {
	x := t.size + p
	t.key[x] = k
	for x >>= 1; x >= 1; x >>= 1 {
		t.pull(x)
	}
}

// ties returns how many leaves have the least key (0 for no leaf).
func (t *minTree[K]) ties() int {
	if len(t.cnt) < 2 {
		return 0
	}
	return int(t.cnt[1])
}

// nth returns the position of the k-th (from 0, left to right) leaf with the
// least key; 0 <= k < ties().
func (t *minTree[K]) nth(k int32) int {
	x := 1
	for x < t.size {
		l := 2 * x
		if t.cnt[l] > 0 && t.key[l].cmp(t.key[x]) == 0 {
			if k < t.cnt[l] {
				x = l
				continue
			}
			k -= t.cnt[l]
		}
		x = l + 1
	}
	return x - t.size
}

// pick returns the position of a leaf with the least key, uniform among
// the ties, or -1 for no leaf. It draws one number from r when there are
// ties, none otherwise.
func (t *minTree[K]) pick(r *rand.Rand) int {
	n := t.ties()
	switch n {
	case 0:
		return -1
	case 1:
		return t.nth(0)
	}
	return t.nth(int32(r.IntN(n)))
}

// treePick is the tree of one balancer, kept in step with its table: built
// (or brought up to date) under mu by the first pick on a new snapshot,
// a leaf refreshed after every count or estimate it reads changes.
//
// Concurrency: tree picks are serialised by mu, and each reserves its
// backend and refreshes the leaf before the next starts, so simultaneous
// picks see each other as the scan's reserve makes them do. Finished
// changes the live count first (lock-free, as table does) and then, if a
// tree is kept, takes mu to refresh the leaf. The builder marks the tree
// kept (active) before it reads the counts, so a Finished either sees the
// mark and refreshes after the build, or its decrement is seen by the
// build (Go's atomics are sequentially consistent).
type treePick[K treeKey[K]] struct {
	min    int                        // healthy backends from which picks use the tree
	keyAt  func(s *snapshot, i int) K // the key of s.backends[i]
	active atomic.Bool                // a tree is kept: Finished refreshes leaves
	mu     sync.Mutex                 // guards what follows
	snap   *snapshot                  // the snapshot the tree was built on; nil = none
	pos    []int32                    // by ID: position in the tree, -1 if not a leaf
	tree   minTree[K]                 //
	keep   func(p int) K              // build's keyAt, made once (no allocation per build)
}

// init sets the key and the threshold (treeMinHealthy as it is now: tests
// lower it before building a balancer).
func (tp *treePick[K]) init(keyAt func(s *snapshot, i int) K) {
	tp.min, tp.keyAt = treeMinHealthy, keyAt
}

// use reports whether picks on s go through the tree.
func (tp *treePick[K]) use(s *snapshot) bool { return len(s.healthy) >= tp.min }

// pick is Pick through the tree on t's current snapshot. ok is false when
// that snapshot is below the threshold after all (an Update raced the
// caller's check): the caller scans instead.
func (tp *treePick[K]) pick(t *table, r *rand.Rand) (id int, ok bool, err error) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	s := t.load()
	if !tp.use(s) {
		return 0, false, nil
	}
	tp.sync(s)
	for try := 1; ; try++ {
		p := tp.tree.pick(r)
		if p < 0 {
			return -1, true, ErrNoBackend
		}
		i := s.healthy[p]
		switch {
		case s.board != nil:
			// The engine's counts decide: the live count is bookkeeping
			// only and the key does not move (reserveOrRetry likewise).
			return s.take(i), true, nil
		case try == maxReserveTries:
			id = s.take(i)
		case s.live[i].reserve(tp.tree.leaf(p).seen()):
			id = s.backends[i].ID
		default:
			// A pick outside the tree (a scan on an older snapshot, a
			// ramp's) took the slot since the leaf was set: see it.
			tp.tree.set(p, tp.keyAt(s, i))
			continue
		}
		tp.tree.set(p, tp.keyAt(s, i))
		return id, true, nil
	}
}

// sync brings the tree to s: nothing if it is on s already, the leaves
// whose key changed if s lists the same healthy backends as the tree's
// snapshot (a SetLoad, which may come before every pick), else a build.
func (tp *treePick[K]) sync(s *snapshot) {
	if tp.snap == s {
		return
	}
	tp.active.Store(true) // before reading any count: see treePick
	old := tp.snap
	tp.snap = s
	if old != nil && sameBackends(old, s) {
		for p, i := range s.healthy {
			if k := tp.keyAt(s, i); k != tp.tree.leaf(p) {
				tp.tree.set(p, k)
			}
		}
		return
	}
	if tp.keep == nil {
		tp.keep = func(p int) K { return tp.keyAt(tp.snap, tp.snap.healthy[p]) }
	}
	tp.tree.build(len(s.healthy), tp.keep)
	if cap(tp.pos) < len(s.byID) {
		tp.pos = make([]int32, len(s.byID))
	}
	tp.pos = tp.pos[:len(s.byID)]
	for id := range tp.pos {
		tp.pos[id] = -1
	}
	for p, i := range s.healthy {
		tp.pos[s.backends[i].ID] = int32(p)
	}
}

// sameBackends reports whether a and b list the same backends with the
// same health: b was made from a by setLoad, which copies the snapshot and
// shares its slices.
func sameBackends(a, b *snapshot) bool {
	return len(a.healthy) == len(b.healthy) && len(a.backends) == len(b.backends) &&
		(len(a.healthy) == 0 || &a.healthy[0] == &b.healthy[0]) &&
		(len(a.backends) == 0 || &a.backends[0] == &b.backends[0])
}

// touched refreshes id's leaf after its count or estimate changed outside
// a tree pick (Finished, a ramp's scan pick). Lock-free while no tree is
// kept.
func (tp *treePick[K]) touched(id int) {
	if !tp.active.Load() {
		return
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if s := tp.snap; s != nil && id >= 0 && id < len(tp.pos) && tp.pos[id] >= 0 {
		p := int(tp.pos[id])
		tp.tree.set(p, tp.keyAt(s, s.healthy[p]))
	}
}

// updated drops the tree when an Update leaves s below the threshold, so
// that Finished goes back to lock-free; above it, the next pick rebuilds.
func (tp *treePick[K]) updated(s *snapshot) {
	if tp.use(s) || !tp.active.Load() {
		return
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.active.Store(false)
	tp.snap = nil
}
