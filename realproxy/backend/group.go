package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Group is all of a scenario's backends in this one process (cheaper in CPU
// than a process each, which matters on a 2-core machine).
type Group struct {
	sc      *scenarios.Scenario
	servers []*Server
}

// StartGroup starts one Server per sc.ServerList() entry, in that order, on
// 127.0.0.1 with a free port each, seeded with sc.Seed (Config.Seed says how
// the name enters). On error nothing is left running.
func StartGroup(sc *scenarios.Scenario) (*Group, error) {
	g := &Group{sc: sc}
	for _, sv := range sc.ServerList() {
		d, err := dist.New(sv.Service)
		if err != nil {
			g.closeNow()
			return nil, fmt.Errorf("backend %s: service: %w", sv.Name, err)
		}
		s, err := Start("127.0.0.1:0", Config{
			Name:        sv.Name,
			Concurrency: sv.Concurrency,
			QueueLimit:  sv.QueueLimit,
			Service:     d,
			Seed:        sc.Seed,
		})
		if err != nil {
			g.closeNow()
			return nil, err
		}
		g.servers = append(g.servers, s)
	}
	return g, nil
}

func (g *Group) closeNow() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = g.Close(ctx)
}

// Servers are the group's servers in ServerList order: index = backend ID.
func (g *Group) Servers() []*Server { return g.servers }

// Close closes every server at once (Server.Close) and returns when all are
// closed.
func (g *Group) Close(ctx context.Context) error {
	errs := make([]error, len(g.servers))
	var wg sync.WaitGroup
	for i, s := range g.servers {
		wg.Go(func() { errs[i] = s.Close(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// RunFaults applies sc.Faults at their times measured from start until ctx
// is done, and returns then. A crash lasts Duration and then recovers; a
// Duration of 0 lasts until ctx is done. Overlapping faults combine as in
// the simulator (sim/faults.go): a server is down while any crash covering
// it is active, slowdown factors multiply, error probabilities combine as
// 1 - prod(1 - p); simultaneous changes apply in the simulator's order
// (fault i's start, then its end, then fault i+1's).
//
// Each change is reported through onEvent (may be nil) with the time since
// start and the server: "crash", "recover", "recover failed: <error>",
// "slowdown x4", "end slowdown", "errors 0.5", "end errors".
//
// On return every server is back to normal (recovered, no slowdown, no
// errors), unreported, so the group can serve another run.
func (g *Group) RunFaults(ctx context.Context, start time.Time, onEvent func(at time.Duration, server, what string)) {
	fs := newFaultSchedule(g.sc, len(g.servers))
	report := func(si int, what string) {
		if onEvent != nil {
			onEvent(time.Since(start), g.servers[si].Name(), what)
		}
	}
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
		g.restore(fs)
	}()
	for _, ev := range fs.timeline() {
		if wait := time.Until(start.Add(ev.at)); wait > 0 {
			if t == nil {
				t = time.NewTimer(wait)
			} else {
				t.Reset(wait)
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		for _, c := range fs.apply(ev) {
			s := g.servers[c.server]
			switch c.kind {
			case changeCrash:
				s.Crash()
				report(c.server, "crash")
			case changeRecover:
				if err := s.Recover(); err != nil {
					report(c.server, "recover failed: "+err.Error())
				} else {
					report(c.server, "recover")
				}
			case changeLevels:
				s.SetSlowdown(c.slow)
				s.SetErrorRate(c.errP)
				report(c.server, c.what)
			}
		}
	}
	<-ctx.Done()
}

// restore undoes every fault in force.
func (g *Group) restore(fs *faultSchedule) {
	for si, s := range g.servers {
		if fs.crashes[si] > 0 {
			_ = s.Recover()
		}
		s.SetSlowdown(1)
		s.SetErrorRate(0)
	}
}

// faultSchedule turns a scenario's faults into the timeline of their starts
// and ends, and keeps the state they leave each server in: crashes counts
// the crash faults covering a server; slowdown and error levels are
// recomputed from the set of active faults (rather than divided out when
// one ends) so they are exact however faults overlap, as in sim/faults.go.
type faultSchedule struct {
	faults  []scenarios.Fault
	targets [][]int // fault -> server indices
	active  []bool  // fault -> started and not ended
	crashes []int   // server -> active crash faults
}

// faultEvent is a fault starting or ending.
type faultEvent struct {
	at    time.Duration
	fault int
	end   bool
}

// changeKind is what a fault event does to one server.
type changeKind int

const (
	changeCrash changeKind = iota
	changeRecover
	changeLevels // new slowdown factor and error probability
)

type change struct {
	server     int
	kind       changeKind
	slow, errP float64 // changeLevels: the combined levels now
	what       string  // changeLevels: "slowdown x4", "end errors", ...
}

func newFaultSchedule(sc *scenarios.Scenario, servers int) *faultSchedule {
	fs := &faultSchedule{
		faults:  sc.Faults,
		targets: make([][]int, len(sc.Faults)),
		active:  make([]bool, len(sc.Faults)),
		crashes: make([]int, servers),
	}
	for i := range sc.Faults {
		fs.targets[i] = sc.FaultTargets(i)
	}
	return fs
}

// timeline is every start and end in time order; ties keep the
// simulator's order: fault i's start, its end, then fault i+1's.
func (fs *faultSchedule) timeline() []faultEvent {
	var evs []faultEvent
	for i, f := range fs.faults {
		evs = append(evs, faultEvent{at: f.At, fault: i})
		if f.Duration > 0 {
			evs = append(evs, faultEvent{at: f.At + f.Duration, fault: i, end: true})
		}
	}
	slices.SortStableFunc(evs, func(a, b faultEvent) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	return evs
}

// apply records ev and returns what it changes, server by server.
func (fs *faultSchedule) apply(ev faultEvent) []change {
	f := fs.faults[ev.fault]
	fs.active[ev.fault] = !ev.end
	var out []change
	for _, si := range fs.targets[ev.fault] {
		switch f.Kind {
		case scenarios.FaultCrash:
			if !ev.end {
				fs.crashes[si]++
				if fs.crashes[si] == 1 {
					out = append(out, change{server: si, kind: changeCrash})
				}
			} else if fs.crashes[si] > 0 {
				fs.crashes[si]--
				if fs.crashes[si] == 0 {
					out = append(out, change{server: si, kind: changeRecover})
				}
			}
		case scenarios.FaultSlowdown, scenarios.FaultErrors:
			slow, errP := fs.levels(si)
			out = append(out, change{server: si, kind: changeLevels, slow: slow, errP: errP, what: f.Describe(ev.end)})
		}
	}
	return out
}

// levels combines the faults in force on server si (scenarios.FaultLevels).
func (fs *faultSchedule) levels(si int) (slow, errP float64) {
	return scenarios.FaultLevels(fs.faults, func(i int) bool {
		return fs.active[i] && slices.Contains(fs.targets[i], si)
	})
}
