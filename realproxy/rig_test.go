package realproxy

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/report"
)

// rigScenario has everything the rig measurement must leave out: a load
// rather than a rate (capacity 2 x 2 / 5ms = 800 req/s, so 400 req/s), a
// crash from the start, health checks, a timeout, retries and two
// algorithms. 300 measured requests: under a second.
const rigScenario = `name: rigged
seed: 2
requests: 300
warmup: 100ms
arrivals: {process: poisson, load: 0.5}
clients: 10
servers:
  - {name: web, count: 2, concurrency: 2, service: {dist: exponential, mean: 5ms}}
health_check: {active: {interval: 1s}, passive: {}}
timeout: 1s
retries: 1
faults:
  - {at: 0s, target: web-0, kind: crash}
algorithms: [least-connections, p2c]
`

func TestRigScenario(t *testing.T) {
	sc := parse(t, rigScenario)
	r := RigScenario(sc)
	if r.Arrivals.Rate != 400 || r.Arrivals.Load != 0 || r.Arrivals.Process != "poisson" {
		t.Errorf("arrivals %+v, want poisson at rate 400 and no load", r.Arrivals)
	}
	if r.ArrivalRate() != sc.ArrivalRate() {
		t.Errorf("rate %v, scenario's %v", r.ArrivalRate(), sc.ArrivalRate())
	}
	g := r.Servers[0]
	if g.Count != 2 || g.Concurrency != 2 || g.Service.Dist != "constant" || g.Service.Value != 0 {
		t.Errorf("servers %+v, want 2 with 2 workers and a constant 0s service", g)
	}
	if r.HealthCheck.Active != nil || r.HealthCheck.Passive != nil || r.Timeout != 0 || r.Retries != 0 || len(r.Faults) != 0 {
		t.Errorf("health %+v, timeout %v, retries %d, faults %v; want none", r.HealthCheck, r.Timeout, r.Retries, r.Faults)
	}
	if len(r.Algorithms) != 1 || r.Algorithms[0].Name != "round-robin" || r.Algorithms[0].Label != RigLabel {
		t.Errorf("algorithms %+v, want round-robin labelled %s", r.Algorithms, RigLabel)
	}
	// The scenario itself is untouched.
	if sc.Arrivals.Load != 0.5 || sc.Servers[0].Service.Dist != "exponential" || len(sc.Faults) != 1 || len(sc.Algorithms) != 2 {
		t.Errorf("RigScenario changed its scenario: %+v", sc)
	}

	// The request count: the scenario's measured requests, clamped.
	for _, tc := range []struct {
		requests         int64
		duration, warmup time.Duration
		want             int64
		wantWarmup       time.Duration
	}{
		{requests: 300, warmup: 100 * time.Millisecond, want: rigMinRequests, wantWarmup: 100 * time.Millisecond},
		{requests: 2000, want: 2000},
		{requests: 200000, warmup: 5 * time.Second, want: rigMaxRequests, wantWarmup: rigMaxWarmup},
		// 400 req/s for 4s after a 1s warm-up: 1600 requests.
		{duration: 5 * time.Second, warmup: time.Second, want: 1600, wantWarmup: rigMaxWarmup},
		// The duration comes first (2000 requests in 5s), then the floor
		// (800 in 2s).
		{requests: 2500, duration: 6 * time.Second, warmup: time.Second, want: 2000, wantWarmup: rigMaxWarmup},
		{requests: 2500, duration: 3 * time.Second, warmup: time.Second, want: rigMinRequests, wantWarmup: rigMaxWarmup},
	} {
		c := sc.Clone()
		c.Requests, c.Duration, c.Warmup = tc.requests, tc.duration, tc.warmup
		r := RigScenario(c)
		if r.Requests != tc.want || r.Warmup != tc.wantWarmup || r.Duration != r.Warmup+rigMaxWindow {
			t.Errorf("requests %d, duration %v, warm-up %v: rig requests %d, warm-up %v, duration %v; want %d, %v, %v",
				tc.requests, tc.duration, tc.warmup, r.Requests, r.Warmup, r.Duration, tc.want, tc.wantWarmup, r.Warmup+rigMaxWindow)
		}
	}
}

// TestMeasureRig measures the rig for real on loopback, a few hundred
// requests, and checks the figures' structure, never their size: how fast
// the machine is is no test's business.
func TestMeasureRig(t *testing.T) {
	leakcheck.Check(t)
	defer func(n int64) { rigMinRequests = n }(rigMinRequests)
	rigMinRequests = 100 // the scenario's own 300, then
	sc := parse(t, rigScenario)
	var answered int64
	var paced []Pacing
	rig, err := MeasureRig(context.Background(), sc, Options{
		Progress: func(n int64) { answered += n },
		OnPacing: func(p Pacing) { paced = append(paced, p) },
		OnEvent:  func(e Event) { t.Errorf("event %+v: the rig has no faults or health checks", e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every request answered: the crash, the other algorithms and the
	// retries were left out.
	if rig.Requests != 300 || rig.Completed != 300 || rig.Rate != 400 {
		t.Errorf("rig: %d requests, %d completed at %v req/s; want 300, 300, 400", rig.Requests, rig.Completed, rig.Rate)
	}
	q := rig.Quantiles
	if len(q) != report.QuantileGrid || !slices.IsSorted(q) || q[0] < 0 {
		t.Errorf("rig grid: %d points, sorted %v, first %v", len(q), slices.IsSorted(q), q[0])
	}
	l := rig.Latency
	t.Logf("rig latency (ms): %+v", l)
	if !(l.Mean > 0) || !(l.P50 > 0) || l.P50 > l.P99 {
		t.Errorf("rig latency %+v: want mean > 0 and 0 < p50 <= p99", l)
	}
	if len(paced) != 1 || paced[0].Label != RigLabel || paced[0].Sent != answered || answered < 300 {
		t.Errorf("pacing %+v, %d answers reported; want one Pacing for %s sending every answer (>= 300)", paced, answered, RigLabel)
	}
}

// TestMeasureRigCancelled: a cancelled context stops the measurement, and
// nothing is left running.
func TestMeasureRigCancelled(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureRig(ctx, parse(t, rigScenario), Options{}); err != context.Canceled {
		t.Errorf("MeasureRig with a cancelled context: %v, want %v", err, context.Canceled)
	}
}
