package algorithms

// An O(G + log n) pick for weighted-round-robin (nginx's smooth WRR, see
// weighted_round_robin.go), G the number of distinct weights, for sets of
// thousands of backends (issue 15). Below wrrTreeMinHealthy healthy
// backends, with more than wrrMaxWeights distinct weights, with a sum of
// weights above wrrMaxTotal, and while a slow_start ramp is active, the
// balancer scans as it always did.
//
// The scan adds w_i to every healthy current weight c_i on every pick and
// takes W from the winner's. After k picks since the tree was built, each
// healthy backend's current weight is therefore
//
//	c_i = base_i + k * w_i
//
// where base_i is its current weight when the tree was built less W for
// each of its picks since. Two backends of the same weight keep the
// difference of their bases whatever k is, so among them the one with the
// greatest base (the first in s.healthy order on a tie) has the greatest
// current weight. The tree keeps the healthy backends in one group per
// distinct weight, each group a max segment tree over the bases; a pick
// takes k++, compares the G group leaders' base_g + k*w_g (a tie to the
// first in s.healthy order, as the scan's strict > does), subtracts W from
// the winner's base and walks up its group's tree.
//
// With integer weights and integer current weights every quantity is an
// integer below 2^53 (W <= wrrMaxTotal and k <= wrrRebaseAt keep
// |k*w| + |c| well inside it), so the float64 arithmetic is exact and the
// picks are the scan's, pick for pick. With fractional weights (or the
// fractional current weights a slow_start ramp leaves behind),
// base_i + k*w_i rounds differently from k repeated additions: the current
// weights agree to a few ulps and the choice can differ where the scan's
// two candidates were within that of each other, so the picks of a cycle
// are the same ones within 1 per backend, not always in the same order.
//
// W is summed in s.healthy order, as the scan sums it, so it is the same
// float64 bit for bit.

import (
	"math/bits"
)

// wrrTreeMinHealthy is the number of healthy backends from which
// weighted-round-robin picks from its tree instead of scanning: the
// min-tree's threshold (treeMinHealthy), for the same reason. With integer
// weights the two give the same picks, so the threshold decides the speed
// only; with fractional weights it also keeps every shipped scenario (100
// servers at most) on the scan and its results byte-identical. Tests change
// it (export_test.go).
var wrrTreeMinHealthy = 128

// wrrMaxWeights is the most distinct weights the tree serves: a pick
// compares one leader per weight, so with hundreds of weights the tree
// would cost as much as the scan. Tests change it (export_test.go).
var wrrMaxWeights = 64

// wrrMaxTotal is the largest sum of healthy weights the tree serves (2^32),
// so that base_i + k*w_i stays exact for integer weights (see above).
const wrrMaxTotal = 1 << 32

// wrrRebaseAt is the k at which the tree folds k*w_i into the bases and
// starts k again from 0 (O(n), once per 2^19 picks), so that |k*w_i| stays
// below 2^51 with W <= 2^32.
const wrrRebaseAt = 1 << 19

// wrrTree is weighted-round-robin's tree, built on one snapshot. Its owner
// serialises every call (the balancer's mutex). While a tree is built
// (snap != nil), the current weights of snap's healthy backends are held
// as base + k*w, not in the balancer's cur; flush writes them back.
type wrrTree struct {
	min, maxWeights int       // thresholds, as they were when the balancer was made
	rebaseAt        int64     // wrrRebaseAt; tests lower it
	snap            *snapshot // the snapshot the tree is built on; nil = none
	unfit           *snapshot // the last snapshot the tree could not serve: its picks scan without asking again
	k               int64     // picks since the bases were set
	total           float64   // W, summed in s.healthy order
	base            []float64 // by position in snap.healthy
	grp             []int32   // by position: its group
	leaf            []int32   // by position: its leaf's node in its group's tree
	groups          []wrrGroup
	nodes           []int32 // every group's tree, node x of group g at groups[g].off+x: a position, -1 for none
	byWeight        map[float64]int32
}

// wrrGroup is the backends of one weight: a max segment tree over their
// bases, stored as a heap (node x has children 2x and 2x+1, the leaves are
// nodes size..size+members-1), each node holding the position of the best
// leaf below it.
type wrrGroup struct {
	w       float64
	off     int32 // its nodes start at nodes[off]
	size    int32 // leaves, a power of two
	members int32
}

func newWRRTree() wrrTree {
	return wrrTree{min: max(1, wrrTreeMinHealthy), maxWeights: wrrMaxWeights, rebaseAt: wrrRebaseAt}
}

// build makes the tree on s, taking each healthy backend's current weight
// from cur (by ID), and reports whether it did: it does not when s is
// below a threshold (see wrrTreeMinHealthy), and then marks s unfit.
func (t *wrrTree) build(s *snapshot, cur []float64) bool {
	n := len(s.healthy)
	if n < t.min {
		t.unfit = s
		return false
	}
	if t.byWeight == nil {
		t.byWeight = make(map[float64]int32)
	}
	clear(t.byWeight)
	t.groups = t.groups[:0]
	t.grp, t.leaf, t.base = resize(t.grp, n), resize(t.leaf, n), resize(t.base, n)
	total := 0.0
	for p, i := range s.healthy {
		w := s.backends[i].Weight
		total += w
		g, ok := t.byWeight[w]
		if !ok {
			if len(t.groups) == t.maxWeights {
				t.unfit = s
				return false
			}
			g = int32(len(t.groups))
			t.byWeight[w] = g
			t.groups = append(t.groups, wrrGroup{w: w})
		}
		t.grp[p] = g
		t.leaf[p] = t.groups[g].members // its index in the group for now
		t.groups[g].members++
		t.base[p] = cur[s.backends[i].ID]
	}
	if total > wrrMaxTotal {
		t.unfit = s
		return false
	}
	off := int32(0)
	for g := range t.groups {
		gr := &t.groups[g]
		gr.off, gr.size = off, 1
		if gr.members > 1 {
			gr.size = 1 << bits.Len32(uint32(gr.members-1))
		}
		off += 2 * gr.size
	}
	t.nodes = resize(t.nodes, int(off))
	for x := range t.nodes {
		t.nodes[x] = -1
	}
	for p := range t.leaf {
		gr := &t.groups[t.grp[p]]
		t.leaf[p] += gr.size
		t.nodes[gr.off+t.leaf[p]] = int32(p)
	}
	t.pullAll()
	t.snap, t.unfit, t.k, t.total = s, nil, 0, total
	return true
}

// resize returns a slice of length n, reusing a's array when it can.
func resize[E any](a []E, n int) []E {
	if cap(a) < n {
		return make([]E, n)
	}
	return a[:n]
}

// pullAll recomputes every inner node of every group, bottom up.
func (t *wrrTree) pullAll() {
	for g := range t.groups {
		gr := &t.groups[g]
		for x := gr.size - 1; x >= 1; x-- {
			t.pull(gr, x)
		}
	}
}

// pull recomputes node x of group gr from its children: the greater base,
// the left one (the lower position) on a tie.
func (t *wrrTree) pull(gr *wrrGroup, x int32) {
	l, r := t.nodes[gr.off+2*x], t.nodes[gr.off+2*x+1]
	if r >= 0 && (l < 0 || t.base[r] > t.base[l]) {
		l = r
	}
	t.nodes[gr.off+x] = l
}

// cur returns position p's current weight: base_p + k*w_p. The product is
// converted explicitly so that no platform fuses it into a multiply-add
// (the Go spec allows fusing x*y + z otherwise), which would round
// fractional weights differently on different machines.
func (t *wrrTree) cur(p int32, w float64) float64 {
	return t.base[p] + float64(float64(t.k)*w)
}

// pick is one pick of the scan's, on the tree: it returns the winner's
// position in snap.healthy. The tree has at least one leaf.
func (t *wrrTree) pick() int {
	if t.k >= t.rebaseAt {
		t.rebase()
	}
	t.k++
	best, bestCur := int32(-1), 0.0
	for g := range t.groups {
		gr := &t.groups[g]
		p := t.nodes[gr.off+1]
		// The scan takes the first in s.healthy order with the greatest
		// current weight: a tie goes to the lower position.
		if c := t.cur(p, gr.w); best < 0 || c > bestCur || (c == bestCur && p < best) {
			best, bestCur = p, c
		}
	}
	t.base[best] -= t.total
	gr := &t.groups[t.grp[best]]
	for x := t.leaf[best] >> 1; x >= 1; x >>= 1 {
		t.pull(gr, x)
	}
	return int(best)
}

// rebase folds k*w into every base and starts k again from 0. With integer
// weights every base moves by a multiple of its group's weight, the same
// for the whole group, so no order changes; the trees are rebuilt all the
// same, for fractional weights.
func (t *wrrTree) rebase() {
	for p := range t.base {
		t.base[p] = t.cur(int32(p), t.groups[t.grp[p]].w)
	}
	t.k = 0
	t.pullAll()
}

// flush writes the current weights of the tree's backends back to cur (by
// ID) and drops the tree: before a scan, and before an Update changes the
// set or the weights.
func (t *wrrTree) flush(cur []float64) {
	s := t.snap
	if s == nil {
		return
	}
	for p, i := range s.healthy {
		cur[s.backends[i].ID] = t.cur(int32(p), t.groups[t.grp[p]].w)
	}
	t.snap = nil
}
