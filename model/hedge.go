package model

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// The percentile hedge's sliding window: the last hedgeWindow successful
// attempt latencies of a balancer instance; no hedge before hedgeWarmup
// of them; the percentile recomputed every hedgeRefresh new ones (sorting
// a copy), so a decision costs nothing and the delay moves in steps, as
// Finagle's BackupRequestFilter reads its windowed histogram.
const (
	hedgeWindow  = 1000
	hedgeWarmup  = 100
	hedgeRefresh = 100
)

// HedgePicks is how many picks a hedge makes to find a server the request
// has not tried; the picks that name tried ones are handed back (Started,
// then Finished with the time the request has waited so far, a true lower
// bound of what an attempt there would take). Envoy's
// host_selection_retry_max_attempts with its previous_hosts predicate plays
// the same part. Pick has no exclude list (DESIGN.md §2), so a hash-based
// strategy, whose picks repeat, does not hedge.
const HedgePicks = 3

// HedgeDelay is how long a balancer instance waits for an answer before it
// hedges (DESIGN.md §7 hedge): a fixed delay (hedge.after), or the
// hedge.percentile of its recent successful attempt latencies (balancer to
// balancer, as Finished sees them), nearest rank:
//
//	delay = sorted[ceil(p/100 x n) - 1] over the last n <= 1000 latencies
//
// Until 100 latencies have been seen a percentile hedge is not sent: there
// is nothing yet to tell slow from usual. Safe for concurrent use.
type HedgeDelay struct {
	fixed time.Duration // > 0 for hedge.after
	pct   float64

	mu      sync.Mutex
	ring    []time.Duration
	next    int
	fresh   int // latencies seen since the last recomputation
	cur     time.Duration
	ready   bool
	scratch []time.Duration
}

// NewHedgeDelay is the delay of h; nil when h is nil or hedges nothing
// (max 0).
func NewHedgeDelay(h *scenarios.Hedge) *HedgeDelay {
	if h == nil || h.Max <= 0 {
		return nil
	}
	if h.Percentile == 0 {
		return &HedgeDelay{fixed: h.After}
	}
	return &HedgeDelay{pct: h.Percentile, ring: make([]time.Duration, 0, hedgeWindow)}
}

// Fixed reports whether the delay is a constant (hedge.after): then Observe
// need not be called.
func (d *HedgeDelay) Fixed() bool { return d.fixed > 0 }

// Observe records the latency of a successful attempt.
func (d *HedgeDelay) Observe(latency time.Duration) {
	if d.fixed > 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.ring) < hedgeWindow {
		d.ring = append(d.ring, latency)
	} else {
		d.ring[d.next] = latency
		d.next = (d.next + 1) % hedgeWindow
	}
	d.fresh++
	if len(d.ring) >= hedgeWarmup && (!d.ready || d.fresh >= hedgeRefresh) {
		d.scratch = append(d.scratch[:0], d.ring...)
		slices.Sort(d.scratch)
		k := int(math.Ceil(d.pct/100*float64(len(d.scratch)))) - 1
		d.cur = max(d.scratch[min(max(k, 0), len(d.scratch)-1)], 1)
		d.ready, d.fresh = true, 0
	}
}

// Delay is how long to wait before a hedge; ok is false while a percentile
// hedge is warming up (no hedge then).
func (d *HedgeDelay) Delay() (delay time.Duration, ok bool) {
	if d.fixed > 0 {
		return d.fixed, true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur, d.ready
}

// HedgeQuantile is the service quantile of hedge k (1, 2, ...) of a request
// whose own quantile is u. A hedge is a second try at the same request, but
// its service time is its server's own: were it to carry u, as a retry does
// (DESIGN.md §4), an identical idle server would take exactly as long as
// the first and a hedge could never win on a healthy pool. So each hedge
// draws afresh, from a deterministic hash of (u, k) (SplitMix64's
// finaliser), the same in both engines and under every algorithm: the
// common random numbers hold.
func HedgeQuantile(u float64, k int) float64 {
	x := math.Float64bits(u) + uint64(k)*0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// Format writes t as the real engine's wire.Tries header carries it: hedges
// sent, won (0 or 1), hedges denied, retries sent, retries denied.
func (t Tries) Format() string {
	won := 0
	if t.HedgeWon {
		won = 1
	}
	return fmt.Sprintf("%d %d %d %d %d", t.HedgesSent, won, t.HedgesDenied, t.RetriesSent, t.RetriesDenied)
}

// ParseTries reads what Format wrote; ok is false for anything else.
func ParseTries(s string) (t Tries, ok bool) {
	var won int
	n, err := fmt.Sscanf(s, "%d %d %d %d %d", &t.HedgesSent, &won, &t.HedgesDenied, &t.RetriesSent, &t.RetriesDenied)
	if err != nil || n != 5 || won < 0 || won > 1 {
		return Tries{}, false
	}
	t.HedgeWon = won == 1
	return t, true
}
