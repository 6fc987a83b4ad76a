package sim

import (
	"math"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Hedging against theory: with service S exponential of mean m, no queueing
// and a hedge after d to an idle server, a request takes
//
//	E[min(S1, d + S2)] = m(1 - e^(-d/m)) + (m/2) e^(-d/m)
//
// (P(T > t) = e^(-t/m) before d, e^(-t/m) e^(-(t-d)/m) after). Queueing is
// made negligible, not merely small: 50 servers at load 0.01 under
// least-connections, which sends the hedge to an idle server (the first
// attempt's holds it in flight), and cancel: true, so a losing attempt
// frees its worker as the formula assumes. A hedge is sent with
// probability e^(-d/m) and wins with probability e^(-d/m)/2; those counts
// are binomial, checked within 4 standard deviations.
func TestHedgeMeanMatchesTheory(t *testing.T) {
	t.Parallel()  // independent, CPU-bound: uses the second core once other packages are done
	const m = 1.0 // ms
	// On processor-sharing servers too: at this load a job is alone on its
	// server, so PS serves it as FIFO does, and every hedge that wins takes
	// its loser out of the shared processors (cancel).
	for _, disc := range []string{scenarios.DisciplineFIFO, scenarios.DisciplinePS} {
		ds := []float64{0.1, 0.5, 1, 2}
		if disc == scenarios.DisciplinePS {
			ds = []float64{0.5, 2} // the path differs from FIFO's in the cancel only
		}
		for _, dm := range ds {
			sc := queueScenario("least-connections", nil, 50, 1, exp1ms, 0.01, 200_000)
			sc.Servers[0].Discipline = disc
			sc.Hedge = &scenarios.Hedge{After: time.Duration(dm * float64(time.Millisecond)), Max: 1}
			sc.Cancel = true
			e := simulate(t, sc)
			for i := range e.servers {
				if s := &e.servers[i]; (s.ps != nil) != (disc == scenarios.DisciplinePS) || s.ps != nil && s.ps.q.Len() != 0 {
					t.Fatalf("%s: server %d is PS: %v; holds jobs at the end: %v", disc, i, s.ps != nil, s.ps != nil && s.ps.q.Len() != 0)
				}
			}
			q := math.Exp(-dm)
			checkMean(t, disc+": hedge after "+sc.Hedge.After.String(), e, m*(1-q)+m/2*q, 0.01)
			r := e.result(0)
			if r.Hedges == nil || r.Retries == nil {
				t.Fatalf("hedges %v retries %v: both expected when hedging", r.Hedges, r.Retries)
			}
			n := float64(r.Requests)
			for _, c := range []struct {
				what string
				got  int64
				p    float64
			}{{"sent", r.Hedges.Sent, q}, {"won", r.Hedges.Won, q / 2}} {
				sd := math.Sqrt(n * c.p * (1 - c.p))
				t.Logf("d = %gm: hedges %s %d, expected %.0f ± %.0f", dm, c.what, c.got, n*c.p, sd)
				if math.Abs(float64(c.got)-n*c.p) > zScore*sd {
					t.Errorf("d = %gm: hedges %s %d, want %.0f ± %.0f", dm, c.what, c.got, n*c.p, zScore*sd)
				}
			}
			// Every attempt reached a server: one per request plus the hedges.
			var attempts int64
			for _, s := range r.Servers {
				attempts += s.Requests
			}
			if attempts != r.Requests+r.Hedges.Sent || r.Hedges.DeniedByBudget != 0 || r.Retries.Sent != 0 {
				t.Errorf("attempts %d for %d requests and %d hedges; %+v %+v", attempts, r.Requests, r.Hedges.Sent, *r.Hedges, *r.Retries)
			}
		}
	}
}

// A hedge goes only to a server the request has not tried: with one server
// nothing is ever hedged; with two, at most one hedge per request however
// large max is.
func TestHedgeNeedsAnUntriedServer(t *testing.T) {
	for _, tc := range []struct {
		servers int
		maxSent float64 // per request
	}{{1, 0}, {2, 1}} {
		sc := queueScenario("round-robin", nil, tc.servers, 1, exp1ms, 0.3, 20_000)
		sc.Hedge = &scenarios.Hedge{After: 100 * time.Microsecond, Max: 4}
		r := simulate(t, sc).result(0)
		if got := float64(r.Hedges.Sent) / float64(r.Requests); got > tc.maxSent || tc.maxSent > 0 && got < 0.5 {
			t.Errorf("%d servers: %.3f hedges per request, want at most %g (and many)", tc.servers, got, tc.maxSent)
		}
		if r.Completed != r.Requests {
			t.Errorf("%d servers: %d of %d completed", tc.servers, r.Completed, r.Requests)
		}
	}
}

// Without cancel a timed-out attempt keeps its worker to the end (§4);
// with cancel the server drops it. One server, constant 10ms jobs every
// 6.67ms (1.5 times what it can serve) for 30 jobs, a 30ms timeout:
// deterministic. Job k would end at 10(k+1)ms, 3.33k+10ms after it came,
// so jobs 0..5 make it (job 6 misses by rounding) and the rest time out
// either way. When the last one times out (at 223ms) the server without
// cancel still holds the doomed backlog (job 22 in service, 23..29
// queued), 80ms of work nobody waits for; with cancel it is idle.
func TestCancelFreesTheWorker(t *testing.T) {
	run := func(cancel bool) (ok, timedOut int64, held int) {
		sc := queueScenario("round-robin", nil, 1, 1, dist.Spec{Dist: "constant", Value: 10 * time.Millisecond}, 0, 30)
		sc.Arrivals = scenarios.Arrivals{Process: "constant", Rate: 150}
		sc.Warmup = 0
		sc.Timeout = 30 * time.Millisecond
		sc.Cancel = cancel
		e := simulate(t, sc)
		r := e.result(0)
		return r.Completed, r.Errors.Timeout, e.servers[0].busy + e.servers[0].queue.len()
	}
	for _, tc := range []struct {
		cancel bool
		held   int
	}{{false, 8}, {true, 0}} {
		ok, to, held := run(tc.cancel)
		if ok != 6 || to != 24 || held != tc.held {
			t.Errorf("cancel %v: %d completed, %d timed out, %d jobs still at the server; want 6, 24, %d", tc.cancel, ok, to, held, tc.held)
		}
	}
}

// Hedging an overloaded pool without a budget melts it: every hedge adds
// work, queues grow, more requests wait past the delay and hedge. A retry
// budget of 5% keeps the extra load bounded. 10 servers at load 0.85, a
// hedge after the median (ln 2 ms): without the budget about half the
// requests hedge (load 1.3: unstable).
func TestBudgetStopsHedgingMeltdown(t *testing.T) {
	run := func(budget *scenarios.RetryBudget) (mean float64, sent, denied, requests int64) {
		sc := queueScenario("least-connections", nil, 10, 1, exp1ms, 0.85, 100_000)
		sc.Hedge = &scenarios.Hedge{After: 693 * time.Microsecond, Max: 1}
		sc.RetryBudget = budget
		r := simulate(t, sc).result(0)
		return r.Latency.Mean, r.Hedges.Sent, r.Hedges.DeniedByBudget, r.Requests
	}
	meltMean, meltSent, meltDenied, n := run(nil)
	keptMean, keptSent, keptDenied, _ := run(&scenarios.RetryBudget{Ratio: 0.05, MinPerSecond: 10})
	t.Logf("no budget: mean %.2fms, %d hedges (%d denied); budget 5%%: mean %.2fms, %d hedges (%d denied); %d requests",
		meltMean, meltSent, meltDenied, keptMean, keptSent, keptDenied, n)
	if meltDenied != 0 || float64(meltSent) < 0.4*float64(n) {
		t.Errorf("no budget: %d hedges, %d denied", meltSent, meltDenied)
	}
	// 100000 requests at 8500/s last about 12s: two windows' floors (100
	// each) beyond 5% of the requests.
	if float64(keptSent) > 0.05*float64(n)+200 || keptDenied == 0 {
		t.Errorf("budget 5%%: %d hedges, %d denied", keptSent, keptDenied)
	}
	if keptMean*10 > meltMean {
		t.Errorf("budget 5%%: mean %.2fms, not a tenth of the melted pool's %.2fms", keptMean, meltMean)
	}
}

// Retries under a budget: an errors fault fails half the attempts; with 3
// retries and no budget a request fails only if all 4 attempts do; with a
// 10% budget retries stop at about 10% of the requests and the rest are
// counted as denied.
func TestBudgetDeniesRetries(t *testing.T) {
	sc := queueScenario("round-robin", nil, 4, 1, exp1ms, 0.3, 50_000)
	sc.Servers[0].Name = "web"
	sc.Faults = []scenarios.Fault{{At: 0, Target: "web-*", Kind: "errors", Probability: 0.5}}
	sc.Retries = 3
	sc.RetryBudget = &scenarios.RetryBudget{Ratio: 1000}
	free := simulate(t, sc).result(0)
	sc.RetryBudget = &scenarios.RetryBudget{Ratio: 0.1}
	tight := simulate(t, sc).result(0)
	t.Logf("ample budget: %+v, failed %d; 10%%: %+v, failed %d", *free.Retries, free.Errors.Failed, *tight.Retries, tight.Errors.Failed)
	n := float64(free.Requests)
	// Ample: the attempts of a request are 1 + Geometric, capped at 4:
	// expected retries 0.5 + 0.25 + 0.125 per request; none denied.
	want := n * 0.875
	if free.Retries.DeniedByBudget != 0 || math.Abs(float64(free.Retries.Sent)-want) > zScore*math.Sqrt(n*1.5) {
		t.Errorf("ample budget: %+v, want about %.0f sent, none denied", *free.Retries, want)
	}
	// Tight: 10% of the requests (the window slides, so at most 10% of any
	// 10s), every failure beyond that denied and failed.
	if float64(tight.Retries.Sent) > 0.1*n+1 || tight.Retries.DeniedByBudget == 0 {
		t.Errorf("10%% budget: %+v", *tight.Retries)
	}
	// Each failed request was refused a retry or ran out of them.
	if tight.Errors.Failed < tight.Retries.DeniedByBudget {
		t.Errorf("10%% budget: %d failed, fewer than the %d denied", tight.Errors.Failed, tight.Retries.DeniedByBudget)
	}
}

// A percentile hedge waits for its warm-up (no hedge before 100 successful
// attempts), then hedges about the requests slower than its percentile.
// The window holds the winners' attempt latencies, which hedging itself
// shortens, so the delay settles below the service time's own p90 (2.3m)
// and somewhat more than 10% of the requests hedge; the band asserted is
// loose on purpose (the count is binomial, far inside it).
func TestHedgePercentile(t *testing.T) {
	sc := queueScenario("least-connections", nil, 50, 1, exp1ms, 0.01, 50_000)
	sc.Warmup = 0
	sc.Hedge = &scenarios.Hedge{Percentile: 90, Max: 1}
	sc.Cancel = true
	e := simulate(t, sc)
	r := e.result(0)
	d, ok := e.bals[0].hedge.Delay()
	frac := float64(r.Hedges.Sent) / float64(r.Requests)
	t.Logf("delay %v, %.3f of requests hedged, %d won, mean %.3fms", d, frac, r.Hedges.Won, r.Latency.Mean)
	if !ok || d <= 500*time.Microsecond || d > 2302*time.Microsecond {
		t.Errorf("delay %v (ready %v), want between 0.5m and the service's p90, 2.3m", d, ok)
	}
	if frac < 0.08 || frac > 0.3 || r.Hedges.Won == 0 {
		t.Errorf("%.3f of requests hedged (%d won)", frac, r.Hedges.Won)
	}
	if r.Latency.Mean >= 1 {
		t.Errorf("mean %.3fms, not below the unhedged 1ms", r.Latency.Mean)
	}
}
