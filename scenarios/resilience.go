package scenarios

import (
	"fmt"
	"time"
)

// Resilience settings of DESIGN.md §7: hedged requests, cancellation and
// retry budgets. Each is absent from a §3 file, and then the engines behave
// exactly as before they existed.

// Hedge sends more attempts of a request that has no answer after a delay
// (grpc's hedging policy, Finagle's BackupRequestFilter): a fixed After, or
// the Percentile of the balancer's recent successful attempt latencies
// (model.HedgeDelay). Exactly one of After and Percentile is set.
type Hedge struct {
	After      time.Duration // > 0, or 0 when Percentile is set
	Percentile float64       // in (0, 100), or 0 when After is set
	Max        int           // further attempts per request, >= 0 (0: hedging off); default 1
}

// RetryBudget bounds retries and hedges together (Finagle's RetryBudget,
// Envoy's retry budgets): one is allowed while, over the last 10s, they
// stay at most Ratio x requests + MinPerSecond x 10 (model.Budget).
type RetryBudget struct {
	Ratio        float64 // >= 0; default 0.2
	MinPerSecond float64 // >= 0; default 10
}

// The defaults of the resilience keys.
const (
	defaultHedgeMax        = 1
	defaultBudgetRatio     = 0.2
	defaultBudgetMinPerSec = 10
	maxHedges              = 16
	resilienceHedgeExample = "e.g. hedge: {after: 20ms, max: 1} or hedge: {percentile: 95}"
)

var (
	hedgeKeys  = []string{"after", "percentile", "max"}
	budgetKeys = []string{"ratio", "min_per_second"}
)

// resilience decodes hedge, cancel and retry_budget from the scenario's
// mapping.
func (d *decoder) resilience(f *fields, s *Scenario) {
	if n := f.raw("hedge"); n != nil {
		if r := d.resolve(n); isNull(r) {
			d.failf(r.Line, "hedge", "empty: give a delay or a percentile, %s; remove it for no hedging", resilienceHedgeExample)
		} else if hf, ok := d.mapping(n, "hedge", "hedging settings", hedgeKeys); ok {
			h := &Hedge{Max: defaultHedgeMax}
			hf.duration("after", &h.After)
			hf.float("percentile", &h.Percentile)
			hf.int("max", &h.Max)
			s.Hedge = h
		}
	}
	if n := f.node("cancel"); n != nil {
		if r, ok := d.scalar(n, "cancel", "true or false"); ok {
			var b bool
			if r.ShortTag() != "!!bool" || r.Decode(&b) != nil {
				d.failf(r.Line, "cancel", "expected true or false, got %s", quote(r.Value))
			} else {
				s.Cancel = b
			}
		}
	}
	if n := f.raw("retry_budget"); n != nil {
		if r := d.resolve(n); isNull(r) {
			d.failf(r.Line, "retry_budget", "empty: write retry_budget: {} for the defaults (ratio %g, min_per_second %g), or remove it for no budget",
				float64(defaultBudgetRatio), float64(defaultBudgetMinPerSec))
		} else if bf, ok := d.mapping(n, "retry_budget", "retry budget settings", budgetKeys); ok {
			b := &RetryBudget{Ratio: defaultBudgetRatio, MinPerSecond: defaultBudgetMinPerSec}
			bf.float("ratio", &b.Ratio)
			bf.float("min_per_second", &b.MinPerSecond)
			s.RetryBudget = b
		}
	}
}

// resilience checks hedge and retry_budget.
func (v *validator) resilience() {
	s := v.s
	if h := s.Hedge; h != nil {
		switch {
		case h.After != 0 && h.Percentile != 0:
			v.errorf("hedge", "after and percentile are both set; give one: a fixed delay or a percentile of recent latencies")
		case h.After < 0 || h.After == 0 && h.Percentile == 0 && v.given("hedge.after"):
			v.errorf("hedge.after", "must be > 0, got %v", h.After)
		case h.After == 0 && h.Percentile == 0 && !v.given("hedge.percentile"):
			v.errorf("hedge", "needs after (a fixed delay) or percentile (of recent latencies), %s", resilienceHedgeExample)
		case h.After == 0 && !(h.Percentile > 0 && h.Percentile < 100):
			v.errorf("hedge.percentile", "must be between 0 and 100 (exclusive), got %g", h.Percentile)
		}
		if h.Max < 0 || h.Max > maxHedges {
			v.errorf("hedge.max", "must be between 0 (no hedging) and %d, got %d", maxHedges, h.Max)
		}
	}
	if b := s.RetryBudget; b != nil {
		if !(b.Ratio >= 0) || b.Ratio > 1000 {
			v.errorf("retry_budget.ratio", "must be between 0 and 1000 (retries and hedges per request), got %g", b.Ratio)
		}
		if !(b.MinPerSecond >= 0) || b.MinPerSecond > 1e9 {
			v.errorf("retry_budget.min_per_second", "must be >= 0 (and finite), got %g", b.MinPerSecond)
		}
	}
}

// resolvedHedge and resolvedBudget are summary.json's scenario_resolved
// forms; absent (omitempty) when the scenario does not set them.
type resolvedHedge struct {
	After      string  `json:"after,omitempty"`
	Percentile float64 `json:"percentile,omitempty"`
	Max        int     `json:"max"`
}

type resolvedBudget struct {
	Ratio        float64 `json:"ratio"`
	MinPerSecond float64 `json:"min_per_second"`
}

func resolveResilience(s *Scenario, r *resolvedScenario) {
	if h := s.Hedge; h != nil {
		r.Hedge = &resolvedHedge{Percentile: h.Percentile, Max: h.Max}
		if h.Percentile == 0 {
			r.Hedge.After = dur(h.After)
		}
	}
	if s.Cancel {
		r.Cancel = &s.Cancel
	}
	if b := s.RetryBudget; b != nil {
		r.RetryBudget = &resolvedBudget{b.Ratio, b.MinPerSecond}
	}
}

// HedgeString describes s's hedging for tables: "after 20ms, max 1",
// "p95, max 1"; "" without.
func (s *Scenario) HedgeString() string {
	h := s.Hedge
	if h == nil {
		return ""
	}
	if h.Percentile > 0 {
		return fmt.Sprintf("p%g, max %d", h.Percentile, h.Max)
	}
	return fmt.Sprintf("after %v, max %d", h.After, h.Max)
}
