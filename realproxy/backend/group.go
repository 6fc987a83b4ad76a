package backend

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/report"
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
// the name enters). A server of a group of urls is someone else's, already
// running: its entry in Servers is nil, and the group's methods pass it
// by (the scenario allows no fault on it). On error nothing is left
// running.
func StartGroup(sc *scenarios.Scenario) (*Group, error) {
	g := &Group{sc: sc}
	classes, err := model.ClassServices(sc)
	if err != nil {
		return nil, fmt.Errorf("backends: %w", err)
	}
	for _, sv := range sc.ServerList() {
		if sv.URL != "" {
			g.servers = append(g.servers, nil)
			continue
		}
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
			Classes:     classes,
			Seed:        sc.Seed,
			Cancel:      sc.Cancel,
			PS:          sv.PS(),
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

// Servers are the group's servers in ServerList order: index = backend ID;
// nil for someone else's (a group of urls).
func (g *Group) Servers() []*Server { return g.servers }

// Close closes every server at once (Server.Close) and returns when all are
// closed.
func (g *Group) Close(ctx context.Context) error {
	errs := make([]error, len(g.servers))
	var wg sync.WaitGroup
	for i, s := range g.servers {
		if s != nil {
			wg.Go(func() { errs[i] = s.Close(ctx) })
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// RunFaults applies sc.Faults at their times measured from start until ctx
// is done, and returns then. The faults' timeline and what each step does
// to each server come from model.FaultSchedule, as in the simulator: a
// server is down while any crash covering it is in force, slowdown factors
// multiply, error probabilities combine as 1 - prod(1 - p), and
// simultaneous steps apply in the simulator's order.
//
// Each change is reported through onEvent (may be nil) as the timeline's
// event, its time since start; a recovery whose port could not be taken
// again says so in its What ("recover failed: <error>").
//
// On return every server is back to normal (recovered, no slowdown, no
// errors), unreported, so the group can serve another run.
func (g *Group) RunFaults(ctx context.Context, start time.Time, onEvent func(report.Event)) {
	fs := model.NewFaultSchedule(g.sc)
	emit := func(c model.Change, what string) {
		if onEvent != nil {
			e := fs.Event(c, float64(time.Since(start))/1e6, g.servers[c.Server].Name())
			if what != "" {
				e.What = what
			}
			onEvent(e)
		}
	}
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
		g.restore(fs)
	}()
	for _, st := range fs.Steps() {
		if wait := time.Until(start.Add(st.At)); wait > 0 {
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
		for _, c := range fs.Apply(st) {
			s := g.servers[c.Server]
			switch c.Kind {
			case model.Crash:
				s.Crash()
				emit(c, "")
			case model.Recover:
				if err := s.Recover(); err != nil {
					emit(c, "recover failed: "+err.Error())
				} else {
					emit(c, "")
				}
			case model.Levels:
				s.SetSlowdown(c.Slow)
				s.SetErrorRate(c.ErrP)
				emit(c, "")
			}
		}
	}
	<-ctx.Done()
}

// restore undoes every fault in force.
func (g *Group) restore(fs *model.FaultSchedule) {
	for si, s := range g.servers {
		if s == nil {
			continue
		}
		if fs.Down(si) {
			_ = s.Recover()
		}
		s.SetSlowdown(1)
		s.SetErrorRate(0)
	}
}
