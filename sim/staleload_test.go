package sim

import (
	"math"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Mitzenmacher, "How useful is old information?" (IEEE TPDS 2000), on a
// small instance: 20 exponential servers (mean 1ms) at load 0.9 behind one
// balancer that sees the servers' queue lengths on a board refreshed every
// T. The paper's result, asserted with the runs' own standard errors:
//
//   - T = 0: least-connections is join-the-shortest-queue, better than p2c,
//     which is better than random.
//   - large T (20 service times): least-connections sends a whole period's
//     requests to the few servers that were shortest at its start and ends
//     worse than random; p2c stays better than random; the herding index of
//     least-connections is far above p2c's.
//   - random ignores the board: its mean is M/M/1's 1/(mu - lambda/N) =
//     10ms whatever T, the line least-connections crosses.
func TestStaleLoadMitzenmacher(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	const n, load, requests = 20, 0.9, 200000
	run := func(alg string, refresh time.Duration) *engine {
		sc := queueScenario(alg, nil, n, 1, exp1ms, load, requests)
		sc.LoadInfo = &scenarios.LoadInfo{Source: scenarios.LoadServers, Refresh: refresh}
		return simulate(t, sc)
	}
	type fig struct{ mean, se, herding float64 }
	measure := func(alg string, refresh time.Duration) fig {
		e := run(alg, refresh)
		f := fig{mean: e.rec.LatencyBatches().Mean(), se: e.rec.LatencyBatches().HalfWidth(oneSE)}
		if h := e.rec.Result(e.sc.Algorithms[0]).Herding; h != nil {
			f.herding = *h
		}
		t.Logf("%-17s T=%-5v mean %.3f ms (SE %.3f) herding %.2f", alg, refresh, f.mean, f.se, f.herding)
		return f
	}
	// better asserts a < b by more than zScore combined standard errors.
	better := func(what string, a, b fig) {
		t.Helper()
		if se := math.Hypot(a.se, b.se); !(b.mean-a.mean > zScore*se) {
			t.Errorf("%s: %.3f ms vs %.3f ms, want the first lower by > %d SE (%.3f)", what, a.mean, b.mean, zScore, zScore*se)
		}
	}
	const large = 20 * time.Millisecond
	random := measure("random", 0)
	checkMean(t, "random (M/M/1 per server)", run("random", large), 1/(1-load), 0.03)
	lc0, p2c0 := measure("least-connections", 0), measure("p2c", 0)
	lcL, p2cL := measure("least-connections", large), measure("p2c", large)
	better("T=0: least-connections (JSQ) vs p2c", lc0, p2c0)
	better("T=0: p2c vs random", p2c0, random)
	better("T=20: random vs least-connections", random, lcL)
	better("T=20: p2c vs random", p2cL, random)
	if !(lcL.herding > 2*p2cL.herding) {
		t.Errorf("T=20: herding of least-connections %.2f, p2c %.2f: want least-connections' above twice p2c's", lcL.herding, p2cL.herding)
	}
	if !(lcL.herding > 2*lc0.herding) {
		t.Errorf("least-connections' herding %.2f at T=20, %.2f at T=0: want it to grow with T", lcL.herding, lc0.herding)
	}
}

// With one balancer and no network delay the servers' counts are the
// balancer's own, so least-connections on an always-current board of the
// servers' counts is least-connections on its own live counts (JSQ): the
// same choices, the same figures.
func TestLoadInfoCurrentIsLive(t *testing.T) {
	for _, alg := range []string{"least-connections", "p2c"} {
		live := simulate(t, queueScenario(alg, nil, 10, 1, exp1ms, 0.9, 20000))
		sc := queueScenario(alg, nil, 10, 1, exp1ms, 0.9, 20000)
		sc.LoadInfo = &scenarios.LoadInfo{Source: scenarios.LoadServers}
		board := simulate(t, sc)
		a, b := live.rec.Result(sc.Algorithms[0]), board.rec.Result(sc.Algorithms[0])
		if a.Latency != b.Latency || a.Completed != b.Completed {
			t.Errorf("%s: live counts %+v, current board of the servers' %+v: want the same", alg, a.Latency, b.Latency)
		}
	}
}
