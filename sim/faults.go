package sim

import "math"

// Fault kinds, as scenario files write them.
const (
	faultCrash    = "crash"
	faultSlowdown = "slowdown"
	faultErrors   = "errors"
)

func (e *engine) faultStart(i int) {
	f := &e.faults[i]
	for _, si := range e.targets[i] {
		s := &e.servers[si]
		switch f.Kind {
		case faultCrash:
			s.crashed++
			if s.crashed == 1 {
				e.crash(si)
			}
		case faultSlowdown, faultErrors:
			e.recomputeFaults(si)
		}
	}
}

func (e *engine) faultEnd(i int) {
	f := &e.faults[i]
	for _, si := range e.targets[i] {
		s := &e.servers[si]
		switch f.Kind {
		case faultCrash:
			if s.crashed > 0 {
				s.crashed--
			}
		case faultSlowdown, faultErrors:
			e.recomputeFaults(si)
		}
	}
}

// recomputeFaults sets server si's slowdown factor and error probability from
// the faults active now: factors multiply, and independent error sources
// combine as 1 - prod(1 - p). Recomputing (rather than dividing out an ending
// factor) keeps the figures exact however faults overlap.
func (e *engine) recomputeFaults(si int) {
	now := e.q.now
	slow, pass := 1.0, 1.0
	for i := range e.faults {
		f := &e.faults[i]
		if now < f.At || (f.Duration > 0 && now >= f.At+f.Duration) {
			continue
		}
		hit := false
		for _, t := range e.targets[i] {
			if t == si {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		switch f.Kind {
		case faultSlowdown:
			slow *= f.Factor
		case faultErrors:
			pass *= 1 - f.Probability
		}
	}
	s := &e.servers[si]
	s.slow = slow
	s.errP = 1 - pass
	if math.Abs(s.errP) < 1e-15 {
		s.errP = 0
	}
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
