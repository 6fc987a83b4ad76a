package sim

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// TestRandomCrashFailedShare: with servers that crash at random (up times
// of mean MTBF, down times of mean MTTR), no health checks and no retries,
// random routing sends each request to a server that is down with the
// probability that a server is down, so the share of failed requests is
// MTTR / (MTBF + MTTR) (Poisson arrivals see time averages).
//
// Two checks, each with its own noise: against the run's own unavailability
// (1 - availability, measured from the schedule actually drawn), only the
// binomial noise of the arrivals remains; against the closed form, the
// schedule's own sampling noise is added (an alternating renewal process
// with exponential phases over T seconds has a time-average variance of
// 2 p (1-p) tau / T with tau = 1 / (1/MTBF + 1/MTTR), per server).
func TestRandomCrashFailedShare(t *testing.T) {
	for _, c := range []struct {
		mtbf, mttr float64 // seconds
	}{
		{9, 1},
		{3, 1},
		{19.5, 0.5},
	} {
		t.Run(fmt.Sprintf("mtbf=%gs,mttr=%gs", c.mtbf, c.mttr), func(t *testing.T) {
			const servers, seconds, rate = 20, 2000.0, 100.0
			sc, err := scenarios.Parse("flaky.yaml", []byte(fmt.Sprintf(`name: flaky
seed: 3
duration: %gs
arrivals: {rate: %g}
servers: [{name: web, count: %d, service: {dist: exponential, mean: 1ms}}]
faults:
  - {target: "web-*", kind: crash, mtbf: %gs, mttr: %gs}
algorithms: [random]
`, seconds, rate, servers, c.mtbf, c.mttr)))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Run(context.Background(), sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			a := s.Algorithms[0]
			if a.Availability == nil {
				t.Fatal("no availability in the summary")
			}
			if a.Errors.Rejected != 0 || a.Errors.Timeout != 0 {
				t.Errorf("errors %+v: only failures expected", a.Errors)
			}
			n := float64(a.Requests)
			got := float64(a.Errors.Failed) / n
			p := c.mttr / (c.mtbf + c.mttr)
			down := 1 - *a.Availability
			binom := math.Sqrt(p * (1 - p) / n)
			tau := 1 / (1/c.mtbf + 1/c.mttr)
			sched := math.Sqrt(2 * p * (1 - p) * tau / seconds / servers)
			t.Logf("failed share %.5f over %d requests; realised unavailability %.5f; theory %.5f (SE %.5f arrivals, %.5f schedule)",
				got, a.Requests, down, p, binom, sched)
			if math.Abs(got-down) > zScore*binom {
				t.Errorf("failed share %.5f, realised unavailability %.5f: differ by more than %d SE (%.5f)", got, down, zScore, zScore*binom)
			}
			if se := math.Hypot(binom, sched); math.Abs(got-p) > zScore*se {
				t.Errorf("failed share %.5f, want MTTR/(MTBF+MTTR) = %.5f ± %.5f", got, p, zScore*se)
			}
		})
	}
}
