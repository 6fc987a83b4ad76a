package sim

import "github.com/fulcrum-lb/fulcrum/model"

// fault applies step k of the fault schedule: the schedule (shared with
// the real engine) says what changes on which server, and the engine does
// it to its simulated servers.
func (e *engine) fault(k int) {
	for _, c := range e.faults.Apply(e.steps[k]) {
		s := &e.servers[c.Server]
		e.rec.Event(e.faults.Event(c, e.nowMS(), e.names[c.Server]))
		switch c.Kind {
		case model.Crash:
			s.crashed = true
			e.crash(c.Server)
		case model.Recover:
			s.crashed = false
		case model.Levels:
			if s.ps != nil {
				e.psSetSlow(c.Server, c.Slow) // jobs in progress change pace
			}
			s.slow, s.errP = c.Slow, c.ErrP
		}
	}
}

// crash drops everything server si holds: queued and in-service requests
// fail one network delay later, as connections reset by a dying process do.
func (e *engine) crash(si int) {
	s := &e.servers[si]
	e.flushBusy(si)
	for s.queue.len() > 0 {
		e.answer(s.queue.pop(), model.Failed)
	}
	for ai := range e.attempts.items {
		a := &e.attempts.items[ai]
		if int(a.server) == si && a.state == atInService {
			e.answer(int32(ai), model.Failed)
		}
	}
	s.busy = 0
	if s.ps != nil {
		e.psDrop(si)
	}
	e.loadServerChanged()
}
