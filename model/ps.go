package model

import (
	"math"
	"time"
)

// PS is a processor-sharing server (servers[].discipline: ps, DESIGN.md §7)
// as a pure state machine, time passed in: both engines keep one per PS
// server, the simulator driving it from its events, the real backend from a
// scheduler goroutine on its own clock, so the two serve exactly the same
// discipline.
//
// With n jobs on a server of concurrency c, each progresses at
//
//	r = min(1, c/n) / slow
//
// of full speed (slow: the product of the slowdown faults in force, applied
// continuously: a slowdown that starts or ends changes the pace of every job
// in progress, where FIFO fixes a job's time when its service starts).
// Recomputing every job's remaining time whenever n changes would cost O(n);
// instead PS keeps a virtual clock V, the service each job present has
// attained since V was last 0, growing at rate r per nanosecond. A job of
// size S (its full-speed service time) added at V0 is done when V reaches
// V0 + S, whatever happens to n meanwhile. Jobs sit in a min-heap by that
// finish value, so only the earliest completion (Next) needs a timer.
//
// Rounding: Next gives whole nanoseconds, but V's time is kept exact
// (float64): completing a job sets V to its finish value and the clock's
// time to the job's exact time due, up to half a nanosecond either side of
// the instant Done is called at. So the rounding of one completion never
// shifts the next; completion times agree with an exact computation to the
// nanosecond however long the busy period; and the job Next named is done
// when Done is called, whatever float64 rounding says of its remainder, so
// no job is left with a remainder too small to schedule. V restarts at 0
// whenever the server empties, which keeps it no larger than a busy period
// and its float64 error far below a nanosecond.
//
// ID is what the engine names a job by; ties (equal finish values) complete
// in the order the jobs were added.
type PS[ID comparable] struct {
	conc int
	slow float64
	v    float64 // virtual time at last: attained service, ns
	last float64 // when v was last brought up to date, ns (exact)
	jobs []psJob[ID]
	seq  uint64
}

type psJob[ID comparable] struct {
	finish float64 // the value of v at which it is done
	seq    uint64
	id     ID
}

func (j *psJob[ID]) before(k *psJob[ID]) bool {
	return j.finish < k.finish || (j.finish == k.finish && j.seq < k.seq)
}

// NewPS is an empty PS server of concurrency conc (>= 1) at full speed.
func NewPS[ID comparable](conc int) *PS[ID] {
	return &PS[ID]{conc: max(conc, 1), slow: 1}
}

// Len is the number of jobs in service, n.
func (p *PS[ID]) Len() int { return len(p.jobs) }

// Busy is the number of busy workers, min(n, c): utilisation counts it.
func (p *PS[ID]) Busy() int { return min(len(p.jobs), p.conc) }

// Full reports whether an arrival now would be rejected under queueLimit
// (0: unbounded): it bounds n - c as FIFO's bounds its queue.
func (p *PS[ID]) Full(queueLimit int) bool {
	return queueLimit > 0 && len(p.jobs)-p.conc >= queueLimit
}

// Shared reports whether an arrival now would share the processors (finds
// n >= c), PS's counterpart of FIFO's waiting for a worker.
func (p *PS[ID]) Shared() bool { return len(p.jobs) >= p.conc }

func (p *PS[ID]) rate() float64 {
	r := 1.0
	if n := len(p.jobs); n > p.conc {
		r = float64(p.conc) / float64(n)
	}
	return r / p.slow
}

// advance brings V up to now.
func (p *PS[ID]) advance(now time.Duration) {
	t := float64(now)
	if len(p.jobs) > 0 {
		p.v += (t - p.last) * p.rate()
	}
	p.last = t
}

// Add starts job id of full-speed service time size at now.
func (p *PS[ID]) Add(now time.Duration, id ID, size time.Duration) {
	p.advance(now)
	p.seq++
	p.jobs = append(p.jobs, psJob[ID]{finish: p.v + float64(size), seq: p.seq, id: id})
	p.up(len(p.jobs) - 1)
}

// Remove takes job id out of service at now (its client went away); false
// if it is not there. The others speed up from now.
func (p *PS[ID]) Remove(now time.Duration, id ID) bool {
	for k := range p.jobs {
		if p.jobs[k].id == id {
			p.advance(now)
			p.remove(k)
			p.emptied()
			return true
		}
	}
	return false
}

// SetSlow changes the slowdown factor (> 0) at now: the jobs present
// progress at the old pace up to now and at the new one after.
func (p *PS[ID]) SetSlow(now time.Duration, slow float64) {
	if !(slow > 0) || math.IsInf(slow, 0) {
		slow = 1
	}
	p.advance(now)
	p.slow = slow
}

// Clear drops every job (a crash) at now.
func (p *PS[ID]) Clear(now time.Duration) {
	clear(p.jobs)
	p.jobs = p.jobs[:0]
	p.last = float64(now)
	p.emptied()
}

// Next is when the earliest job is done, to the nearest nanosecond, if it
// stays as it is (no arrival, removal or slowdown before). The result is
// never before from, the time of the caller's latest change; ok is false
// when the server is empty.
func (p *PS[ID]) Next(from time.Duration) (at time.Duration, ok bool) {
	if len(p.jobs) == 0 {
		return 0, false
	}
	due := p.last + max(p.jobs[0].finish-p.v, 0)/p.rate()
	return max(from, time.Duration(math.Round(min(due, 1<<62)))), true
}

// Done completes the jobs due at now, which must be what Next returned
// since the last change: the earliest job, and every other one due before
// now + 1/2 ns. It appends their ids to dst, in completion order.
func (p *PS[ID]) Done(now time.Duration, dst []ID) []ID {
	t := float64(now)
	first := true
	for len(p.jobs) > 0 {
		top := &p.jobs[0]
		due := p.last + max(top.finish-p.v, 0)/p.rate()
		if !first && due >= t+0.5 {
			break
		}
		first = false
		p.v, p.last = top.finish, due
		dst = append(dst, top.id)
		p.remove(0)
	}
	p.emptied()
	return dst
}

// emptied restarts V at 0 when the server is empty.
func (p *PS[ID]) emptied() {
	if len(p.jobs) == 0 {
		p.v = 0
	}
}

// The heap of jobs: binary, by (finish, seq).

// remove deletes the job at heap position k.
func (p *PS[ID]) remove(k int) {
	last := len(p.jobs) - 1
	p.jobs[k] = p.jobs[last]
	var zero psJob[ID]
	p.jobs[last] = zero
	p.jobs = p.jobs[:last]
	if k < last {
		p.down(k)
		p.up(k)
	}
}

func (p *PS[ID]) up(i int) {
	h := p.jobs
	for i > 0 {
		parent := (i - 1) / 2
		if !h[i].before(&h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (p *PS[ID]) down(i int) {
	h := p.jobs
	n := len(h)
	for {
		m := i
		if l := 2*i + 1; l < n && h[l].before(&h[m]) {
			m = l
		}
		if r := 2*i + 2; r < n && h[r].before(&h[m]) {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
