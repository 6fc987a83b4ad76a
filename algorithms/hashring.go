package algorithms

// The hash ring shared by ring-hash and bounded-load-hash: Karger et al.,
// "Consistent hashing and random trees" (STOC 1997), with virtual nodes as
// Envoy's ring_hash builds them (source/extensions/load_balancing_policies/
// ring_hash), and the backend-name hash Maglev uses too.

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// FNV-1a, 64-bit (Fowler, Noll, Vo; IETF draft-eastlake-fnv).
const (
	fnvOffset64 = 0xcbf29ce484222325
	fnvPrime64  = 0x100000001b3
)

// fnv1a continues an FNV-1a hash h over s.
func fnv1a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

// pointHash is the position on the ring of virtual node i of a backend:
//
//	mix64(FNV-1a(name + "#" + decimal(i)))
//
// FNV-1a alone has weak high bits for short, similar strings ("web-1#0",
// "web-1#1"); splitmix64's finaliser (mix64) spreads them over all 64 bits.
func pointHash(name string, i int) uint64 {
	var buf [20]byte
	h := fnv1a(fnvOffset64, name)
	h = fnv1a(h, "#")
	for _, c := range strconv.AppendInt(buf[:0], int64(i), 10) {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	return mix64(h)
}

// maxRingPoints bounds the ring, as Envoy's maximum_ring_size (default 8M)
// does: beyond it every backend's vnode count is scaled down alike.
const maxRingPoints = 1 << 23

// hashRing is the sorted ring of one snapshot's backends. Unhealthy
// backends keep their points, so a backend going down or coming back moves
// only its own keys; next skips over their points.
type hashRing struct {
	points []uint64 // ascending
	owner  []int32  // owner[p]: index in the snapshot's backends of point p
	next   []int32  // next[p]: the first point at or after p, cyclically, whose owner is healthy; -1 if none
}

// vnodeCount is backend weight w's share of the ring: round(vnodes * w), at
// least 1, times scale (<= 1) when the ring would exceed maxRingPoints.
func vnodeCount(vnodes int, w, scale float64) int {
	return max(1, int(math.Round(float64(vnodes)*w*scale)))
}

// buildRing returns the ring of s's backends with vnodes points per unit of
// weight. prev, the ring of the previous snapshot, is reused for the points
// when the listed set (IDs, names, weights) is the same, so a health change
// only recomputes next.
func buildRing(s *snapshot, vnodes int, prev *ringState) hashRing {
	var r hashRing
	if prev != nil && sameListing(prev.snap.backends, s.backends) {
		r.points, r.owner = prev.ring.points, prev.ring.owner
	} else {
		r.points, r.owner = ringPoints(s.backends, vnodes)
	}
	r.next = make([]int32, len(r.points))
	last := int32(-1) // the first healthy point at or after p, scanning down twice
	for k := 2*len(r.points) - 1; k >= 0; k-- {
		p := k % len(r.points)
		if s.backends[r.owner[p]].Healthy {
			last = int32(p)
		}
		r.next[p] = last
	}
	return r
}

func ringPoints(bs []Backend, vnodes int) ([]uint64, []int32) {
	total := 0.0
	for _, b := range bs {
		total += float64(vnodeCount(vnodes, b.Weight, 1))
	}
	scale := 1.0
	if total > maxRingPoints {
		scale = maxRingPoints / total
	}
	type point struct {
		h     uint64
		owner int32
	}
	n := 0
	for _, b := range bs {
		n += vnodeCount(vnodes, b.Weight, scale)
	}
	pts := make([]point, 0, n)
	for i, b := range bs {
		for v := range vnodeCount(vnodes, b.Weight, scale) {
			pts = append(pts, point{pointHash(b.Name, v), int32(i)})
		}
	}
	// Ties (equal names, or a 64-bit collision) go to the lower ID: bs is
	// sorted by ID.
	slices.SortFunc(pts, func(a, b point) int {
		return cmp.Or(cmp.Compare(a.h, b.h), cmp.Compare(a.owner, b.owner))
	})
	points, owner := make([]uint64, len(pts)), make([]int32, len(pts))
	for p, pt := range pts {
		points[p], owner[p] = pt.h, pt.owner
	}
	return points, owner
}

// sameListing reports whether a and b list the same backends with the same
// names and weights, health aside.
func sameListing(a, b []Backend) bool {
	return slices.EqualFunc(a, b, func(x, y Backend) bool {
		return x.ID == y.ID && x.Name == y.Name && x.Weight == y.Weight
	})
}

// locate returns the first point at or after h, wrapping past the top.
func (r *hashRing) locate(h uint64) int {
	p, _ := slices.BinarySearch(r.points, h)
	if p == len(r.points) {
		p = 0
	}
	return p
}

// ringState is what a ring balancer publishes on Update: the table's
// snapshot and the ring built from it, together behind one pointer.
type ringState struct {
	snap *snapshot
	ring hashRing
}

var emptyRingState = &ringState{snap: emptySnapshot}

// indexOf returns the index of id in s's backends, or -1.
func (s *snapshot) indexOf(id int) int {
	i, ok := slices.BinarySearchFunc(s.backends, id, func(b Backend, id int) int { return cmp.Compare(b.ID, id) })
	if !ok {
		return -1
	}
	return i
}
