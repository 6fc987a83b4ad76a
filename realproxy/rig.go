package realproxy

import (
	"context"
	"fmt"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// The rig measurement's size (DESIGN.md §8). At least rigMinRequests, so
// that the rig's p99 and its 1000-point quantile grid rest on about as
// many requests as points; at most rigMaxRequests, so that it costs a few
// seconds at the usual rates (3000 at 480 req/s: ~6 s), not another
// algorithm's worth of a long run; in between, the scenario's own measured
// requests. rigMaxWindow caps its time at slow rates (at 20 req/s, 30 s:
// 600 requests); rigMaxWarmup keeps the warm-up, which only opens
// connections and starts goroutines when nothing is served, short.
// Variables for the tests, which keep their real runs to a few hundred
// requests.
var (
	rigMinRequests int64 = 1000
	rigMaxRequests int64 = 3000
)

const (
	rigMaxWindow = 30 * time.Second
	rigMaxWarmup = 500 * time.Millisecond
)

// RigLabel is the rig measurement's label, in its errors and its Pacing.
const RigLabel = "rig"

// Rig is the rig's own latency: what the load generator, the proxy, the two
// loopback hops and the backends' HTTP handling add to a request that the
// scenario does not describe, measured by MeasureRig.
type Rig struct {
	Requests  int64   // measured (post-warm-up) zero-service requests
	Completed int64   // of which answered 200
	Rate      float64 // their arrival rate in req/s: the scenario's
	// Latency is in ms: the exact mean, and p50 and p99 from the HDR
	// histogram, as run.json records it.
	Latency report.RigLatency
	// Quantiles is the latency distribution as report.QuantileGrid points
	// in ms, the shape of report.Algorithm.LatencyQuantiles, for
	// metrics.CorrectForRig.
	Quantiles []float64
}

// RigScenario is the scenario MeasureRig runs for sc: a clone with the same
// servers (count, concurrency, queue limit, weight; emulated, one per URL,
// for a group of urls), balancers, clients,
// seed and arrival process at the same absolute rate (arrivals.rate set to
// sc.ArrivalRate(), load cleared), but every service time constant 0s, no
// network delay, no faults, no health checks, no timeout or retries, one
// algorithm (round-robin, labelled RigLabel), a warm-up of at most
// rigMaxWarmup, and sc's measured requests clamped to [rigMinRequests,
// rigMaxRequests], within rigMaxWindow after the warm-up. It is not
// Validate's kind of scenario (a zero service time has no capacity), only
// Run's. Callers use it to size a progress display (cli.ExpectedArrivals).
func RigScenario(sc *scenarios.Scenario) *scenarios.Scenario {
	r := sc.Clone()
	rate := sc.ArrivalRate()
	if sc.Arrivals.Process == "closed" {
		// A closed loop's rig is measured open, at the throughput bound
		// the loop cannot exceed (model.ExpectedRate), from its users.
		rate = model.ExpectedRate(sc)
		r.Arrivals = scenarios.Arrivals{Process: "poisson"}
		r.Clients = max(sc.Arrivals.Users, 1)
	}
	r.Arrivals.Rate, r.Arrivals.Load = rate, 0
	// The rig measures the harness, not the traffic's shape or classes.
	r.Arrivals.States, r.Arrivals.Profile, r.Arrivals.Sine = nil, nil, nil
	if r.Arrivals.Process == "mmpp" {
		r.Arrivals.Process = "poisson"
	}
	r.Classes = nil
	for i := range r.Servers {
		// Someone else's servers are measured as the emulated ones
		// standing in for them: one per URL, answering at once, so that
		// the rig is the harness's own cost, not theirs.
		r.Servers[i].URLs = nil
		r.Servers[i].Service = dist.Spec{Dist: "constant"}
		r.Servers[i].Join, r.Servers[i].Leave = 0, 0 // the whole pool throughout
	}
	r.Network = dist.Spec{Dist: "constant"}
	r.HealthCheck = scenarios.HealthCheck{}
	r.Timeout, r.Retries = 0, 0
	r.Faults = nil
	r.Algorithms = []scenarios.Algorithm{{Name: "round-robin", Label: RigLabel}}
	r.Warmup = min(sc.Warmup, rigMaxWarmup)
	r.Requests = min(max(measuredRequests(sc, rate), rigMinRequests), rigMaxRequests)
	r.Duration = r.Warmup + rigMaxWindow
	return r
}

// measuredRequests is how many measured requests sc asks for: its request
// cap, or its duration after the warm-up at rate, whichever is less;
// rigMaxRequests if it sets neither.
func measuredRequests(sc *scenarios.Scenario, rate float64) int64 {
	n := rigMaxRequests
	if sc.Requests > 0 {
		n = sc.Requests
	}
	if sc.Duration > 0 {
		n = min(n, int64(rate*(sc.Duration-sc.Warmup).Seconds()))
	}
	return n
}

// MeasureRig measures the rig's own latency at sc's arrival rate: it runs
// the real engine itself (Run) on RigScenario(sc), so that the requests
// cross the same load generator, proxy, loopback hops and backend HTTP
// handling as the measurement, with nothing for the backends to do. Of
// opt, Progress (the rig's answered requests, as Run reports them),
// OnPacing (one Pacing labelled RigLabel) and Observer (its proxy labelled
// RigLabel) are used; Repeat, VegetaDir and
// OnEvent are not (one measurement, no files, no faults). Everything it
// starts is stopped before it returns. It fails if no request completed,
// as a rig that answers nothing has no latency to add.
func MeasureRig(ctx context.Context, sc *scenarios.Scenario, opt Options) (*Rig, error) {
	rs := RigScenario(sc)
	s, err := Run(ctx, rs, Options{Progress: opt.Progress, OnPacing: opt.OnPacing, Observer: opt.Observer})
	if err != nil {
		return nil, err
	}
	a := s.Algorithms[0]
	if a.Completed == 0 || len(a.LatencyQuantiles) == 0 {
		return nil, fmt.Errorf("realproxy: %s: none of %d zero-service requests completed (errors: %d rejected, %d failed, %d timed out)",
			RigLabel, a.Requests, a.Errors.Rejected, a.Errors.Failed, a.Errors.Timeout)
	}
	return &Rig{
		Requests:  a.Requests,
		Completed: a.Completed,
		Rate:      rs.Arrivals.Rate,
		Latency:   report.RigLatency{Mean: a.Latency.Mean, P50: a.Latency.P50, P99: a.Latency.P99},
		Quantiles: a.LatencyQuantiles,
	}, nil
}
