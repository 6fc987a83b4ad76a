package sim

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// joinScenario: four servers of weight 1 from the start and one of weight
// 3 (three times the workers) that joins at 10s, behind weighted-random
// with a 5s slow start; poisson arrivals at half the capacity of all five.
// The measured window is [warmup, duration).
func joinScenario(warmup, duration time.Duration) *scenarios.Scenario {
	svc := dist.Spec{Dist: "exponential", Mean: 2 * time.Millisecond}
	return &scenarios.Scenario{
		Name: "join", Seed: 1, Warmup: warmup, Duration: duration,
		Arrivals: scenarios.Arrivals{Process: "poisson", Load: 0.5},
		Clients:  1000,
		Servers: []scenarios.ServerGroup{
			{Name: "old", Count: 4, Weight: 1, Concurrency: 1, Service: svc},
			{Name: "new", Count: 1, Weight: 3, Concurrency: 3, Service: svc, Join: 10 * time.Second},
		},
		Network:    dist.Spec{Dist: "constant"},
		Balancers:  1,
		Algorithms: []scenarios.Algorithm{{Name: "weighted-random", Label: "wr", Params: map[string]any{"slow_start": "5s"}}},
	}
}

// TestJoinShare: the joined server's share of the picks, window by window.
// Weighted-random picks independently, so in a window of N picks the
// share X/N has standard deviation at most sqrt(p(1-p)/N) about its
// expectation, the time average of the pick probability
//
//	p(t) = 3 f(t) / (4 + 3 f(t)),  f(t) = max(0.1, (t - 10s) / 5s) during the ramp, 1 after
//
// (arrivals are poisson at a constant rate, so every instant weighs
// alike). Before the join the share is exactly 0 (the server is not
// listed, and does not listen); during the ramp its expectation is the
// integral of p (0.257: clearly below the 3/7 = 0.429 it converges to);
// after the ramp it is 3/7. Each is asserted within 4.5 standard
// deviations (a false alarm about once in 150,000 runs, and the seed is
// fixed).
func TestJoinShare(t *testing.T) {
	p := func(t time.Duration) float64 {
		f := max(0.1, float64(t-10*time.Second)/float64(5*time.Second))
		f = min(f, 1)
		return 3 * f / (4 + 3*f)
	}
	ramp := 0.0 // the mean of p over [10s, 15s], midpoint rule
	const steps = 100000
	for i := range steps {
		ramp += p(10*time.Second + time.Duration((float64(i)+0.5)/steps*float64(5*time.Second)))
	}
	ramp /= steps
	for _, tc := range []struct {
		name     string
		from, to time.Duration
		want     float64
		exact    bool
		minN     int64
	}{
		{"before the join", 0, 10 * time.Second, 0, true, 10000},
		{"during the ramp", 10 * time.Second, 15 * time.Second, ramp, false, 5000},
		{"after the ramp", 15 * time.Second, 60 * time.Second, 3.0 / 7, false, 50000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := RunAlgorithm(context.Background(), joinScenario(tc.from, tc.to), 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			var n, x int64
			for _, s := range a.Servers {
				n += s.Requests
				if s.Name == "new-0" {
					x = s.Requests
				}
			}
			if n < tc.minN || a.Errors.Rejected+a.Errors.Failed+a.Errors.Timeout != 0 {
				t.Fatalf("%d requests (want >= %d), errors %+v", n, tc.minN, a.Errors)
			}
			share := float64(x) / float64(n)
			if tc.exact {
				if x != 0 {
					t.Errorf("new-0 got %d requests before it joined", x)
				}
				return
			}
			sd := math.Sqrt(tc.want * (1 - tc.want) / float64(n))
			t.Logf("new-0's share %.4f over %d picks, expected %.4f, sd %.4f, z = %+.2f", share, n, tc.want, sd, (share-tc.want)/sd)
			if math.Abs(share-tc.want) > 4.5*sd {
				t.Errorf("new-0's share %.4f, want %.4f +- %.4f (4.5 sd)", share, tc.want, 4.5*sd)
			}
		})
	}
}

// restartScenario: a rolling restart of 6 servers, 2 at a time, each
// down 1s, under 70% load with a network delay (requests on the wire when
// a server leaves must still be served), behind alg.
func restartScenario(alg string, params map[string]any) *scenarios.Scenario {
	return &scenarios.Scenario{
		Name: "restart", Seed: 3, Duration: 20 * time.Second, Warmup: time.Second,
		Arrivals: scenarios.Arrivals{Process: "poisson", Load: 0.7},
		Clients:  1000,
		Servers: []scenarios.ServerGroup{
			{Name: "web", Count: 6, Weight: 1, Concurrency: 4, Service: dist.Spec{Dist: "lognormal", Mean: 20 * time.Millisecond, CV: 1}},
		},
		Network:     dist.Spec{Dist: "constant", Value: time.Millisecond},
		Balancers:   2,
		HealthCheck: scenarios.HealthCheck{Active: &scenarios.ActiveCheck{Interval: 500 * time.Millisecond, Timeout: 250 * time.Millisecond, Rise: 2, Fall: 2}},
		Faults:      []scenarios.Fault{{Kind: scenarios.FaultRestart, Target: "web-*", At: 3 * time.Second, Batch: 2, Down: time.Second}},
		Algorithms:  []scenarios.Algorithm{{Name: alg, Label: alg, Params: params}},
	}
}

// TestRollingRestart: with the drain, a rolling restart loses nothing:
// zero errors of any kind (a request that reached a server out of the
// pool would fail: it does not listen). Its timeline has the documented
// structure: batches of 2 in server order; each server leaves, drains
// (after it left, while requests it held finish: not at once under load),
// is down exactly 1s from its drain's end, rejoins; the next batch leaves
// at the instant the last of the previous one rejoined; never more than 2
// out at once.
func TestRollingRestart(t *testing.T) {
	for _, alg := range []struct {
		name   string
		params map[string]any
	}{{"round-robin", nil}, {"least-connections", nil}, {"weighted-least-connections", map[string]any{"slow_start": "2s"}}, {"ring-hash", nil}} {
		t.Run(alg.name, func(t *testing.T) {
			a, err := RunAlgorithm(context.Background(), restartScenario(alg.name, alg.params), 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Errors.Rejected+a.Errors.Failed+a.Errors.Timeout != 0 || a.Completed != a.Requests {
				t.Errorf("errors %+v, %d of %d completed", a.Errors, a.Completed, a.Requests)
			}
			checkRestartTimeline(t, a.Events, 6, 2, 3000, 1000)
		})
	}
}

// checkRestartTimeline checks a rolling restart's events (n servers web-i,
// batch at a time, starting at startMS, down downMS).
func checkRestartTimeline(t *testing.T, events []report.Event, n, batch int, startMS, downMS float64) {
	t.Helper()
	type story struct{ leave, drained, join float64 }
	got := map[string]*story{}
	var order []string
	out, maxOut := 0, 0
	for _, e := range events {
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
	want := make([]string, n)
	for i := range want {
		want[i] = "web-" + string(rune('0'+i))
	}
	if !slices.Equal(order, want) {
		t.Fatalf("servers left in the order %v, want %v", order, want)
	}
	if maxOut != batch {
		t.Errorf("at most %d servers out at once, want %d", maxOut, batch)
	}
	prevBack := startMS
	for b := 0; b < n; b += batch {
		back := 0.0
		for _, name := range want[b:min(b+batch, n)] {
			s := got[name]
			if s.leave != prevBack {
				t.Errorf("%s left at %.3f ms, want %.3f (the previous batch back)", name, s.leave, prevBack)
			}
			if !(s.drained > s.leave) {
				t.Errorf("%s drained at %.3f ms, not after it left at %.3f (it held work under load)", name, s.drained, s.leave)
			}
			if math.Abs(s.join-(s.drained+downMS)) > 1e-6 {
				t.Errorf("%s rejoined at %.3f ms, want its drain's end + down = %.3f", name, s.join, s.drained+downMS)
			}
			back = max(back, s.join)
		}
		prevBack = back
	}
}
