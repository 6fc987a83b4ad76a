package algorithms

// Uniform tie-breaking by reservoir sampling with a reservoir of one, as
// Caddy's least_conn policy does, but drawing where the next replacement
// happens instead of drawing at every tied candidate (the skip idea of
// Vitter, "Random sampling with a reservoir", ACM TOMS 1985).

import (
	"math"
	"math/rand/v2"
)

// ties keeps one candidate, chosen uniformly at random, of a run of tied
// candidates seen one at a time.
//
// Plain reservoir sampling keeps the t-th candidate with probability 1/t,
// one draw per candidate. Equivalently, after t candidates the kept one
// survives candidates t+1 .. m with probability t/(t+1) * ... * (m-1)/m =
// t/m, so the index J of the next candidate to replace it has
//
//	P(J > m) = t/m  (m >= t),   hence   J = floor(t/u) + 1,  u uniform on (0, 1].
//
// Drawing J instead costs about ln(t) draws for t ties (5 for 100 idle
// backends rather than 99), which matters when the source is locked. u takes
// 2^53 values, so each probability is exact to within 2^-53.
//
// ties is used as a local variable in Pick; it does not allocate.
type ties struct {
	r    *rand.Rand
	n    int // candidates in the current run, the kept one included
	next int // index (1-based) of the candidate that replaces the kept one; 0 = not drawn
}

// first starts a new run whose first candidate is kept.
func (t *ties) first() {
	t.n, t.next = 1, 0
}

// another reports whether a further candidate, tied with the kept one,
// replaces it. Small enough to inline; the draws are in settle.
func (t *ties) another() bool {
	t.n++
	if t.n < t.next {
		return false
	}
	return t.settle()
}

// settle handles candidate t.n when it reached t.next or no replacement
// was drawn yet (next = 0, drawn lazily: most runs end before the next
// replacement, and then need no draw at all).
func (t *ties) settle() bool {
	if t.next == 0 {
		t.next = nextReplacement(t.r, t.n-1)
		if t.n < t.next {
			return false
		}
	}
	t.next = 0
	return true
}

// nextReplacement draws J = floor(t/u) + 1 > t.
func nextReplacement(r *rand.Rand, t int) int {
	u := float64(r.Uint64()>>11+1) * 0x1p-53 // uniform on (0, 1]
	j := math.Floor(float64(t)/u) + 1
	if j >= float64(math.MaxInt) {
		return math.MaxInt
	}
	return int(j)
}
