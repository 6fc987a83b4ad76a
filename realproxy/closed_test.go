package realproxy

import (
	"context"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// TestRunClosedLoop: a closed loop on real HTTP sends exactly the request
// cap of measured requests (each user waiting for its answer before it
// thinks and sends again), every one is answered and counted on a server,
// and the window is the cap's. No bound on time: the figures that must
// hold at any speed are counts.
func TestRunClosedLoop(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, `name: closed
seed: 3
requests: 300
warmup: 50ms
arrivals:
  process: closed
  users: 4
  think: {dist: exponential, mean: 2ms}
classes: [{name: a, weight: 3}, {name: b, weight: 1, size: 2}]
servers: [{name: web, count: 2, service: {dist: exponential, mean: 1ms}}]
algorithms: [least-connections]
`)
	var paced []Pacing
	s, err := Run(context.Background(), sc, Options{OnPacing: func(p Pacing) { paced = append(paced, p) }})
	if err != nil {
		t.Fatal(err)
	}
	a := s.Algorithms[0]
	if a.Requests != 300 || a.Completed != 300 {
		t.Errorf("requests %d, completed %d; want the cap, 300, all answered", a.Requests, a.Completed)
	}
	var perServer, perClass int64
	for _, srv := range a.Servers {
		perServer += srv.Requests
	}
	for _, c := range a.Classes {
		perClass += c.Requests
	}
	if perServer != 300 || perClass != 300 || len(a.Classes) != 2 {
		t.Errorf("servers count %d requests, classes %d (%d classes); want 300 each", perServer, perClass, len(a.Classes))
	}
	if a.ThroughputRPS <= 0 || a.Latency.Mean <= 0 {
		t.Errorf("throughput %v, mean latency %v", a.ThroughputRPS, a.Latency.Mean)
	}
	// Sent: the warm-up's requests, the 300 measured, and at most one in
	// flight per user past the cap is not sent at all.
	if len(paced) != 1 || paced[0].Sent < 300 {
		t.Errorf("pacing %+v", paced)
	}
}
