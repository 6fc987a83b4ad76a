package model

import (
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// BudgetWindow is how far back a retry budget looks (Finagle's RetryBudget
// ttl, 10s by default there too); budgetSlice its granularity: the window
// is the last 100 slices of 100ms, the current one included, so a request
// leaves it between 9.9s and 10s after it came.
const (
	BudgetWindow = 10 * time.Second
	budgetSlices = 100
	budgetSlice  = BudgetWindow / budgetSlices
)

// Budget is a retry budget (DESIGN.md §7 retry_budget), as Finagle's
// RetryBudget(ttl, minRetriesPerSec, percentCanRetry) and Envoy's retry
// budgets keep one: every request deposits, every retry or hedge
// withdraws, and a withdrawal is allowed while, over the window,
//
//	withdrawals + 1 <= ratio x deposits + min_per_second x 10s
//
// so a pool in trouble gets at most ratio more attempts than requests (plus
// a floor for quiet traffic) and retries cannot multiply the load. The
// floor makes min_per_second x 10 withdrawals available from the start, as
// Finagle's reserve does. A refused withdrawal takes nothing.
//
// Time is passed in (simulated in the simulator, the proxy's monotonic
// clock in the real engine); it must not go backwards by more than a
// slice. A Budget is safe for concurrent use. A balancer instance owns one.
type Budget struct {
	mu      sync.Mutex
	ratio   float64
	reserve float64
	// Counts per slice; epoch[i] is the slice number (now / budgetSlice)
	// slot i last held, so stale slots read as empty.
	epoch       [budgetSlices]int64
	deposits    [budgetSlices]int64
	withdrawals [budgetSlices]int64
}

// NewBudget is the budget of rb; nil when rb is (no budget: everything is
// allowed).
func NewBudget(rb *scenarios.RetryBudget) *Budget {
	if rb == nil {
		return nil
	}
	return &Budget{ratio: rb.Ratio, reserve: rb.MinPerSecond * BudgetWindow.Seconds()}
}

// slot returns the slot of now, cleared if it last held an older slice.
func (b *Budget) slot(now time.Duration) int {
	e := int64(now / budgetSlice)
	i := int(e % budgetSlices)
	if b.epoch[i] != e {
		b.epoch[i], b.deposits[i], b.withdrawals[i] = e, 0, 0
	}
	return i
}

// Deposit records a request (a first attempt) at now.
func (b *Budget) Deposit(now time.Duration) {
	b.mu.Lock()
	b.deposits[b.slot(now)]++
	b.mu.Unlock()
}

// TryWithdraw asks for a retry or a hedge at now: true (and counted) if the
// budget allows it.
func (b *Budget) TryWithdraw(now time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.slot(now)
	e := b.epoch[cur]
	var dep, wd int64
	for i := range budgetSlices {
		if b.epoch[i] > e-budgetSlices && b.epoch[i] <= e {
			dep += b.deposits[i]
			wd += b.withdrawals[i]
		}
	}
	// The 1e-9 keeps ratio x deposits that is a whole number in decimal
	// (0.2 x 5) from falling a rounding error short of it.
	if float64(wd+1) > b.ratio*float64(dep)+b.reserve+1e-9 {
		return false
	}
	b.withdrawals[cur]++
	return true
}
