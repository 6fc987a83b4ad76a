package realproxy

import (
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// proxyHedge and proxyBudget are the scenario's hedge and retry_budget as
// the proxy's configuration takes them; nil when the scenario has none.
// The scenario's cancel goes to the backends (backend.StartGroup): the
// proxy always closes the requests it gives up on.
func proxyHedge(h *scenarios.Hedge) *proxy.Hedge {
	if h == nil {
		return nil
	}
	return &proxy.Hedge{After: h.After, Percentile: h.Percentile, Max: h.Max}
}

func proxyBudget(b *scenarios.RetryBudget) *proxy.RetryBudget {
	if b == nil {
		return nil
	}
	return &proxy.RetryBudget{Ratio: b.Ratio, MinPerSecond: b.MinPerSecond}
}
