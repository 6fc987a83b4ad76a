package realproxy

import (
	"context"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/backend"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
	"github.com/fulcrum-lb/fulcrum/report"
)

// Membership in the real engine (DESIGN.md §7): model.Membership, the
// simulator's schedule, driven on wall time. The proxies take their
// backend set from a discovery.Memory that the driver publishes to, the
// path service discovery takes: a joining backend starts listening, then
// is published; a leaving one is unpublished (every proxy has stopped
// picking it when Publish returns), then, once no proxy has an attempt on
// it in flight, it stops listening (backend.Stop, which also lets finish
// anything that reached it) and the schedule is told it drained.
// Someone else's server (a group of urls; nil in servers) only joins and
// leaves the proxies' set: it listens throughout.

// drainPoll is how often a leaving backend's proxies are asked whether
// their attempts on it have finished.
const drainPoll = 2 * time.Millisecond

// stopGrace bounds a drained backend's Stop.
const stopGrace = 100 * time.Millisecond

// memberDriver runs one measurement's membership.
type memberDriver struct {
	ms      *model.Membership
	servers []*backend.Server
	set     []discovery.Backend // by server: what is published while it is a member
	src     *discovery.Memory
	proxies []*proxy.Proxy
	event   func(report.Event)
}

// newMemberDriver is ms's driver over servers, whose discovery entries
// are set; the source starts with the servers in the pool at t=0, and
// those not in it stop listening now, before any request.
func newMemberDriver(ms *model.Membership, servers []*backend.Server, set []discovery.Backend) (*memberDriver, error) {
	d := &memberDriver{ms: ms, servers: servers, set: set}
	d.src = discovery.NewMemory(d.members())
	for si, s := range servers {
		if s != nil && !ms.Listening(si) {
			if err := s.Stop(context.Background()); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// members is the set to publish now.
func (d *memberDriver) members() []discovery.Backend {
	var out []discovery.Backend
	for si, b := range d.set {
		if d.ms.Member(si) {
			out = append(out, b)
		}
	}
	return out
}

// run applies the schedule from start until ctx is done, and returns then
// (with every drain watcher it started ended).
func (d *memberDriver) run(ctx context.Context, start time.Time) {
	drained := make(chan int)
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	now := func() time.Duration { return time.Since(start) }
	for {
		at, ok := d.ms.Next()
		var due <-chan time.Time
		if ok {
			t.Reset(max(time.Until(start.Add(at)), 0))
			due = t.C
		}
		select {
		case <-ctx.Done():
			return
		case si := <-drained:
			t := now() // one instant for the schedule and the events
			d.apply(ctx, d.ms.Drained(si, t), t, nil, nil)
		case <-due:
			t := max(now(), at)
			d.apply(ctx, d.ms.Advance(t), t, drained, &wg)
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
	}
}

// apply does what changes say: joining backends listen before the new set
// is published, leaving ones are watched until drained after it.
func (d *memberDriver) apply(ctx context.Context, changes []model.MemberChange, at time.Duration, drained chan<- int, wg *sync.WaitGroup) {
	publish := false
	for _, c := range changes {
		switch c.Kind {
		case model.Join:
			what := ""
			if s := d.servers[c.Server]; s != nil {
				if err := s.Recover(); err != nil {
					what = "join failed: " + err.Error()
				}
			}
			d.emit(c, at, what)
			publish = true
		case model.Leave:
			d.emit(c, at, "")
			publish = true
		case model.Drained:
			d.emit(c, at, "")
		}
	}
	if publish {
		d.src.Publish(d.members())
	}
	for _, c := range changes {
		if c.Kind != model.Leave {
			continue
		}
		wg.Add(1)
		go func(si int) {
			defer wg.Done()
			if d.waitDrained(ctx, si) {
				select {
				case drained <- si:
				case <-ctx.Done():
				}
			}
		}(c.Server)
	}
}

// waitDrained waits until no proxy has an attempt on server si in flight,
// then stops it listening; false if ctx ended first.
func (d *memberDriver) waitDrained(ctx context.Context, si int) bool {
	name := d.set[si].Name
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for {
		var n int64
		for _, p := range d.proxies {
			n += p.InFlight(name)
		}
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	// What reached the backend has been answered: Stop finds no request
	// left to wait for, and refuses connections from here. Its grace is
	// short because http.Server.Shutdown counts a connection the proxy
	// opened but never used as busy for 5s; nothing is left on one.
	if s := d.servers[si]; s != nil {
		sctx, cancel := context.WithTimeout(ctx, stopGrace)
		defer cancel()
		_ = s.Stop(sctx)
	}
	return ctx.Err() == nil
}

func (d *memberDriver) emit(c model.MemberChange, at time.Duration, what string) {
	if d.event == nil {
		return
	}
	e := c.Event(float64(at)/1e6, d.set[c.Server].Name)
	if what != "" {
		e.What = what
	}
	d.event(e)
}
