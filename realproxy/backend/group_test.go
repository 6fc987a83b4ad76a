package backend

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// twoGroups is a scenario of servers a-0, a-1 (2 workers) and b-0 (1
// worker, queue limit 5), 1ms constant service, with the given faults.
func twoGroups(faults ...scenarios.Fault) *scenarios.Scenario {
	svc := dist.Spec{Dist: "constant", Value: time.Millisecond}
	return &scenarios.Scenario{
		Name: "t",
		Seed: 3,
		Servers: []scenarios.ServerGroup{
			{Name: "a", Count: 2, Weight: 1, Concurrency: 2, Service: svc},
			{Name: "b", Count: 1, Weight: 1, Concurrency: 1, QueueLimit: 5, Service: svc},
		},
		Faults: faults,
	}
}

func TestStartGroup(t *testing.T) {
	checkLeaks(t)
	g, err := StartGroup(twoGroups())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	c := newClient(t)
	var names, addrs []string
	for _, s := range g.Servers() {
		names = append(names, s.Name())
		addrs = append(addrs, s.Addr())
		if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
			t.Errorf("%s listens on %s, want loopback", s.Name(), s.Addr())
		}
		if r := get(c, s.URL()+"/", 0.5); r.status != http.StatusOK || r.backend != s.Name() || r.service != time.Millisecond {
			t.Errorf("%s: %d %q service %v %v", s.Name(), r.status, r.backend, r.service, r.err)
		}
	}
	if !slices.Equal(names, []string{"a-0", "a-1", "b-0"}) {
		t.Errorf("servers %v, want ServerList order a-0 a-1 b-0", names)
	}
	if cfg := g.Servers()[2].Config(); cfg.Concurrency != 1 || cfg.QueueLimit != 5 || cfg.Seed != 3 {
		t.Errorf("b-0 config %+v", cfg)
	}
	slices.Sort(addrs)
	if len(slices.Compact(addrs)) != 3 {
		t.Errorf("addresses %v are not distinct", addrs)
	}
}

// TestFaultScheduleLevels: the group's faults combine as model.FaultSchedule
// says, and simultaneous changes keep the simulator's order.
func TestFaultScheduleLevels(t *testing.T) {
	ms := time.Millisecond
	sc := twoGroups(
		scenarios.Fault{At: 0, Target: "a-0", Kind: "crash", Duration: 100 * ms},
		scenarios.Fault{At: 10 * ms, Target: "a-*", Kind: "slowdown", Factor: 2},
		scenarios.Fault{At: 20 * ms, Target: "a-1", Kind: "errors", Probability: 0.5, Duration: 50 * ms},
		scenarios.Fault{At: 30 * ms, Target: "a-1", Kind: "slowdown", Factor: 3, Duration: 40 * ms},
		scenarios.Fault{At: 40 * ms, Target: "a-[01]", Kind: "errors", Probability: 0.5, Duration: 30 * ms},
		scenarios.Fault{At: 50 * ms, Target: "a-0", Kind: "crash", Duration: 10 * ms},
	)
	fs := model.NewFaultSchedule(sc)
	var got []string
	for _, st := range fs.Steps() {
		for _, c := range fs.Apply(st) {
			s := fmt.Sprintf("%v a-%d ", st.At, c.Server)
			switch c.Kind {
			case model.Crash:
				s += "crash"
			case model.Recover:
				s += "recover"
			default:
				s += fmt.Sprintf("%s slow=%g err=%g", fs.Event(c, 0, "").What, c.Slow, c.ErrP)
			}
			got = append(got, s)
		}
	}
	want := []string{
		"0s a-0 crash",
		"10ms a-0 slowdown x2 slow=2 err=0",
		"10ms a-1 slowdown x2 slow=2 err=0",
		"20ms a-1 errors 0.5 slow=2 err=0.5",
		"30ms a-1 slowdown x3 slow=6 err=0.5",
		"40ms a-0 errors 0.5 slow=2 err=0.5",
		"40ms a-1 errors 0.5 slow=6 err=0.75",
		// 50ms: a second crash of a-0 changes nothing, nor does its end at 60ms.
		"70ms a-1 end errors slow=6 err=0.5",
		"70ms a-1 end slowdown slow=2 err=0.5",
		"70ms a-0 end errors slow=2 err=0",
		"70ms a-1 end errors slow=2 err=0",
		"100ms a-0 recover",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRunFaults drives a group through a crash, a slowdown and an error
// burst on real servers, and checks it is restored on return. RunFaults
// reports each change from its goroutine and applies nothing more until
// the report returns, so the checks made in the report see the state the
// schedule has reached, however late the machine runs it.
func TestRunFaults(t *testing.T) {
	checkLeaks(t)
	ms := time.Millisecond
	g, err := StartGroup(twoGroups(
		scenarios.Fault{At: 0, Target: "a-0", Kind: "crash", Duration: 150 * ms},
		scenarios.Fault{At: 50 * ms, Target: "b-*", Kind: "slowdown", Factor: 4},
		scenarios.Fault{At: 100 * ms, Target: "a-1", Kind: "errors", Probability: 1, Duration: 300 * ms},
	))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(context.Background()) })
	a0, a1, b0 := g.Servers()[0], g.Servers()[1], g.Servers()[2]
	c := newClient(t)

	var events []string // the RunFaults goroutine's until done is closed
	var ats []time.Duration
	last := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.RunFaults(ctx, time.Now(), func(e report.Event) {
			at, server, what := time.Duration(e.AtMS*1e6), e.Server, e.What
			events = append(events, server+" "+what)
			ats = append(ats, at)
			switch server + " " + what {
			case "a-0 crash":
				if !a0.Crashed() {
					t.Errorf("a-0 is up during its crash")
				}
			case "b-0 slowdown x4":
				if !a0.Crashed() {
					t.Errorf("a-0 is up during its crash")
				}
				if r := get(c, b0.URL()+"/", 0); r.service != 4*ms {
					t.Errorf("b-0 during a 4x slowdown: service %v (%v), want 4ms", r.service, r.err)
				}
			case "a-1 errors 1":
				if r := get(c, a1.URL()+"/", 0); r.status != http.StatusInternalServerError {
					t.Errorf("a-1 during errors p=1: %d %v, want 500", r.status, r.err)
				}
			case "a-0 recover":
				if r := get(c, a0.URL()+"/", 0); r.status != http.StatusOK {
					t.Errorf("a-0 after recovering: %d %v", r.status, r.err)
				}
			case "a-1 end errors":
				if r := get(c, a1.URL()+"/", 0); r.status != http.StatusOK {
					t.Errorf("a-1 after its errors ended: %d %v, want 200", r.status, r.err)
				}
				close(last)
			}
		})
	}()
	within(t, last, "the fifth fault event")
	cancel()
	within(t, done, "RunFaults to return once cancelled")
	want := []string{"a-0 crash", "b-0 slowdown x4", "a-1 errors 1", "a-0 recover", "a-1 end errors"}
	if !slices.Equal(events, want) {
		t.Errorf("events %q, want %q", events, want)
	}
	// Never early, in order; how late is the machine's business.
	scheduled := []time.Duration{0, 50 * ms, 100 * ms, 150 * ms, 400 * ms}
	for i := range min(len(ats), len(scheduled)) {
		if at := ats[i]; at < scheduled[i] || i > 0 && at < ats[i-1] {
			t.Errorf("event %q reported at %v, scheduled at %v (after %v)", events[i], at, scheduled[i], ats[:i])
		}
	}
	if r := get(c, b0.URL()+"/", 0); r.service != ms {
		t.Errorf("b-0 after RunFaults returned: service %v, want the slowdown undone", r.service)
	}

	// A crash in force when the run ends is undone too.
	g2, err := StartGroup(twoGroups(scenarios.Fault{At: 0, Target: "a-*", Kind: "crash"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g2.Close(context.Background()) })
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	crashed := make(chan struct{})
	done2 := make(chan struct{})
	go func() {
		defer close(done2)
		n := 0
		g2.RunFaults(ctx2, time.Now(), func(report.Event) {
			if n++; n == 2 {
				close(crashed) // a-0 and a-1
			}
		})
	}()
	within(t, crashed, "a-0 and a-1 to crash")
	if !g2.Servers()[0].Crashed() || !g2.Servers()[1].Crashed() {
		t.Errorf("a-0 crashed=%v, a-1 crashed=%v after their crash events", g2.Servers()[0].Crashed(), g2.Servers()[1].Crashed())
	}
	cancel2()
	within(t, done2, "RunFaults to return once cancelled")
	for _, s := range g2.Servers() {
		if s.Crashed() {
			t.Errorf("%s still down after RunFaults returned", s.Name())
		}
	}
}

// within waits for ch to be closed; the deadline is only a hang guard.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hangGuard):
		t.Fatalf("still waiting after %v for %s", hangGuard, what)
	}
}
