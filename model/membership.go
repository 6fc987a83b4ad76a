package model

import (
	"cmp"
	"slices"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Membership is which servers are in the pool over a run (DESIGN.md §7):
// server groups that join late (servers[].join) or leave (servers[].leave),
// and rolling restarts (faults of kind restart). Both engines drive the
// same Membership, so they take the same servers out and bring them back
// in the same order, by the same rules.
//
// The schedule is event-driven, because a drain's length depends on what
// the server holds: the engine applies the timed steps (Next, Advance) and
// reports when a leaving server holds nothing more (Drained); the model
// answers with what changes, server by server, and the steps that follow.
//
// The rules, in scenarios/README.md's words:
//
//   - A group with join > 0 is not in the pool before then: the balancers
//     do not list its servers and they do not listen.
//   - Leaving takes a server out of the balancers' lists at once (no new
//     request, no retry can reach it); what it holds (on the wire to it,
//     queued, in service) is in flight and finishes. Its drain ends when it
//     holds nothing; then it stops listening.
//   - A restart takes its targets, in server order, batch at a time: each
//     leaves at once, is down for `down` from the end of its own drain, and
//     rejoins; the next batch leaves when the last of this one has
//     rejoined. A target that is not in the pool when its batch comes (not
//     yet joined, left, or in another restart) is skipped. There is no
//     drain timeout: every request of the model ends, so every drain does.
//   - A group that leaves while one of its servers is restarting ends the
//     restart for that server: it does not rejoin.
//
// Simultaneous steps apply in the order they were scheduled: the groups'
// joins and leaves in group order, then restarts in fault order, then
// steps that earlier ones gave rise to.
type Membership struct {
	groups   []scenarios.ServerGroup
	byGroup  [][]int // group -> server indices
	state    []memberState
	gone     []bool // the server's group has left: it does not come back
	restart  []int  // server -> the restart cycling it, or -1
	restarts []restartRun
	steps    []memberStep // pending, sorted by (at, seq)
	seq      int
}

type memberState uint8

const (
	notJoined memberState = iota
	inPool
	draining
	down // a restart's, after its drain
	left // left for good, drained
)

// restartRun is one restart fault in progress.
type restartRun struct {
	targets []int
	next    int // the next target to consider
	batch   int
	down    time.Duration
	pending int // servers of the current batch not yet back (or gone)
}

type stepKind uint8

const (
	stepGroupJoin stepKind = iota
	stepGroupLeave
	stepBatch  // restart which: its next batch leaves
	stepRejoin // server which rejoins after its restart
)

type memberStep struct {
	at    time.Duration
	seq   int
	kind  stepKind
	which int // group, restart or server
}

// MemberKind is what a MemberChange does to a server.
type MemberKind uint8

// The kinds of MemberChange.
const (
	// Join: the server is in the pool from now on: it listens, the
	// balancers list it (with a fresh health state) and slow start, where
	// the algorithm has it, ramps it up.
	Join MemberKind = iota
	// Leave: the balancers stop listing it; what it holds finishes. The
	// engine calls Drained when it holds nothing (at once if it holds
	// nothing now).
	Leave
	// Drained: it holds nothing; it stops listening (a restart's server
	// is down until its Join).
	Drained
)

// MemberChange is what one step does to one server.
type MemberChange struct {
	Server  int
	Kind    MemberKind
	Restart bool // a step of a rolling restart
}

// NewMembership is the membership schedule of sc, or nil when sc has none
// (no join, leave or restart): every server is in the pool throughout, and
// engines skip membership altogether, so such runs are unchanged.
func NewMembership(sc *scenarios.Scenario) *Membership {
	if !HasMembership(sc) {
		return nil
	}
	n := len(sc.ServerList())
	m := &Membership{
		groups:  sc.Servers,
		byGroup: make([][]int, len(sc.Servers)),
		state:   make([]memberState, n),
		gone:    make([]bool, n),
		restart: make([]int, n),
	}
	id := 0
	for gi, g := range sc.Servers {
		for range g.Count {
			m.byGroup[gi] = append(m.byGroup[gi], id)
			if g.Join == 0 {
				m.state[id] = inPool
			}
			m.restart[id] = -1
			id++
		}
		if g.Join > 0 {
			m.push(g.Join, stepGroupJoin, gi)
		}
		if g.Leave > 0 {
			m.push(g.Leave, stepGroupLeave, gi)
		}
	}
	for i, f := range sc.Faults {
		if f.Kind != scenarios.FaultRestart {
			continue
		}
		m.restarts = append(m.restarts, restartRun{targets: sc.FaultTargets(i), batch: max(f.Batch, 1), down: f.Down})
		m.push(f.At, stepBatch, len(m.restarts)-1)
	}
	return m
}

// HasMembership reports whether sc's pool changes during the run.
func HasMembership(sc *scenarios.Scenario) bool {
	for _, g := range sc.Servers {
		if g.Join > 0 || g.Leave > 0 {
			return true
		}
	}
	return slices.ContainsFunc(sc.Faults, func(f scenarios.Fault) bool { return f.Kind == scenarios.FaultRestart })
}

func (m *Membership) push(at time.Duration, kind stepKind, which int) {
	st := memberStep{at: at, seq: m.seq, kind: kind, which: which}
	m.seq++
	i, _ := slices.BinarySearchFunc(m.steps, st, func(a, b memberStep) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	m.steps = slices.Insert(m.steps, i, st)
}

// Member reports whether server si is in the pool: listed by the
// balancers.
func (m *Membership) Member(si int) bool { return m.state[si] == inPool }

// Listening reports whether server si accepts connections: in the pool, or
// draining what it holds.
func (m *Membership) Listening(si int) bool {
	return m.state[si] == inPool || m.state[si] == draining
}

// Next is the time of the next timed step, false when none is pending
// (more may follow a Drained).
func (m *Membership) Next() (time.Duration, bool) {
	if len(m.steps) == 0 {
		return 0, false
	}
	return m.steps[0].at, true
}

// Advance applies every step due at or before now, in order, and returns
// what they change. The engine applies the changes in that order, and
// calls Drained for each Leave once its server holds nothing.
func (m *Membership) Advance(now time.Duration) []MemberChange {
	var out []MemberChange
	for len(m.steps) > 0 && m.steps[0].at <= now {
		st := m.steps[0]
		m.steps = m.steps[1:]
		switch st.kind {
		case stepGroupJoin:
			for _, si := range m.byGroup[st.which] {
				if m.state[si] == notJoined {
					m.state[si] = inPool
					out = append(out, MemberChange{Server: si, Kind: Join})
				}
			}
		case stepGroupLeave:
			for _, si := range m.byGroup[st.which] {
				m.gone[si] = true
				if m.state[si] == inPool {
					m.state[si] = draining
					out = append(out, MemberChange{Server: si, Kind: Leave})
				}
				if m.state[si] == down { // its rejoin will not come
					m.state[si] = left
				}
			}
		case stepBatch:
			out = m.startBatch(st.which, now, out)
		case stepRejoin:
			si := st.which
			r := m.restart[si]
			m.restart[si] = -1
			if m.state[si] == down && !m.gone[si] {
				m.state[si] = inPool
				out = append(out, MemberChange{Server: si, Kind: Join, Restart: true})
			}
			m.batchMemberDone(r, now)
		}
	}
	return out
}

// startBatch takes restart r's next batch out of the pool, skipping
// targets that are not in it.
func (m *Membership) startBatch(r int, now time.Duration, out []MemberChange) []MemberChange {
	run := &m.restarts[r]
	for run.pending < run.batch && run.next < len(run.targets) {
		si := run.targets[run.next]
		run.next++
		if m.state[si] != inPool {
			continue
		}
		m.state[si] = draining
		m.restart[si] = r
		run.pending++
		out = append(out, MemberChange{Server: si, Kind: Leave, Restart: true})
	}
	return out
}

// batchMemberDone counts one server of restart r's batch as back (or gone
// for good); the last one starts the next batch, now.
func (m *Membership) batchMemberDone(r int, now time.Duration) {
	if r < 0 {
		return
	}
	run := &m.restarts[r]
	if run.pending--; run.pending == 0 && run.next < len(run.targets) {
		m.push(now, stepBatch, r)
	}
}

// Drained tells the schedule that server si, which left, holds nothing
// more at now. A restart's server is down from now for its restart's
// `down`, and rejoins then (a step Next reports); any other stops for good.
func (m *Membership) Drained(si int, now time.Duration) []MemberChange {
	if m.state[si] != draining {
		return nil
	}
	r := m.restart[si]
	if r >= 0 && !m.gone[si] {
		m.state[si] = down
		m.push(now+m.restarts[r].down, stepRejoin, si)
		return []MemberChange{{Server: si, Kind: Drained, Restart: true}}
	}
	m.state[si] = left
	if r >= 0 {
		m.restart[si] = -1
		m.batchMemberDone(r, now)
	}
	return []MemberChange{{Server: si, Kind: Drained, Restart: r >= 0}}
}

// Event is change c on the run's timeline, at atMS, on server name.
func (c MemberChange) Event(atMS float64, name string) report.Event {
	kind := report.EventJoin
	switch c.Kind {
	case Leave:
		kind = report.EventLeave
	case Drained:
		kind = report.EventDrained
	}
	return report.MemberEvent(atMS, name, kind, c.Restart)
}
