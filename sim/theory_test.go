package sim

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/theory"
)

// The simulator is checked against queueing theory wherever theory has an
// answer. Every tolerance is derived from the run itself: the standard error
// of a mean comes from batch means over the completion order (which accounts
// for the strong correlation of successive response times), and a check
// passes when the simulated figure is within zScore standard errors of the
// theoretical one. The runs are seeded, so each test is deterministic; a
// z-score of 4 means a correct engine would fail a fresh seed about once in
// 16000 tries, while the relative standard errors asserted below (1-3%) mean
// a wrong model (say, a 5% bias) cannot hide inside a wide interval.
const zScore = 4

// oneSE is the confidence level whose t-interval half-width is one standard
// error (t quantile ~1 for K >= 30 batches).
const oneSE = 0.6827

var exp1ms = dist.Spec{Dist: "exponential", Mean: time.Millisecond}

// queueScenario is n servers of one kind behind one balancer, with no
// faults, health checks or network delay.
func queueScenario(alg string, params map[string]any, n, conc int, service dist.Spec, load float64, requests int64) *scenarios.Scenario {
	return &scenarios.Scenario{
		Name:      "theory",
		Seed:      1,
		Requests:  raceScaled(requests),
		Warmup:    500 * time.Millisecond,
		Arrivals:  scenarios.Arrivals{Process: "poisson", Load: load},
		Clients:   1000,
		Servers:   []scenarios.ServerGroup{{Name: "s", Count: n, Weight: 1, Concurrency: conc, Service: service}},
		Network:   dist.Spec{Dist: "constant"},
		Balancers: 1,
		Algorithms: []scenarios.Algorithm{
			{Name: alg, Label: alg, Params: params},
		},
	}
}

// simulate runs the scenario's first algorithm and returns the finished engine,
// so tests can read its accumulators as well as its report.
func simulate(t *testing.T, sc *scenarios.Scenario) *engine {
	t.Helper()
	e, err := newEngine(sc, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// raceScaled is the length of a statistical run (100,000 requests or
// more) under the race detector (raceScale); shorter, scripted runs keep
// their exact length.
func raceScaled(requests int64) int64 {
	if requests < 100_000 {
		return requests
	}
	return int64(float64(requests) * raceScale)
}

// checkMean asserts that the simulated mean latency (ms) agrees with want
// within zScore standard errors, and that the run was long enough for the
// standard error to be below maxRelSE of want.
func checkMean(t *testing.T, what string, e *engine, want, maxRelSE float64) {
	t.Helper()
	got, se := e.rec.LatencyBatches().Mean(), e.rec.LatencyBatches().HalfWidth(oneSE)
	t.Logf("%s: mean latency %.4f ms, theory %.4f ms, SE %.4f (%.2f%%), z = %+.2f",
		what, got, want, se, 100*se/want, (got-want)/se)
	if se > maxRelSE/math.Sqrt(raceScale)*want {
		t.Errorf("%s: standard error %.4f is %.1f%% of the mean; the run is too short to test anything", what, se, 100*se/want)
	}
	if math.Abs(got-want) > zScore*se {
		t.Errorf("%s: mean latency %.4f ms, want %.4f ± %.4f (%d SE)", what, got, want, zScore*se, zScore)
	}
}

// checkWait does the same for the probability that a request queued.
func checkWait(t *testing.T, what string, e *engine, want float64) {
	t.Helper()
	got, se := e.rec.WaitBatches().Mean(), e.rec.WaitBatches().HalfWidth(oneSE)
	t.Logf("%s: P(wait) %.4f, theory %.4f, SE %.4f, z = %+.2f", what, got, want, se, (got-want)/se)
	if se > 0.02/math.Sqrt(raceScale) {
		t.Errorf("%s: P(wait) standard error %.4f too large to test anything", what, se)
	}
	if math.Abs(got-want) > zScore*se {
		t.Errorf("%s: P(wait) %.4f, want %.4f ± %.4f", what, got, want, zScore*se)
	}
}

// checkUtilization compares the servers' mean utilisation with the offered
// load. Its noise is that of the work offered in the window: a Poisson number
// of jobs with service second moment m2 gives Var(work) = lambda T m2, so the
// standard error of the mean utilisation is sqrt(lambda T m2) / (workers T).
func checkUtilization(t *testing.T, e *engine, load, lambda, m2 float64, workers int) {
	t.Helper()
	T := (e.windowEnd - e.windowStart).Seconds()
	se := math.Sqrt(lambda*T*m2) / (float64(workers) * T)
	r := e.result(0)
	var sum float64
	for _, s := range r.Servers {
		sum += s.Utilization
	}
	got := sum / float64(len(r.Servers))
	t.Logf("utilisation %.4f, offered %.4f, SE %.5f", got, load, se)
	if math.Abs(got-load) > zScore*se+1e-3 {
		t.Errorf("mean utilisation %.4f, want %.4f ± %.4f", got, load, zScore*se+1e-3)
	}
}

func TestRandomRoutingIsMM1PerServer(t *testing.T) {
	const n, load = 4, 0.5
	mu := 1000.0 // 1/s for a 1ms mean
	lambda := load * mu * n
	e := simulate(t, queueScenario("random", nil, n, 1, exp1ms, load, 400_000))
	want := theory.RandomRouting(lambda, mu, n)
	checkMean(t, "random -> M/M/1", e, want.MeanResponse*1e3, 0.02)
	checkWait(t, "random -> M/M/1", e, want.PWait)
	checkUtilization(t, e, load, lambda, 2/(mu*mu), n)
}

func TestRoundRobinIsErlangM1(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	for _, tc := range []struct {
		n    int
		load float64
	}{{4, 0.7}, {2, 0.5}} {
		mu := 1000.0
		lambda := tc.load * mu * float64(tc.n)
		e := simulate(t, queueScenario("round-robin", nil, tc.n, 1, exp1ms, tc.load, 400_000))
		want := theory.RoundRobin(lambda, mu, tc.n)
		checkMean(t, "round-robin -> E_N/M/1", e, want.MeanResponse*1e3, 0.02)
		checkWait(t, "round-robin -> E_N/M/1", e, want.PWait)
		checkUtilization(t, e, tc.load, lambda, 2/(mu*mu), tc.n)
	}
}

func TestConcurrencyIsMMc(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	for _, tc := range []struct {
		c    int
		load float64
	}{{4, 0.6}, {8, 0.8}} {
		mu := 1000.0
		lambda := tc.load * mu * float64(tc.c)
		e := simulate(t, queueScenario("round-robin", nil, 1, tc.c, exp1ms, tc.load, 400_000))
		want := theory.MMc(lambda, mu, tc.c)
		checkMean(t, "concurrency -> M/M/c", e, want.MeanResponse*1e3, 0.02)
		checkWait(t, "concurrency -> M/M/c", e, want.PWait)
		checkUtilization(t, e, tc.load, lambda, 2/(mu*mu), tc.c)
	}
}

func TestSingleServerIsPollaczekKhinchine(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	const load = 0.6
	mean := 1e-3
	for _, tc := range []struct {
		name string
		spec dist.Spec
		m2   float64 // E[S^2], s^2
	}{
		{"M/D/1", dist.Spec{Dist: "constant", Value: time.Millisecond}, mean * mean},
		{"M/G/1 lognormal cv 1.5", dist.Spec{Dist: "lognormal", Mean: time.Millisecond, CV: 1.5}, mean * mean * (1 + 1.5*1.5)},
		{"M/G/1 gamma cv 0.5", dist.Spec{Dist: "gamma", Mean: time.Millisecond, CV: 0.5}, mean * mean * (1 + 0.25)},
	} {
		lambda := load / mean
		e := simulate(t, queueScenario("round-robin", nil, 1, 1, tc.spec, load, 400_000))
		want := theory.MG1(lambda, mean, tc.m2)
		checkMean(t, tc.name, e, want.MeanResponse*1e3, 0.03)
		checkWait(t, tc.name, e, want.PWait)
		checkUtilization(t, e, load, lambda, tc.m2, 1)
	}
}

// Least-connections on N exponential servers (join the shortest queue) is
// worse than one pooled M/M/N queue, which never idles a worker while work
// waits, and better than round-robin's E_N/M/1, which ignores queue lengths.
func TestLeastConnectionsBetweenMMNAndRoundRobin(t *testing.T) {
	const n, load = 4, 0.8
	mu := 1000.0
	lambda := load * mu * n
	e := simulate(t, queueScenario("least-connections", nil, n, 1, exp1ms, load, 400_000))
	lo := theory.MMc(lambda, mu, n).MeanResponse * 1e3
	hi := theory.RoundRobin(lambda, mu, n).MeanResponse * 1e3
	got, se := e.rec.LatencyBatches().Mean(), e.rec.LatencyBatches().HalfWidth(oneSE)
	t.Logf("least-connections %.4f ± %.4f ms; M/M/%d %.4f, E_%d/M/1 %.4f", got, se, n, lo, n, hi)
	if got < lo-zScore*se || got > hi+zScore*se {
		t.Errorf("least-connections mean %.4f ms outside [M/M/N %.4f, E_N/M/1 %.4f]", got, lo, hi)
	}
	// The gap is wide at this load; a mean sitting at either end would mean the
	// balancer is not doing what it says.
	if got < lo*1.02 || got > hi*0.9 {
		t.Errorf("least-connections mean %.4f ms suspiciously close to a bound [%.4f, %.4f]", got, lo, hi)
	}
}

// Power of d choices on n servers approaches Mitzenmacher's fixed point as
// n grows; at n = 100 the finite system sits a little above the limit.
func TestPowerOfDChoicesNearMitzenmacher(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	if testing.Short() {
		t.Skip("1M-request runs")
	}
	const n, load = 100, 0.9
	for _, d := range []int{2, 3} {
		e := simulate(t, queueScenario("p2c", map[string]any{"choices": d}, n, 1, exp1ms, load, 1_000_000))
		limit := theory.PowerOfD(load, d) // in mean service times = ms here
		got, se := e.rec.LatencyBatches().Mean(), e.rec.LatencyBatches().HalfWidth(oneSE)
		t.Logf("d=%d: %.4f ± %.4f ms, limit %.4f ms (+%.1f%%)", d, got, se, limit, 100*(got/limit-1))
		if se > 0.02*limit {
			t.Errorf("d=%d: SE %.4f too large", d, se)
		}
		// Finite-n corrections at n = 100 are a few percent (Mitzenmacher 2001,
		// table 1: 2.60 limit vs about 2.7 simulated for d=2, rho=0.9).
		if got < limit-zScore*se || got > limit*1.10+zScore*se {
			t.Errorf("d=%d: mean %.4f ms, want in [%.4f, %.4f] (limit .. limit+10%%)", d, got, limit, limit*1.10)
		}
		random := theory.RandomRouting(load*1000*n, 1000, n).MeanResponse * 1e3
		if got > random/2 {
			t.Errorf("d=%d: mean %.4f ms is not far below random routing's %.4f", d, got, random)
		}
	}
}

func TestFairnessRoundRobinIsExactlyOne(t *testing.T) {
	e := simulate(t, queueScenario("round-robin", nil, 8, 1, exp1ms, 0.5, 80_000))
	r := e.result(0)
	if r.Fairness.Jain != 1 || r.Fairness.MaxOverMean != 1 || r.Fairness.CoV != 0 {
		t.Errorf("round-robin fairness %+v, want exactly jain 1, max/mean 1, cov 0", r.Fairness)
	}
}

// For uniform random routing of N requests to n servers the counts are
// multinomial, so 1 - Jain is about cov^2 = (n-1)/N, with a relative spread
// of sqrt(2/(n-1)) (the chi-square with n-1 degrees of freedom behind it).
func TestFairnessRandomMatchesExpectation(t *testing.T) {
	const n, N = 50, 100_000
	e := simulate(t, queueScenario("random", nil, n, 1, exp1ms, 0.5, N))
	got := 1 - e.result(0).Fairness.Jain
	want := 1 - theory.JainExpectedRandom(n, N)
	tol := zScore * math.Sqrt(2.0/(n-1)) * want
	t.Logf("1-jain %.3g, expected %.3g ± %.3g", got, want, tol)
	if math.Abs(got-want) > tol {
		t.Errorf("random routing: 1-jain %.3g, want %.3g ± %.3g", got, want, tol)
	}
}

// At high load successive response times are so correlated that the mean
// converges slowly; utilisation and the probability of waiting still
// converge fast, and must match theory at any load.
func TestHighLoadUtilisationAndWait(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	for _, tc := range []struct {
		name string
		alg  string
		n, c int
		load float64
		want func(lambda, mu float64) float64 // P(wait)
	}{
		{"M/M/1 rho 0.95", "round-robin", 1, 1, 0.95, func(l, m float64) float64 { return theory.MM1(l, m).PWait }},
		{"M/M/4 rho 0.95", "round-robin", 1, 4, 0.95, func(l, m float64) float64 { return theory.MMc(l, m, 4).PWait }},
		{"random 4 x M/M/1 rho 0.9", "random", 4, 1, 0.9, func(l, m float64) float64 { return theory.RandomRouting(l, m, 4).PWait }},
	} {
		mu := 1000.0
		workers := tc.n * tc.c
		lambda := tc.load * mu * float64(workers)
		e := simulate(t, queueScenario(tc.alg, nil, tc.n, tc.c, exp1ms, tc.load, 400_000))
		checkWait(t, tc.name, e, tc.want(lambda, mu))
		checkUtilization(t, e, tc.load, lambda, 2/(mu*mu), workers)
	}
}
