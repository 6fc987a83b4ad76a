package realproxy

import (
	"context"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// TestRunLoadInfo runs a scenario with load_info through the real engine:
// the proxy polls the backends, every request completes, each algorithm
// gets a herding index of at least 1 (and at most the server count), and
// nothing is left running.
func TestRunLoadInfo(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, `name: tiny-load
seed: 3
requests: 300
warmup: 100ms
arrivals: {process: poisson, rate: 300}
servers:
  - {name: web, count: 3, service: {dist: exponential, mean: 5ms}}
load_info: {source: servers, refresh: 20ms}
algorithms: [least-connections, round-robin]
`)
	s, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Algorithms {
		if a.Completed != 300 {
			t.Errorf("%s: %d of 300 completed", a.Label, a.Completed)
		}
		if a.Herding == nil || !(*a.Herding >= 1 && *a.Herding <= 3) {
			t.Errorf("%s: herding %v, want a value in [1, 3]", a.Label, a.Herding)
		}
	}
}
