package model

import (
	"slices"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// herding measures how unevenly arrivals spread over the servers in short
// windows (DESIGN.md §7 `herding`; the formula is in scenarios/README.md).
// The run's time is cut into windows of width w, the mean service time
// (HerdingWindow); in a window where A >= 2 arrivals went to N servers, a_i
// to server i,
//
//	H = N x sum_i a_i^2 / A^2
//
// which is 1 when they spread evenly, N when all went to one server, and
// 1 + (N-1)/A on average when each went to a server drawn at random
// (E[a_i^2] = A/N (1 - 1/N) + A^2/N^2). The index is the arrival-weighted
// mean of H over the measured windows: sum A H / sum A.
//
// Arrivals may be recorded out of time order (the real engine records them
// as their answers come back), so windows stay open until one more than
// slack windows newer has been seen; a straggler older than that is
// left out (late). Memory is at most slack x N counters.
type herding struct {
	n       int
	width   time.Duration
	warmup  time.Duration
	tlWidth time.Duration

	slack   int64             // windows kept open behind the newest (herdSlack)
	open    map[int64][]int32 // window index -> arrivals per server
	newest  int64
	closed  int64 // windows below this index are closed
	spare   [][]int32
	sumAH   float64 // over measured windows: sum of A x H
	sumA    float64
	late    int64
	tlSumAH []float64 // by timeline window (the first repetition's)
	tlSumA  []float64
	rep     int
}

// herdSlack is how many windows behind the newest an arrival may still be
// recorded: with windows a mean service time wide, 1024 is far beyond any
// latency of a stable run. Above 16,384 servers the open windows would
// pass herdCounters counters (64 MB; 0.5 GB at 100,000 servers), so
// fewer stay open there, never under herdMinSlack: still far more mean
// service times than a stable run's latency.
func herdSlack(servers int) int64 {
	return min(herdMaxSlack, max(herdMinSlack, herdCounters/max(int64(servers), 1)))
}

const (
	herdMaxSlack = 1024
	herdMinSlack = 64
	herdCounters = 1 << 24
)

// HerdingWindow is the width of herding's windows for sc: the mean service
// time, capacity-weighted over the servers (total workers / capacity in
// requests per second), the time it takes a server to work off one job.
// Arrivals piling onto a server faster than that build its queue.
func HerdingWindow(sc *scenarios.Scenario) time.Duration {
	workers := 0
	for _, s := range sc.ServerList() {
		workers += s.Concurrency
	}
	c := sc.Capacity()
	if !(c > 0) || workers == 0 {
		return time.Second
	}
	return max(time.Duration(float64(workers)/c*1e9), time.Microsecond)
}

func newHerding(sc *scenarios.Scenario, tlWidth time.Duration) *herding {
	return &herding{
		n: len(sc.ServerList()), width: HerdingWindow(sc), warmup: sc.Warmup, tlWidth: tlWidth,
		slack: herdSlack(len(sc.ServerList())),
		open:  make(map[int64][]int32), closed: 0,
	}
}

// add records an arrival at at (from the start of the run) routed to
// server si.
func (h *herding) add(at time.Duration, si int) {
	if si < 0 || si >= h.n || at < 0 {
		return
	}
	k := int64(at / h.width)
	if k < h.closed {
		h.late++
		return
	}
	w := h.open[k]
	if w == nil {
		if n := len(h.spare); n > 0 {
			w, h.spare = h.spare[n-1], h.spare[:n-1]
		} else {
			w = make([]int32, h.n)
		}
		h.open[k] = w
	}
	w[si]++
	if k > h.newest {
		h.newest = k
		if k-h.slack > h.closed+h.slack/4 { // close in batches
			h.closeBefore(k - h.slack)
		}
	}
}

// closeBefore closes, in window order (sums are order-sensitive), every
// open window below index end.
func (h *herding) closeBefore(end int64) {
	var ks []int64
	for k := range h.open {
		if k < end {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	for _, k := range ks {
		h.closeWindow(k, h.open[k])
		delete(h.open, k)
	}
	h.closed = max(h.closed, end)
}

func (h *herding) closeWindow(k int64, w []int32) {
	var a, s int64
	for i, x := range w {
		a += int64(x)
		s += int64(x) * int64(x)
		w[i] = 0
	}
	h.spare = append(h.spare, w)
	if a < 2 {
		return // one arrival is on one server whatever the routing: no spread to measure
	}
	fa := float64(a)
	ah := float64(h.n) * float64(s) / fa // A x H
	start := time.Duration(k) * h.width
	if start >= h.warmup {
		h.sumAH += ah
		h.sumA += fa
	}
	if h.rep == 0 && h.tlWidth > 0 {
		// Every timeline window the herding window overlaps gets it, so
		// that timeline windows narrower than herding's are not left
		// empty.
		last := int((start + h.width - 1) / h.tlWidth)
		for len(h.tlSumA) <= last {
			h.tlSumA = append(h.tlSumA, 0)
			h.tlSumAH = append(h.tlSumAH, 0)
		}
		for t := int(start / h.tlWidth); t <= last; t++ {
			h.tlSumAH[t] += ah
			h.tlSumA[t] += fa
		}
	}
}

// endRepetition closes every window: the next repetition's times start
// from 0 again.
func (h *herding) endRepetition() {
	h.closeBefore(h.newest + 1)
	h.newest, h.closed = 0, 0
	h.rep++
}

// value is the index over the measured windows closed so far (with
// flush, all of them), and whether any window had two arrivals.
func (h *herding) value() (float64, bool) {
	if h.sumA == 0 {
		return 0, false
	}
	return h.sumAH / h.sumA, true
}

// timeline is the index per timeline window (0 where none was measured).
func (h *herding) timeline(i int) float64 {
	if i >= len(h.tlSumA) || h.tlSumA[i] == 0 {
		return 0
	}
	return h.tlSumAH[i] / h.tlSumA[i]
}
