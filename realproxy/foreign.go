package realproxy

import (
	"fmt"
	"math/rand/v2"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Someone else's servers (DESIGN.md §9, a scenario's servers[].urls): Run
// proxies to them instead of starting emulated backends for their group.
// They send no Fulcrum header, so what is known of them is the proxy's
// own accounting:
//
//   - which server a request went to: the proxy's X-Forwarded-Server
//     (the backend URL, on every answer it passes on and on its own 502
//     and 504), never a header the server itself sends;
//   - its latency and outcome, at the load generator, through the proxy;
//   - not their busy time: their utilisation is unknown (NaN, null in
//     summary.json), and not whether a request queued there (the
//     emulated servers' X-Fulcrum-Queue).
//
// The active health check, if any, is a GET of the URL as written (a
// server may have no /health), healthy on 200. An algorithm that needs
// the servers' help (join-idle-queue's idle announcements, prequal's
// load probes) is refused: someone else's server gives neither.

// checkForeign refuses the algorithms of sc that someone else's servers
// cannot serve, at the algorithm's line.
func checkForeign(sc *scenarios.Scenario) error {
	if !sc.Foreign() {
		return nil
	}
	var errs scenarios.Errors
	for i, a := range sc.Algorithms {
		b, err := algorithms.New(a.Name, a.Params, rand.NewPCG(1, 1))
		if err != nil {
			continue // the proxy reports it
		}
		why := ""
		if _, ok := b.(algorithms.IdleTracker); ok {
			why = "learns which servers are idle from their announcements"
		} else if _, ok := b.(algorithms.Prober); ok {
			why = "learns the servers' load from their probe endpoint"
		}
		if why == "" {
			continue
		}
		errs = append(errs, sc.ErrorAt(fmt.Sprintf("algorithms[%d]", i),
			"%s %s, which someone else's servers (urls) do not give; bench run cannot run it on them (sim run can, with a fitted service)",
			a.Label, why).(*scenarios.Error))
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
