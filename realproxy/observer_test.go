package realproxy

import (
	"context"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/realproxy/promexport"
)

// TestRunObserver is bench run --admin: the proxies of a run, repeated,
// observed through a promexport.Hub. After the run the Hub holds each
// label's last repetition, whose requests are the load generator's, every
// one of them an ok attempt (the tiny run has no failures).
func TestRunObserver(t *testing.T) {
	leakcheck.Check(t)
	sc := parse(t, tinyRun)
	hub := promexport.NewHub()
	sent := map[string]int64{} // by label, the last repetition's
	s, err := Run(context.Background(), sc, Options{
		Repeat:   2,
		Observer: hub.Observer,
		OnPacing: func(p Pacing) { sent[p.Label] = p.Sent },
	})
	if err != nil {
		t.Fatal(err)
	}
	fams, err := hub.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// Sums of a family's samples by the algorithm label.
	sum := func(name string, outcome string) map[string]float64 {
		out := map[string]float64{}
		for _, f := range fams {
			if f.GetName() != name {
				continue
			}
			for _, m := range f.GetMetric() {
				var alg, balancer, o string
				for _, l := range m.GetLabel() {
					switch l.GetName() {
					case "algorithm":
						alg = l.GetValue()
					case "balancer":
						balancer = l.GetValue()
					case "outcome":
						o = l.GetValue()
					}
				}
				if balancer != "0" {
					t.Errorf("%s: a series of balancer %q (the tiny run has one)", name, balancer)
				}
				if outcome != "" && o != outcome {
					continue
				}
				out[alg] += m.GetCounter().GetValue()
			}
		}
		return out
	}
	requests, ok := sum("fulcrum_requests_total", ""), sum("fulcrum_backend_requests_total", "ok")
	if len(requests) != len(s.Algorithms) {
		t.Errorf("requests by algorithm %v, want one for each of %d", requests, len(s.Algorithms))
	}
	for _, a := range s.Algorithms {
		if sent[a.Label] == 0 || requests[a.Label] != float64(sent[a.Label]) || ok[a.Label] != float64(sent[a.Label]) {
			t.Errorf("%s: the proxy counted %v requests, %v ok attempts; vegeta sent %d in the last repetition",
				a.Label, requests[a.Label], ok[a.Label], sent[a.Label])
		}
	}
}
