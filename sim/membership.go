package sim

import (
	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/model"
)

// Membership (DESIGN.md §7): model.Membership says which servers are in
// the pool; this file drives it from the event queue. A server out of the
// pool is left out of the list every balancer's Update gets, so no pick
// and no retry reaches it; what a leaving server holds (on the wire to it,
// queued, in service) is in flight and finishes, and when it holds nothing
// the schedule is told (Drained) at that instant.

// startMembership schedules the membership's first step; e.members is set.
func (e *engine) startMembership() {
	for si := range e.servers {
		e.servers[si].off = !e.members.Listening(si)
	}
	e.scheduleMember()
}

// scheduleMember puts the schedule's next step on the event queue unless
// one is there for that time or earlier.
func (e *engine) scheduleMember() {
	at, ok := e.members.Next()
	if !ok || e.memberPending && e.memberAt <= at {
		return
	}
	e.q.push(at, evMember, 0, 0)
	e.memberAt, e.memberPending = at, true
}

// memberStep applies the steps due now.
func (e *engine) memberStep() {
	if e.q.now >= e.memberAt {
		e.memberPending = false
	}
	e.applyMembers(e.members.Advance(e.q.now))
	e.scheduleMember()
}

// applyMembers does what the schedule's changes say: the events, the
// balancers' lists (one Update each for all the changes), and the drains.
func (e *engine) applyMembers(changes []model.MemberChange) {
	listed := false
	var empty []int
	for _, c := range changes {
		si := c.Server
		e.rec.Event(c.Event(e.nowMS(), e.names[si]))
		switch c.Kind {
		case model.Drained:
			e.servers[si].off = true
		case model.Join:
			e.servers[si].off = false
			for j := range e.bals {
				e.bals[j].health.Rejoin(si)
				e.bals[j].view[si].Healthy = true
			}
			listed = true
		case model.Leave:
			s := &e.servers[si]
			s.draining, s.held = true, e.holding(si)
			listed = true
			if s.held == 0 {
				empty = append(empty, si)
			}
		}
	}
	if listed {
		for j := range e.bals {
			e.bals[j].b.Update(e.q.now, e.listed(e.bals[j].view))
		}
	}
	for _, si := range empty {
		e.drained(si)
	}
}

// holding counts the attempts server si holds: on the wire to it, queued
// or in service (an answered one is on its way back: the server is done
// with it). Freed slots are all answered.
func (e *engine) holding(si int) int32 {
	var n int32
	for i := range e.attempts.items {
		if a := &e.attempts.items[i]; int(a.server) == si && a.state != atAnswered {
			n++
		}
	}
	return n
}

// leftServer is told that an attempt no longer holds server si (answered,
// or cancelled): the last one a leaving server held ends its drain.
func (e *engine) leftServer(si int) {
	if e.members != nil { // inlined: a nil check per answer without membership
		e.leftMember(si)
	}
}

func (e *engine) leftMember(si int) {
	if s := &e.servers[si]; s.draining {
		if s.held--; s.held == 0 {
			e.drained(si)
		}
	}
}

// drained tells the schedule that leaving server si holds nothing more.
func (e *engine) drained(si int) {
	e.servers[si].draining = false
	e.applyMembers(e.members.Drained(si, e.q.now))
	e.scheduleMember()
}

// listed is the list a balancer's Update gets from its view: every server
// without membership (the whole view, as before membership existed), else
// the servers in the pool. A copy: the balancer does not keep it, but the
// engine changes the view.
func (e *engine) listed(view []algorithms.Backend) []algorithms.Backend {
	if e.members == nil {
		return append([]algorithms.Backend(nil), view...)
	}
	out := make([]algorithms.Backend, 0, len(view))
	for _, b := range view {
		if e.members.Member(b.ID) {
			out = append(out, b)
		}
	}
	return out
}
