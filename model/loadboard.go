package model

import (
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// LoadBoard carries published in-flight counts to a balancer
// (scenarios.LoadInfo, DESIGN.md §7 load_info): counts taken at some time
// are posted, and become visible delay later. Both engines post and read
// through it: the simulator at the times its events give, the proxy on its
// clock. Postings are seen in the order they were taken; when several
// have become visible, the latest wins (a balancer that was not asked in
// between never saw the older ones).
//
// A LoadBoard is not safe for concurrent use.
type LoadBoard struct {
	delay   time.Duration
	pending []posting // in posting order; pending[head:] are not yet visible
	head    int
	spare   [][]int64 // count slices of postings read, for reuse
}

type posting struct {
	at     time.Duration
	counts []int64
}

// NewLoadBoard returns a board whose postings are visible delay after
// they were taken.
func NewLoadBoard(delay time.Duration) *LoadBoard { return &LoadBoard{delay: delay} }

// Post records counts (copied) as taken at at. Times never go backwards.
func (b *LoadBoard) Post(at time.Duration, counts []int64) {
	var c []int64
	if n := len(b.spare); n > 0 {
		c, b.spare = b.spare[n-1][:0], b.spare[:n-1]
	}
	c = append(c, counts...)
	// Drop the postings already read once they are half the slice, so a
	// board whose delay exceeds its refresh (never empty) stays as long as
	// the postings in transit, not as long as the run. Amortised O(1).
	if b.head > 0 && 2*b.head >= len(b.pending) {
		n := copy(b.pending, b.pending[b.head:])
		clear(b.pending[n:])
		b.pending, b.head = b.pending[:n], 0
	}
	b.pending = append(b.pending, posting{at: at, counts: c})
}

// Visible returns the latest posting visible at now (taken at or before
// now - delay) and drops it and every older one; ok is false when none
// has become visible since the last call. counts stays valid until the
// next Post.
func (b *LoadBoard) Visible(now time.Duration) (at time.Duration, counts []int64, ok bool) {
	for b.head < len(b.pending) && b.pending[b.head].at+b.delay <= now {
		if ok {
			b.spare = append(b.spare, counts)
		}
		p := b.pending[b.head]
		b.pending[b.head] = posting{}
		b.head++
		at, counts, ok = p.at, p.counts, true
	}
	if ok {
		// Reused by the Post after next, when the caller is done with it.
		defer func() { b.spare = append(b.spare, counts) }()
	}
	return at, counts, ok
}

// Next returns when the oldest pending posting becomes visible.
func (b *LoadBoard) Next() (time.Duration, bool) {
	if b.head == len(b.pending) {
		return 0, false
	}
	return b.pending[b.head].at + b.delay, true
}

// LoadFromServers reports whether sc's load-aware algorithms see the
// servers' counts (every balancer's requests, queued or in service at the
// server) rather than each balancer's own.
func LoadFromServers(sc *scenarios.Scenario) bool {
	return sc.LoadInfo != nil && sc.LoadInfo.Source == scenarios.LoadServers
}
