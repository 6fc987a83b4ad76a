package sim

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/model/modeltest"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// TestHealthAdapter runs the scripts every engine must pass
// (modeltest.HealthCases) through the simulator's health adapter: the steps
// arrive as the engine's probe results and attempts' ends at their
// simulated times, ejections end through the event queue, and the verdicts
// are the health events the balancer was told of.
func TestHealthAdapter(t *testing.T) {
	for _, c := range modeltest.HealthCases {
		t.Run(c.Name, func(t *testing.T) {
			yaml := fmt.Sprintf(`name: h
requests: 10
arrivals: {rate: 100}
servers: [{name: s, count: %d, service: {dist: constant, value: 1ms}}]
algorithms: [round-robin]
health_check:
`, c.Servers)
			if r := c.Rules; r.Fall > 0 {
				yaml += fmt.Sprintf("  active: {interval: 1h, timeout: 1s, rise: %d, fall: %d}\n", r.Rise, r.Fall)
			}
			if r := c.Rules; r.ConsecutiveFailures > 0 {
				yaml += fmt.Sprintf("  passive: {consecutive_failures: %d, ejection: %v}\n", r.ConsecutiveFailures, r.Ejection)
			}
			sc, err := scenarios.Parse("h.yaml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			e, err := newEngine(sc, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := healthRules(sc.HealthCheck); got != c.Rules {
				t.Fatalf("rules %+v, want %+v", got, c.Rules)
			}
			e.q = eventQueue{} // only the adapter's own events from here on
			until := func(at time.Duration) {
				for e.q.len() > 0 && e.q.top().at <= at {
					ev := e.q.pop()
					e.q.now = ev.at
					e.dispatch(&ev)
				}
				e.q.now = at
			}
			for _, st := range c.Steps {
				until(st.At)
				switch st.Kind {
				case modeltest.Probe:
					e.probeResult(0, st.Server, st.OK)
				case modeltest.Attempt:
					e.passive(0, st.Server, st.OK)
				}
			}
			until(c.Until)
			var got []modeltest.Verdict
			for _, ev := range e.rec.Result(sc.Algorithms[0]).Events {
				if ev.Kind == report.EventHealth {
					got = append(got, modeltest.Verdict{At: time.Duration(ev.AtMS * 1e6), Server: slices.Index(e.names, ev.Server), Healthy: ev.End})
				}
			}
			if !slices.Equal(got, c.Want) {
				t.Errorf("verdicts:\n%s\nwant:\n%s", modeltest.Format(got), modeltest.Format(c.Want))
			}
			for si := range c.Servers {
				if e.bals[0].view[si].Healthy != e.bals[0].health.Healthy(si) {
					t.Errorf("server %d: the balancer's view disagrees with the verdict", si)
				}
			}
		})
	}
}
