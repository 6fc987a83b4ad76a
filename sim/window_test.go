package sim

import (
	"math"
	"testing"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// TestWindowEndsAtDuration: when the last answer comes before the duration
// ends the measured window, the window still ends at the duration and the
// servers' busy time is read then (it was lost: utilisation 0). Constant
// 1ms jobs at 5 req/s on 2 servers for 10s: each server is busy 2.5ms per
// second, give or take the Poisson count (50 ± 7 jobs in all).
func TestWindowEndsAtDuration(t *testing.T) {
	sc, err := scenarios.Parse("w.yaml", []byte(`name: w
duration: 10s
arrivals: {process: poisson, rate: 5}
servers: [{name: s, count: 2, service: {dist: constant, value: 1ms}}]
algorithms: [round-robin]
`))
	if err != nil {
		t.Fatal(err)
	}
	e := simulate(t, sc)
	r := e.result(0)
	if e.windowEnd != sc.Duration {
		t.Errorf("window ends at %v, want the duration %v", e.windowEnd, sc.Duration)
	}
	// Utilisation = jobs x 1ms / (10s x 2 servers), exactly.
	want := float64(r.Completed) * 1e-3 / (10 * 2)
	var got float64
	for _, s := range r.Servers {
		got += s.Utilization / 2
	}
	if math.Abs(got-want) > 1e-9 || got == 0 {
		t.Errorf("mean utilisation %v, want %v (%d jobs of 1ms over 10s on 2 servers)", got, want, r.Completed)
	}
}
