package realproxy

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// TestRandomCrashFailedShare is the simulator's test of the same name on
// real backends: servers crash at random (the schedule both engines draw
// from the faults stream), nothing checks their health and nothing
// retries, so under random routing the share of failed requests is the
// share of server-time down. The real backends really stop listening, so
// this checks that the schedule reaches them on the attack's clock.
//
// The tolerance is the binomial noise of the arrivals (4 SE), 2 points,
// and what a busy machine's scheduling lag can move: each outage's start
// and end may be applied, and requests sent, up to about the load
// generator's p99 lag late, which shifts the failed share by up to
// 2 x lag per up-down cycle (mtbf + mttr, 2s here).
func TestRandomCrashFailedShare(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, `name: flaky
seed: 4
duration: 8s
arrivals: {process: poisson, rate: 250}
servers:
  - {name: web, count: 5, service: {dist: constant, value: 1ms}}
faults:
  - {target: "web-*", kind: crash, mtbf: 1800ms, mttr: 200ms}
algorithms: [random]
`)
	var lag time.Duration
	s, err := Run(context.Background(), sc, Options{OnPacing: func(p Pacing) { lag = p.LagP99 }})
	if err != nil {
		t.Fatal(err)
	}
	a := s.Algorithms[0]
	if a.Availability == nil {
		t.Fatal("no availability in the summary")
	}
	n := float64(a.Requests)
	got := float64(a.Errors.Failed) / n
	down := 1 - *a.Availability
	se := math.Sqrt(down * (1 - down) / n)
	tol := 4*se + 0.02 + 2*lag.Seconds()/2.0
	t.Logf("failed share %.4f over %d requests; unavailability of the drawn schedule %.4f (SE %.4f); load generator lag p99 %v: tolerance %.4f",
		got, a.Requests, down, se, lag, tol)
	if a.Requests < 1500 || down < 0.03 {
		t.Fatalf("%d requests, unavailability %.4f: the run cannot test anything", a.Requests, down)
	}
	if a.Errors.Rejected != 0 || a.Completed+a.Errors.Failed+a.Errors.Timeout != a.Requests {
		t.Errorf("requests %d, completed %d, errors %+v", a.Requests, a.Completed, a.Errors)
	}
	if math.Abs(got-down) > tol {
		t.Errorf("failed share %.4f, want the unavailability %.4f ± %.4f", got, down, tol)
	}
}
