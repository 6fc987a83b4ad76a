package realproxy

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/backend"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/report"
)

// TestMemberDriverListening: a server whose group joins later does not
// listen before its join (a connection is refused), listens from it, and
// stops listening once drained after its leave. No proxy: nothing is in
// flight, so the drain ends at once.
func TestMemberDriverListening(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, `name: m
duration: 10s
arrivals: {rate: 10}
servers:
  - {name: old, count: 1, service: {dist: constant, value: 1ms}}
  - {name: new, count: 1, service: {dist: constant, value: 1ms}, join: 200ms, leave: 400ms}
algorithms: [round-robin]
`)
	group, err := backend.StartGroup(sc)
	if err != nil {
		t.Fatal(err)
	}
	defer group.Close(context.Background())
	servers := group.Servers()
	set := []discovery.Backend{{Name: "old-0", URL: servers[0].URL()}, {Name: "new-0", URL: servers[1].URL()}}
	d, err := newMemberDriver(model.NewMembership(sc), servers, set)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan report.Event, 8)
	d.event = func(e report.Event) { events <- e }
	// Listening means new-0 answers at its address: a refused connection
	// is not enough, for once new-0 has let its port go another test's
	// server (in another package, run at the same time) may take it, so
	// the answer must name new-0.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	listening := func() bool {
		resp, err := client.Get(servers[1].URL() + "/x")
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Header.Get(wire.Backend) == "new-0"
	}
	if listening() {
		t.Fatal("new-0 accepts connections before it joined")
	}
	if got := d.src.Current(); len(got) != 1 || got[0].Name != "old-0" {
		t.Fatalf("published %v before the join, want old-0 alone", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.run(ctx, time.Now()) }()
	defer func() { cancel(); <-done }()
	wait := func(kind report.EventKind) {
		t.Helper()
		select {
		case e := <-events:
			if e.Kind != kind || e.Server != "new-0" {
				t.Fatalf("event %+v, want %s of new-0", e, kind)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s event", kind)
		}
	}
	wait(report.EventJoin)
	if !listening() {
		t.Error("new-0 refuses connections after it joined")
	}
	if got := d.src.Current(); len(got) != 2 {
		t.Errorf("published %v after the join, want both", got)
	}
	wait(report.EventLeave)
	wait(report.EventDrained)
	if listening() {
		t.Error("new-0 accepts connections after it drained")
	}
}

// TestRunJoin: a group that joins at 1.5s gets traffic only after
// joining: none of the requests scheduled in the first second reaches it
// (half a second's margin for a busy machine's late sends), some later
// ones do, and nothing fails.
func TestRunJoin(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, `name: join
seed: 2
duration: 3s
arrivals: {process: poisson, rate: 200}
servers:
  - {name: old, count: 2, concurrency: 2, service: {dist: constant, value: 2ms}}
  - {name: new, count: 1, concurrency: 2, service: {dist: constant, value: 2ms}, join: 1500ms}
algorithms: [round-robin]
`)
	dir := t.TempDir()
	s, err := Run(context.Background(), sc, Options{VegetaDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	a := s.Algorithms[0]
	if a.Errors != (report.Errors{}) || a.Completed != a.Requests {
		t.Errorf("errors %+v, %d of %d completed", a.Errors, a.Completed, a.Requests)
	}
	sched, err := newSchedule(sc)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, VegetaFile("round-robin")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var early, late int
	for {
		var res vegeta.Result
		if err := dec.Decode(&res); err != nil {
			break
		}
		if res.Headers.Get(wire.Backend) != "new-0" {
			continue
		}
		k, err := arrivalOf(res.URL)
		if err != nil {
			t.Fatal(err)
		}
		if sched.arrivals[k].At < time.Second {
			early++
		} else {
			late++
		}
	}
	if early != 0 || late == 0 {
		t.Errorf("new-0 served %d requests scheduled before 1s and %d after; want none and some", early, late)
	}
	var joined bool
	for _, e := range a.Events {
		joined = joined || e.Kind == report.EventJoin && e.Server == "new-0" && e.AtMS >= 1500
	}
	if !joined {
		t.Errorf("no join event for new-0 at 1.5s or later: %+v", a.Events)
	}
}

// TestRunRollingRestart: a rolling restart of 4 servers, 2 at a time,
// under load, behind two proxies with retries off: with the drain nothing
// fails, and the timeline has the documented structure: web-0 and web-1
// leave first, each drains, is down at least `down` from its drain's end
// (wall time: timers are late, never early) and rejoins; web-2 and web-3
// leave at the instant the last of the first batch rejoined; never more
// than 2 out at once. A busy machine may end the run before the second
// batch is done: what happened is checked, and the first batch must be
// back (it has seconds to spare).
func TestRunRollingRestart(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, `name: rolling
seed: 4
duration: 3s
arrivals: {process: poisson, rate: 300}
balancers: 2
servers:
  - {name: web, count: 4, concurrency: 2, service: {dist: exponential, mean: 3ms}}
faults:
  - {kind: restart, target: "web-*", at: 300ms, batch: 2, down: 200ms}
algorithms: [least-connections]
`)
	s, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := s.Algorithms[0]
	if a.Errors != (report.Errors{}) || a.Completed != a.Requests || a.Requests < 500 {
		t.Errorf("errors %+v, %d of %d completed", a.Errors, a.Completed, a.Requests)
	}
	type story struct{ leave, drained, join float64 }
	got := map[string]*story{}
	var order []string
	out, maxOut := 0, 0
	for _, e := range a.Events {
		switch e.Kind {
		case report.EventLeave:
			got[e.Server] = &story{leave: e.AtMS, drained: -1, join: -1}
			order = append(order, e.Server)
			out++
			maxOut = max(maxOut, out)
		case report.EventDrained:
			got[e.Server].drained = e.AtMS
		case report.EventJoin:
			got[e.Server].join = e.AtMS
			out--
		}
	}
	want := []string{"web-0", "web-1", "web-2", "web-3"}
	if len(order) < 2 || !slices.Equal(order, want[:len(order)]) || maxOut != 2 {
		t.Fatalf("left in the order %v, at most %d out at once; want web-0..web-3, 2\nevents %+v", order, maxOut, a.Events)
	}
	for i, name := range order {
		st := got[name]
		if i < 2 && st.join < 0 {
			t.Errorf("%s of the first batch never rejoined: %+v", name, a.Events)
		}
		if st.leave < 300 || st.drained >= 0 && st.drained < st.leave || st.join >= 0 && st.join < st.drained+200-0.001 {
			t.Errorf("%s: left %.1f, drained %.1f, rejoined %.1f ms; want 300 <= left <= drained, rejoin >= drained + 200", name, st.leave, st.drained, st.join)
		}
		if back := max(got["web-0"].join, got["web-1"].join); i >= 2 && st.leave != back {
			t.Errorf("%s left at %.3f ms, want when the first batch was back (%.3f)", name, st.leave, back)
		}
	}
}
