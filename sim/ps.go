package sim

import (
	"math"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
)

// Processor-sharing servers (servers[].discipline: ps, DESIGN.md §7).
//
// With n jobs on a server of concurrency c, each progresses at
//
//	r = min(1, c/n) / slow
//
// of full speed (slow: the product of the slowdown faults in force, applied
// continuously: a slowdown that starts or ends changes the pace of every job
// in progress, where FIFO fixes a job's time when its service starts).
// Recomputing every job's remaining time whenever n changes would cost O(n)
// per arrival; instead the server keeps a virtual clock V, the service each
// job present has attained since V was 0, growing at rate r per nanosecond.
// A job of size S (its full-speed service time) arriving at V0 is done when
// V reaches V0 + S, whatever happens to n meanwhile. Jobs sit in a min-heap
// by that finish value; only the earliest completion is an event (evPSDone),
// scheduled at now + (finish - V) / r rounded to the nearest nanosecond and
// invalidated by a generation counter whenever n or r changes.
//
// Rounding: event times are whole nanoseconds, but the clock is kept in
// exact (float64) time: a completion sets V to the job's finish value and
// the clock's time to the job's exact time due, which may lie up to half a
// nanosecond either side of the event. So the rounding of one completion
// never shifts the next, completion times agree with an exact computation
// to the nanosecond however long the busy period, and the job an event was
// aimed at is done there whatever float64 rounding says of its remainder: no
// job is left with a remainder too small to schedule. V restarts at 0
// whenever the server empties, which keeps it no larger than a busy period
// and its float64 error far below a nanosecond.
//
// Busy time: a server with n jobs has min(n, c) workers busy (server.busy),
// so utilisation is as for FIFO. Nothing queues: a job finding n >= c shares
// the processors at once (that is what wait_probability counts for PS), and
// queue_limit bounds n - c.
type psServer struct {
	v       float64       // virtual time at last: attained service, ns
	last    float64       // when v was last brought up to date, ns (exact: see psDone)
	jobs    []psJob       // min-heap by (finish, seq)
	seq     uint64        // arrival order, for ties
	gen     uint32        // generation of the scheduled completion
	at      time.Duration // when that completion is due
	pending bool          // a completion is scheduled
	done    []int32       // reused by psDone
}

// psJob is an attempt in service at a PS server.
type psJob struct {
	finish float64 // the value of v at which it is done
	seq    uint64
	ai     int32
}

func (j *psJob) before(k *psJob) bool {
	return j.finish < k.finish || (j.finish == k.finish && j.seq < k.seq)
}

// psRate is the speed of each job on s: min(1, c/n) / slow.
func psRate(s *server) float64 {
	n := len(s.ps.jobs)
	r := 1.0
	if n > s.conc {
		r = float64(s.conc) / float64(n)
	}
	return r / s.slow
}

// psAdvance brings server s's virtual clock up to now.
func (e *engine) psAdvance(s *server) {
	p := s.ps
	now := float64(e.q.now)
	if len(p.jobs) > 0 {
		p.v += (now - p.last) * psRate(s)
	}
	p.last = now
}

// psArrive is attempt ai reaching PS server si (not crashed, no injected
// error): rejected when n - c >= queue_limit, else sharing at once.
func (e *engine) psArrive(ai int32) {
	a := &e.attempts.items[ai]
	si := int(a.server)
	s := &e.servers[si]
	p := s.ps
	e.psAdvance(s)
	n := len(p.jobs)
	if s.queueLimit > 0 && n-s.conc >= s.queueLimit {
		e.answer(ai, model.Rejected)
		return
	}
	var d time.Duration
	if e.classes == nil {
		d = s.dist.Quantile(a.u)
	} else {
		d = e.classes[a.class].Service(s.dist, a.u)
	}
	a.state = atInService
	a.waited = n >= s.conc
	e.flushBusy(si)
	p.seq++
	p.push(psJob{finish: p.v + float64(d), seq: p.seq, ai: ai})
	s.busy = min(n+1, s.conc)
	e.psSchedule(si)
}

// psSchedule aims the server's completion event at its earliest job, or
// cancels it when the server is empty.
func (e *engine) psSchedule(si int) {
	s := &e.servers[si]
	p := s.ps
	if len(p.jobs) == 0 {
		p.gen++
		p.pending = false
		p.v = 0
		return
	}
	due := p.last + max(p.jobs[0].finish-p.v, 0)/psRate(s)
	at := max(e.q.now, time.Duration(math.Round(min(due, 1<<62))))
	if p.pending && at == p.at {
		return // the event in the queue is still right
	}
	p.gen++
	p.at, p.pending = at, true
	e.q.push(at, evPSDone, int32(si), int32(p.gen))
}

// psDone is server si's completion event of generation gen.
func (e *engine) psDone(si int, gen uint32) {
	s := &e.servers[si]
	p := s.ps
	if !p.pending || p.gen != gen {
		return // n or the rate changed since it was scheduled
	}
	p.pending = false
	// The event was aimed at the earliest job: it is done, whatever float
	// rounding says of it, at its exact time due (within half a nanosecond
	// of now). The clock moves to that exact time, not to now, so that
	// rounding never accumulates over a busy period. Every job due before
	// now + 1/2 ns (as rounded, at now too) is done as well.
	now := float64(e.q.now)
	p.done = p.done[:0]
	for {
		top := &p.jobs[0]
		due := p.last + max(top.finish-p.v, 0)/psRate(s)
		if len(p.done) > 0 && due >= now+0.5 {
			break
		}
		p.v, p.last = top.finish, due
		p.done = append(p.done, p.pop().ai)
		if len(p.jobs) == 0 {
			break
		}
	}
	e.flushBusy(si)
	s.busy = min(len(p.jobs), s.conc)
	e.psSchedule(si)
	for _, ai := range p.done {
		reached := e.attempts.items[ai].reached
		e.answer(ai, model.OK)
		if e.sig != nil {
			e.served(si, e.q.now-reached)
		}
	}
}

// psRemove takes attempt ai out of service at its PS server, as a server
// does when its client goes away (a cancelled hedge or timed-out attempt
// with cancel: true): the others speed up from now. It reports whether the
// attempt was in service there; it neither answers it nor changes its
// state, which are the caller's.
func (e *engine) psRemove(ai int32) bool {
	a := &e.attempts.items[ai]
	si := int(a.server)
	s := &e.servers[si]
	p := s.ps
	if p == nil || a.state != atInService {
		return false
	}
	k := -1
	for i := range p.jobs {
		if p.jobs[i].ai == ai {
			k = i
			break
		}
	}
	if k < 0 {
		return false
	}
	e.psAdvance(s)
	p.remove(k)
	e.flushBusy(si)
	s.busy = min(len(p.jobs), s.conc)
	e.psSchedule(si)
	return true
}

// psSetSlow changes server si's slowdown: the jobs present progress at the
// old pace up to now and at the new one from now.
func (e *engine) psSetSlow(si int, slow float64) {
	s := &e.servers[si]
	e.psAdvance(s)
	s.slow = slow
	e.psSchedule(si)
}

// psDrop empties server si at a crash, after crash has failed its jobs.
func (e *engine) psDrop(si int) {
	p := e.servers[si].ps
	p.jobs = p.jobs[:0]
	p.last = float64(e.q.now)
	e.psSchedule(si)
}

// inflight is what the server holds: in service and queued (a load probe's
// answer).
func (s *server) inflight() int {
	if s.ps != nil {
		return len(s.ps.jobs)
	}
	return s.busy + s.queue.len()
}

// The heap of jobs: binary, by (finish, seq).

func (p *psServer) push(j psJob) {
	p.jobs = append(p.jobs, j)
	p.up(len(p.jobs) - 1)
}

func (p *psServer) pop() psJob {
	top := p.jobs[0]
	p.remove(0)
	return top
}

// remove deletes the job at heap position k.
func (p *psServer) remove(k int) {
	last := len(p.jobs) - 1
	p.jobs[k] = p.jobs[last]
	p.jobs = p.jobs[:last]
	if k < last {
		p.down(k)
		p.up(k)
	}
}

func (p *psServer) up(i int) {
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

func (p *psServer) down(i int) {
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
