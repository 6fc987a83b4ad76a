package realproxy

import (
	"context"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// A real run of a hedging scenario reports its hedges in summary.json, as
// the proxy counted them per measured request: one backend of four is 50
// times slower (100ms), so round-robin's requests to it are hedged after
// 10ms and the hedge wins. Counts only: sent >= won > 0, at most one hedge
// per request, and retries present (zero: nothing failed).
func TestRunHedges(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, `name: hedge
seed: 3
requests: 300
warmup: 100ms
arrivals: {process: poisson, rate: 200}
servers:
  - {name: web, count: 4, concurrency: 2, service: {dist: constant, value: 2ms}}
faults:
  - {at: 0s, target: web-3, kind: slowdown, factor: 50}
hedge: {after: 10ms, max: 1}
cancel: true
algorithms: [round-robin]
`)
	s, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := s.Algorithms[0]
	if a.Hedges == nil || a.Retries == nil {
		t.Fatalf("hedges %v, retries %v", a.Hedges, a.Retries)
	}
	h := *a.Hedges
	t.Logf("%d requests: hedges %+v, retries %+v, p99 %.1fms", a.Requests, h, *a.Retries, a.Latency.P99)
	if h.Won < 1 || h.Sent < h.Won || h.Sent > a.Requests || h.DeniedByBudget != 0 || a.Retries.Sent != 0 {
		t.Errorf("hedges %+v, retries %+v of %d requests", h, *a.Retries, a.Requests)
	}
	if a.Completed != a.Requests {
		t.Errorf("%d of %d completed", a.Completed, a.Requests)
	}
}
