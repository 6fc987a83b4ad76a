package model

import (
	"math"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// step is one move of a hand-driven clock: at, deposit n requests, then
// ask for w withdrawals, of which want are allowed.
type budgetStep struct {
	at         time.Duration
	deposits   int
	ask, allow int
}

func TestBudget(t *testing.T) {
	cases := []struct {
		name  string
		rb    scenarios.RetryBudget
		steps []budgetStep
	}{
		{"floor only: 10/s over 10s is 100 at once", scenarios.RetryBudget{Ratio: 0, MinPerSecond: 10}, []budgetStep{
			{0, 0, 150, 100},
			{5 * time.Second, 0, 10, 0},
			{10 * time.Second, 0, 10, 10}, // the first slice left the window
		}},
		{"ratio only", scenarios.RetryBudget{Ratio: 0.2}, []budgetStep{
			{0, 0, 1, 0},
			{0, 5, 3, 1},
			{time.Second, 50, 20, 10},                        // 55 x 0.2 = 11, 1 spent
			{2 * time.Second, 4, 1, 0},                       // 59 x 0.2 = 11.8
			{3 * time.Second, 1, 1, 1},                       // 60 x 0.2 = 12
			{10 * time.Second, 0, 5, 0},                      // the 0s slice left: 55 x 0.2 = 11, 11 spent since
			{11 * time.Second, 0, 5, 0},                      // 5 x 0.2 = 1, 1 spent at 3s
			{13*time.Second + 100*time.Millisecond, 0, 5, 0}, // nothing left in the window: 0
			{14 * time.Second, 10, 3, 2},
		}},
		{"ratio and floor", scenarios.RetryBudget{Ratio: 0.5, MinPerSecond: 1}, []budgetStep{
			{0, 0, 12, 10},
			{time.Second, 4, 3, 2},
			{9*time.Second + 999*time.Millisecond, 0, 1, 0},
			{10 * time.Second, 0, 13, 10}, // the 0s slice left: 4 x 0.5 + 10 = 12, 2 spent
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBudget(&tc.rb)
			for i, st := range tc.steps {
				for range st.deposits {
					b.Deposit(st.at)
				}
				got := 0
				for range st.ask {
					if b.TryWithdraw(st.at) {
						got++
					}
				}
				if got != st.allow {
					t.Errorf("step %d at %v: %d of %d allowed, want %d", i, st.at, got, st.ask, st.allow)
				}
			}
		})
	}
	if NewBudget(nil) != nil {
		t.Error("NewBudget(nil) is not nil")
	}
}

func TestHedgeDelay(t *testing.T) {
	if NewHedgeDelay(nil) != nil || NewHedgeDelay(&scenarios.Hedge{After: time.Millisecond, Max: 0}) != nil {
		t.Error("no hedging gives a delay")
	}
	fixed := NewHedgeDelay(&scenarios.Hedge{After: 20 * time.Millisecond, Max: 1})
	if d, ok := fixed.Delay(); !ok || d != 20*time.Millisecond {
		t.Errorf("fixed: %v %v", d, ok)
	}
	p := NewHedgeDelay(&scenarios.Hedge{Percentile: 95, Max: 1})
	for i := 1; i < hedgeWarmup; i++ {
		p.Observe(time.Duration(i) * time.Millisecond)
	}
	if _, ok := p.Delay(); ok {
		t.Error("ready before the warm-up's 100 latencies")
	}
	p.Observe(100 * time.Millisecond) // 1..100ms: p95 is the 95th
	if d, ok := p.Delay(); !ok || d != 95*time.Millisecond {
		t.Errorf("p95 of 1..100ms = %v %v, want 95ms", d, ok)
	}
	// 99 more do not move it; the 100th does: 1..200ms, p95 = 190ms.
	for i := 101; i <= 199; i++ {
		p.Observe(time.Duration(i) * time.Millisecond)
	}
	if d, _ := p.Delay(); d != 95*time.Millisecond {
		t.Errorf("moved before the refresh: %v", d)
	}
	p.Observe(200 * time.Millisecond)
	if d, _ := p.Delay(); d != 190*time.Millisecond {
		t.Errorf("p95 of 1..200ms = %v, want 190ms", d)
	}
	// The window keeps the last 1000: after 1000 latencies of 1s, p95 is 1s.
	for range hedgeWindow {
		p.Observe(time.Second)
	}
	if d, _ := p.Delay(); d != time.Second {
		t.Errorf("after a window of 1s: %v", d)
	}
}

// Hedge quantiles are uniform and unrelated to the request's own: over a
// grid of u, their mean is 1/2 and their correlation with u about 0
// (standard errors 1/sqrt(12n) and 1/sqrt(n); 4 of them allowed).
func TestHedgeQuantile(t *testing.T) {
	const n = 100000
	var sum, cross float64
	for i := range n {
		u := (float64(i) + 0.5) / n
		v := HedgeQuantile(u, 1)
		if v < 0 || v >= 1 || v != HedgeQuantile(u, 1) || v == HedgeQuantile(u, 2) {
			t.Fatalf("HedgeQuantile(%g) = %g", u, v)
		}
		sum += v
		cross += (u - 0.5) * (v - 0.5)
	}
	mean := sum / n
	corr := cross / n * 12
	if math.Abs(mean-0.5) > 4/math.Sqrt(12*n) || math.Abs(corr) > 4/math.Sqrt(n) {
		t.Errorf("mean %.4f, correlation %.4f", mean, corr)
	}
}
