package sim

import (
	"slices"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

func (e *engine) faultStart(i int) {
	f := &e.faults[i]
	for _, si := range e.targets[i] {
		s := &e.servers[si]
		e.event(si, 0, f.Describe(false))
		switch f.Kind {
		case scenarios.FaultCrash:
			s.crashed++
			if s.crashed == 1 {
				e.crash(si)
			}
		case scenarios.FaultSlowdown, scenarios.FaultErrors:
			e.recomputeFaults(si)
		}
	}
}

func (e *engine) faultEnd(i int) {
	f := &e.faults[i]
	for _, si := range e.targets[i] {
		s := &e.servers[si]
		e.event(si, 0, f.Describe(true))
		switch f.Kind {
		case scenarios.FaultCrash:
			if s.crashed > 0 {
				s.crashed--
			}
		case scenarios.FaultSlowdown, scenarios.FaultErrors:
			e.recomputeFaults(si)
		}
	}
}

// recomputeFaults sets server si's slowdown factor and error probability
// from the faults in force now.
func (e *engine) recomputeFaults(si int) {
	now := e.q.now
	s := &e.servers[si]
	s.slow, s.errP = scenarios.FaultLevels(e.faults, func(i int) bool {
		f := &e.faults[i]
		return now >= f.At && (f.Duration == 0 || now < f.At+f.Duration) && slices.Contains(e.targets[i], si)
	})
}

// crash drops everything server si holds: queued and in-service requests
// fail one network delay later, as connections reset by a dying process do.
func (e *engine) crash(si int) {
	s := &e.servers[si]
	e.flushBusy(si)
	for s.queue.len() > 0 {
		e.answer(s.queue.pop(), outFailed)
	}
	for ai := range e.attempts.items {
		a := &e.attempts.items[ai]
		if int(a.server) == si && a.state == atInService {
			e.answer(int32(ai), outFailed)
		}
	}
	s.busy = 0
}
