package realproxy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/sim"
	"github.com/fulcrum-lb/fulcrum/trace"
)

// tinyRun is a real run of a few seconds: three servers with a constant
// 2ms service time at 300 req/s (load 0.2), 200 measured requests after a
// 100ms warm-up.
const tinyRun = `name: tiny
seed: 5
requests: 200
warmup: 100ms
arrivals: {process: poisson, rate: 300}
clients: 20
servers:
  - {name: web, count: 3, service: {dist: constant, value: 2ms}}
algorithms: [round-robin, random]
`

// TestRun measures two algorithms twice each, interleaved, and checks the
// counts, the per-server figures against the simulator's, the vegeta files,
// the order of the measurements and that nothing is left running.
func TestRun(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, tinyRun)
	dir := t.TempDir()
	var mu sync.Mutex
	var order []string
	var answered int64
	s, err := Run(context.Background(), sc, Options{
		Repeat:    2,
		VegetaDir: dir,
		Progress:  func(n int64) { answered += n },
		OnPacing: func(p Pacing) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, p.Label)
			if p.Sent == 0 || p.LagMax < p.LagP99 || p.Unattributed != 0 {
				t.Errorf("pacing %+v", p)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"round-robin", "random", "round-robin", "random"}; !slices.Equal(order, want) {
		t.Errorf("measured in the order %v, want %v", order, want)
	}
	sched, _ := newSchedule(sc)
	if answered != 4*int64(len(sched.arrivals)) {
		t.Errorf("progress reported %d answers, want %d", answered, 4*len(sched.arrivals))
	}
	if s.Engine != "real" || s.Scenario != "tiny" || s.Seed != 5 || len(s.Algorithms) != 2 {
		t.Fatalf("summary %q %q seed %d, %d algorithms", s.Engine, s.Scenario, s.Seed, len(s.Algorithms))
	}
	simmed, err := sim.Run(context.Background(), sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range s.Algorithms {
		e := a.Errors
		if a.Requests != 400 || a.Completed != 400 || e != (report.Errors{}) {
			t.Errorf("%s: requests %d, completed %d, errors %+v; want 400 (2 x 200), all completed", a.Label, a.Requests, a.Completed, e)
		}
		// 2ms of service plus HTTP through a proxy: never less than the
		// service time (how much more depends on the machine: no bound).
		if a.Latency.P50 < 2 || a.Latency.Mean < 2 || a.Latency.P99 < a.Latency.P50 {
			t.Errorf("%s: latency %+v", a.Label, a.Latency)
		}
		if len(a.LatencyQuantiles) != report.QuantileGrid || a.ThroughputRPS < 200 || a.ThroughputRPS > 400 {
			t.Errorf("%s: %d quantiles, throughput %v", a.Label, len(a.LatencyQuantiles), a.ThroughputRPS)
		}
		// The same arrivals and the same random stream as the simulator's:
		// each server gets what it got there, twice (one off at most per
		// repetition, where two arrivals close to the warm-up's end swap).
		var sum int64
		for j, srv := range a.Servers {
			sum += srv.Requests
			want := 2 * simmed.Algorithms[i].Servers[j].Requests
			if d := srv.Requests - want; d < -2 || d > 2 {
				t.Errorf("%s: %s served %d, the simulator %d (x2)", a.Label, srv.Name, srv.Requests, want)
			}
			// Utilisation: 300 req/s x 2ms / 3 servers = 0.2 on a quiet
			// machine. The busy time is the model's, but a load generator
			// that falls behind moves some of it past the window's end, so
			// only the upper bound (every job of the server inside the
			// window) holds at any speed.
			if srv.Utilization <= 0 || srv.Utilization > 0.28 || srv.Latency.Mean < 2 {
				t.Errorf("%s: %s utilisation %v, mean latency %v", a.Label, srv.Name, srv.Utilization, srv.Latency.Mean)
			}
		}
		if sum != a.Requests {
			t.Errorf("%s: servers' requests sum to %d, want %d", a.Label, sum, a.Requests)
		}
		// vegeta's file: both repetitions, warm-up included.
		n := countResults(t, filepath.Join(dir, VegetaFile(a.Label)))
		if n != 2*len(sched.arrivals) {
			t.Errorf("%s: vegeta file holds %d results, want %d", a.Label, n, 2*len(sched.arrivals))
		}
		checkTrace(t, filepath.Join(dir, TraceFile(a.Label)), sched)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("the results directory holds %d files, want 4 (vegeta's and the traces)", len(entries))
	}
}

// TestRunFaults checks that faults reach the backends on the attack's clock
// and that their answers are counted as the simulator counts them: an
// errors fault's 500 and a crashed server's 502 are failures, on the
// server they came from.
func TestRunFaults(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, strings.Replace(tinyRun, "algorithms: [round-robin, random]", `algorithms: [round-robin]
faults:
  - {at: 0s, target: web-1, kind: errors, probability: 1}
  - {at: 0s, target: web-2, kind: crash}`, 1))
	var mu sync.Mutex
	var events []Event
	s, err := Run(context.Background(), sc, Options{OnEvent: func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := s.Algorithms[0]
	web0, web1, web2 := a.Servers[0], a.Servers[1], a.Servers[2]
	if a.Requests != 200 || a.Completed != web0.Requests || a.Errors.Failed != web1.Requests+web2.Requests {
		t.Errorf("requests %d, completed %d, failed %d; servers %+v", a.Requests, a.Completed, a.Errors.Failed, a.Servers)
	}
	if web1.Errors != web1.Requests || web2.Errors != web2.Requests || web0.Errors != 0 {
		t.Errorf("errors by server: %d/%d, %d/%d, %d/%d; want all of web-1's and web-2's", web0.Errors, web0.Requests, web1.Errors, web1.Requests, web2.Errors, web2.Requests)
	}
	// Round-robin: a third each.
	for _, srv := range a.Servers {
		if srv.Requests < 60 || srv.Requests > 74 {
			t.Errorf("%s: %d requests, want about 67", srv.Name, srv.Requests)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for _, e := range events {
		// Both faults are at 0s: applied at or after the start (how long
		// after depends on the machine: no bound).
		if e.Label != "round-robin" || e.AtMS < 0 || e.Kind == "" {
			t.Errorf("event %+v", e)
		}
		got = append(got, e.Server+" "+e.What)
	}
	slices.Sort(got)
	if want := []string{"web-1 errors 1", "web-2 crash"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestRunCancelled cancels a run midway: Run returns the context's error at
// once, writes no vegeta file and leaves nothing running.
func TestRunCancelled(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, strings.Replace(tinyRun, "requests: 200", "requests: 100000", 1))
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	begin := time.Now()
	_, err := Run(ctx, sc, Options{VegetaDir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run cancelled: %v, want context.Canceled", err)
	}
	// 100000 requests at 300/s take minutes: returning at all shows that
	// the cancellation was noticed (the run stopped well short of its end).
	if d := time.Since(begin); d > 2*time.Minute {
		t.Errorf("Run took %v to notice the cancellation", d)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a cancelled run left %d files in the vegeta directory", len(entries))
	}
}

func TestLayout(t *testing.T) {
	sc := parse(t, tinyRun)
	l := Layout(sc, 3)
	for _, key := range []string{"backends", "proxy", "load", "order", "gomaxprocs", "network"} {
		if l[key] == "" {
			t.Errorf("Layout lacks %q: %v", key, l)
		}
	}
	if !strings.Contains(l["order"], "3 repetition") || l["network"] != "loopback" {
		t.Errorf("Layout: %v", l)
	}
	sc.Network.Value = time.Millisecond
	if l := Layout(sc, 1); !strings.Contains(l["network"], "not emulated") {
		t.Errorf("a network delay is not flagged: %q", l["network"])
	}
}

func countResults(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	n := 0
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			return n
		}
		n++
	}
}

// TestRunSignals runs the algorithms that learn from probes (prequal) and
// from idle announcements (join-idle-queue) over two proxies.
func TestRunSignals(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, `name: signals
seed: 7
requests: 150
warmup: 50ms
arrivals: {process: poisson, rate: 300}
clients: 20
balancers: 2
servers:
  - {name: web, count: 3, service: {dist: constant, value: 2ms}}
algorithms: [prequal, join-idle-queue]
`)
	s, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Algorithms) != 2 {
		t.Fatalf("%d algorithms", len(s.Algorithms))
	}
	for _, a := range s.Algorithms {
		if a.Completed != a.Requests || a.Errors.Rejected+a.Errors.Failed+a.Errors.Timeout != 0 {
			t.Errorf("%s: %d of %d completed, errors %+v", a.Label, a.Completed, a.Requests, a.Errors)
		}
	}
}

// checkTrace reads a captured trace: the first repetition's every request,
// in order of sending, each with its schedule's client, the backend that
// served it and a service time of the scenario's 2ms.
func checkTrace(t *testing.T, path string, sched *schedule) {
	t.Helper()
	recs, err := trace.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]int{}
	for _, a := range sched.arrivals {
		clients[strconv.Itoa(a.Client)]++
	}
	n := len(recs)
	for k, r := range recs {
		clients[r.Client]--
		if r.Outcome != trace.OK || !strings.HasPrefix(r.Server, "web-") || r.Service < 2*time.Millisecond || r.Service > 20*time.Millisecond || r.Latency < r.Service {
			t.Errorf("%s: request %d: %+v", path, k, r)
		}
	}
	if n != len(sched.arrivals) {
		t.Errorf("%s: %d requests, want the schedule's %d", path, n, len(sched.arrivals))
	}
	for c, k := range clients {
		if k != 0 {
			t.Errorf("%s: client %s off by %d", path, c, k)
		}
	}
}
