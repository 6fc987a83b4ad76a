package sim

import (
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
)

// Processor-sharing servers (servers[].discipline: ps, DESIGN.md §7): the
// discipline itself, a virtual clock and a heap of the jobs' finish values,
// is model.PS, shared with the real backends; this file drives it from
// events. Only a server's earliest completion is an event (evPSDone),
// carrying the server's generation, which every change (an arrival, a
// departure, a removal, a slowdown, a crash) bumps, so a completion
// predicted before the change is ignored when it comes.
//
// Busy time: a server with n jobs has min(n, c) workers busy (server.busy),
// so utilisation means what it means for FIFO. Nothing queues: a job
// finding n >= c shares the processors at once (that is what
// wait_probability counts under PS), and queue_limit bounds n - c.
type psServer struct {
	q       *model.PS[int32] // attempts in service
	gen     uint32           // generation of the scheduled completion
	at      time.Duration    // when it is due
	pending bool             // a completion is scheduled
	done    []int32          // reused by psDone
}

func newPSServer(conc int) *psServer { return &psServer{q: model.NewPS[int32](conc)} }

// psArrive is attempt ai reaching PS server si (not crashed, no injected
// error): rejected when n - c >= queue_limit, else sharing at once.
func (e *engine) psArrive(ai int32) {
	a := &e.attempts.items[ai]
	si := int(a.server)
	s := &e.servers[si]
	p := s.ps
	if p.q.Full(s.queueLimit) {
		e.answer(ai, model.Rejected)
		return
	}
	d := e.serviceTime(s, a)
	a.state = atInService
	a.waited = p.q.Shared()
	e.flushBusy(si)
	p.q.Add(e.q.now, ai, d)
	s.busy = p.q.Busy()
	e.psSchedule(si)
}

// psSchedule aims the server's completion event at its earliest job.
func (e *engine) psSchedule(si int) {
	p := e.servers[si].ps
	at, ok := p.q.Next(e.q.now)
	if !ok {
		p.gen++
		p.pending = false
		return
	}
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
		return // a change since it was scheduled
	}
	p.pending = false
	p.done = p.q.Done(e.q.now, p.done[:0])
	e.flushBusy(si)
	s.busy = p.q.Busy()
	e.psSchedule(si)
	e.loadServerChanged()
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
	if s.ps == nil || a.state != atInService || !s.ps.q.Remove(e.q.now, ai) {
		return false
	}
	e.flushBusy(si)
	s.busy = s.ps.q.Busy()
	e.psSchedule(si)
	return true
}

// psSetSlow changes server si's slowdown: the jobs present progress at the
// old pace up to now and at the new one from now.
func (e *engine) psSetSlow(si int, slow float64) {
	e.servers[si].ps.q.SetSlow(e.q.now, slow)
	e.psSchedule(si)
}

// psDrop empties server si at a crash, after crash has failed its jobs.
func (e *engine) psDrop(si int) {
	e.servers[si].ps.q.Clear(e.q.now)
	e.psSchedule(si)
}

// inflight is what the server holds: in service and queued (a load probe's
// answer).
func (s *server) inflight() int {
	if s.ps != nil {
		return s.ps.q.Len()
	}
	return s.busy + s.queue.len()
}
