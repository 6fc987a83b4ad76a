package realproxy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// foreignScenario is a small run over someone else's servers at urls:
// 90 requests at 150 req/s, through four algorithms, with active health
// checks on the servers' URLs. extra is more of the servers list (an
// emulated group). No warm-up, so that every request is measured and
// round-robin's split is even (at most one apart) whatever order a
// busy machine delivers them in.
func foreignScenario(urls []string, extra string) string {
	return fmt.Sprintf(`name: own
seed: 11
requests: 90
arrivals: {process: poisson, rate: 150}
clients: 30
servers:
  - {name: web, urls: [%s]}
%shealth_check: {active: {interval: 200ms, timeout: 2s, rise: 1, fall: 3}}
algorithms: [round-robin, least-connections, p2c, random]
`, strings.Join(urls, ", "), extra)
}

// TestRunForeign runs bench run's engine against servers that are not
// Fulcrum's (Python's http.server, nginx serving a file, a Go handler
// that sleeps and lies in Fulcrum's headers, and the same beside an
// emulated group) and checks, for every algorithm: every request
// answered, none failed, the servers named web-0.. with their requests
// summing to the total (round-robin's split even), per-server latency
// from the proxy's accounting, utilisation unknown (NaN, null in
// summary.json) for someone else's servers and measured for the emulated
// ones, no queueing read from a foreign header, and no health change.
func TestRunForeign(t *testing.T) {
	for _, tc := range []struct {
		name   string
		start  func(t *testing.T) []string
		extra  string
		minLat float64 // ms, a floor every served server's mean latency must reach
	}{
		{"python http.server", func(t *testing.T) []string { return startPython(t, 3) }, "", 0},
		{"nginx", func(t *testing.T) []string { return startNginx(t, 3) }, "", 0},
		{"go handler that sleeps", func(t *testing.T) []string { return startSleepers(t, 3, 3*time.Millisecond) }, "", 3},
		{"beside emulated servers", func(t *testing.T) []string { return startSleepers(t, 2, 3*time.Millisecond) },
			"  - {name: emu, count: 2, service: {dist: constant, value: 3ms}}\n", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			urls := tc.start(t)
			sc := parse(t, foreignScenario(urls, tc.extra))
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
			if len(events) != 0 {
				t.Errorf("events %+v; want none (every server healthy throughout)", events)
			}
			list := sc.ServerList()
			if len(s.Algorithms) != 4 {
				t.Fatalf("%d algorithms", len(s.Algorithms))
			}
			for _, a := range s.Algorithms {
				if a.Requests != 90 || a.Completed != 90 || a.Errors != (report.Errors{}) {
					t.Errorf("%s: requests %d, completed %d, errors %+v; want 90, all completed", a.Label, a.Requests, a.Completed, a.Errors)
				}
				if tc.extra == "" && a.WaitProbability != 0 { // the emulated servers do queue
					t.Errorf("%s: wait probability %v read from someone else's X-Fulcrum-Queue", a.Label, a.WaitProbability)
				}
				if len(a.Servers) != len(list) {
					t.Fatalf("%s: %d servers, want %d", a.Label, len(a.Servers), len(list))
				}
				var sum int64
				lo, hi := int64(math.MaxInt64), int64(0)
				for j, srv := range a.Servers {
					sum += srv.Requests
					lo, hi = min(lo, srv.Requests), max(hi, srv.Requests)
					if srv.Name != list[j].Name || srv.Errors != 0 {
						t.Errorf("%s: server %d is %s with %d errors, want %s and none", a.Label, j, srv.Name, srv.Errors, list[j].Name)
					}
					if foreign := list[j].URL != ""; foreign == srv.UtilizationKnown() {
						t.Errorf("%s: %s utilisation %v; want unknown (NaN) exactly for someone else's servers", a.Label, srv.Name, srv.Utilization)
					}
					if srv.Requests > 0 && !(srv.Latency.Mean > tc.minLat) {
						t.Errorf("%s: %s mean latency %v ms, want above %v", a.Label, srv.Name, srv.Latency.Mean, tc.minLat)
					}
				}
				if sum != a.Requests {
					t.Errorf("%s: servers' requests sum to %d, want %d (%+v)", a.Label, sum, a.Requests, a.Servers)
				}
				if a.Label == "round-robin" && hi-lo > 1 {
					t.Errorf("round-robin: requests per server from %d to %d; want an even split (%+v)", lo, hi, a.Servers)
				}
			}
			// summary.json: unknown utilisation is null, and reads back as NaN.
			b, err := report.EncodeSummary(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(string(b), `"utilization": null`); got != 4*len(urls) {
				t.Errorf("summary.json has %d null utilisations, want %d (4 algorithms x %d servers)", got, 4*len(urls), len(urls))
			}
		})
	}
}

// TestRunForeignRefuses checks what bench run's engine refuses on
// someone else's servers before starting anything: algorithms that need
// the servers' help, at their lines.
func TestRunForeignRefuses(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, strings.Replace(foreignScenario([]string{"http://127.0.0.1:1"}, ""),
		"algorithms: [round-robin, least-connections, p2c, random]", "algorithms:\n  - round-robin\n  - join-idle-queue\n  - {name: prequal, label: pq}", 1))
	_, err := Run(context.Background(), sc, Options{})
	var es scenarios.Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("got %v, want two problems", err)
	}
	want := []string{
		"test.yaml:11: algorithms[1]: join-idle-queue learns which servers are idle from their announcements, which someone else's servers (urls) do not give; bench run cannot run it on them (sim run can, with a fitted service)",
		"test.yaml:12: algorithms[2]: pq learns the servers' load from their probe endpoint, which someone else's servers (urls) do not give; bench run cannot run it on them (sim run can, with a fitted service)",
	}
	for i, e := range es {
		if e.Error() != want[i] {
			t.Errorf("got\n%s\nwant\n%s", e, want[i])
		}
	}
}

// TestRigScenarioForeign checks that the rig stands emulated zero-service
// servers in for someone else's, one per URL, so that it measures the
// harness and not them.
func TestRigScenarioForeign(t *testing.T) {
	sc := parse(t, foreignScenario([]string{"http://127.0.0.1:5001", "http://127.0.0.1:5002"}, ""))
	r := RigScenario(sc)
	list := r.ServerList()
	if r.Foreign() || len(list) != 2 || list[0].Name != "web-0" || list[1].URL != "" || list[1].Service.Dist != "constant" {
		t.Errorf("rig servers %+v", list)
	}
	if !sc.Foreign() || sc.ServerList()[1].URL != "http://127.0.0.1:5002" {
		t.Error("RigScenario changed the scenario")
	}
}

// TestRunForeignMembership runs someone else's servers that join the
// pool late and leave it early beside emulated ones: the proxies' set
// changes (join, leave, drained in the timeline), no request fails, the
// servers' own counts of what reached them equal the proxy's accounting
// exactly (no warm-up, no health checks: every request is counted, and
// nothing else reaches them), and they still listen afterwards (a leave
// only takes them out of the pool).
func TestRunForeignMembership(t *testing.T) {
	leakcheck.Check(t)
	urls, counts := startCounters(t, 2)
	sc := parse(t, fmt.Sprintf(`name: members
seed: 4
duration: 1500ms
arrivals: {process: poisson, rate: 200}
servers:
  - {name: emu, count: 2, service: {dist: constant, value: 1ms}}
  - {name: own, urls: [%s], join: 400ms, leave: 1s}
algorithms: [round-robin, least-connections]
`, strings.Join(urls, ", ")))
	s, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int64, 2)
	for _, a := range s.Algorithms {
		if a.Requests == 0 || a.Completed != a.Requests || a.Errors != (report.Errors{}) {
			t.Errorf("%s: requests %d, completed %d, errors %+v", a.Label, a.Requests, a.Completed, a.Errors)
		}
		kinds := map[string][]report.EventKind{}
		for _, e := range a.Events {
			kinds[e.Server] = append(kinds[e.Server], e.Kind)
		}
		for j := range 2 {
			name := fmt.Sprintf("own-%d", j)
			srv := a.Servers[2+j]
			if srv.Name != name || srv.Requests == 0 || srv.UtilizationKnown() {
				t.Errorf("%s: server %+v; want %s with requests, utilisation unknown", a.Label, srv, name)
			}
			got[j] += srv.Requests
			want := []report.EventKind{report.EventJoin, report.EventLeave, report.EventDrained}
			if k := kinds[name]; !slices.Equal(k, want) {
				t.Errorf("%s: %s's events %v; want %v", a.Label, name, k, want)
			}
		}
	}
	for j, c := range counts {
		if n := c.Load(); n != got[j] {
			t.Errorf("own-%d got %d requests; the proxy counted %d", j, n, got[j])
		}
		resp, err := http.Get(urls[j])
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("own-%d does not answer after the run: %v", j, err)
		} else {
			resp.Body.Close()
		}
	}
}
