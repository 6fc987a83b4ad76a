package sim

import (
	"math"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/theory"
)

// closedLoopScenario is n users thinking an exponential time of mean think
// in front of k single-worker exponential FIFO servers of mean service,
// behind one balancer running alg, with no faults or network delay.
func closedLoopScenario(alg string, n int, think, service time.Duration, k int, requests int64) *scenarios.Scenario {
	return &scenarios.Scenario{
		Name:      "closed",
		Seed:      1,
		Requests:  requests,
		Warmup:    10 * time.Second,
		Arrivals:  scenarios.Arrivals{Process: "closed", Users: n, Think: dist.Spec{Dist: "exponential", Mean: think}},
		Clients:   n,
		Servers:   []scenarios.ServerGroup{{Name: "s", Count: k, Weight: 1, Concurrency: 1, Service: dist.Spec{Dist: "exponential", Mean: service}}},
		Network:   dist.Spec{Dist: "constant"},
		Balancers: 1,
		Algorithms: []scenarios.Algorithm{
			{Name: alg, Label: alg},
		},
	}
}

// throughputSE is the standard error of a run's throughput (requests/s),
// from the run: the timeline's windows that lie wholly inside the measured
// window each count the requests issued in it; their batch means (windows
// are seconds long, far beyond a closed loop's correlation time of a few
// cycles) give the SE of the mean count, and so of the rate.
func throughputSE(t *testing.T, e *engine, r report.Algorithm) (rate, se float64) {
	t.Helper()
	tl := r.Timeline
	start, end := float64(e.windowStart)/1e6, float64(e.windowEnd)/1e6
	bm := metrics.NewBatchMeans()
	for _, w := range tl.Windows {
		if w.StartMS >= start && w.StartMS+tl.WindowMS <= end {
			bm.Add(float64(w.Requests))
		}
	}
	if bm.Batches() < 30 {
		t.Fatalf("only %d batches of the timeline's %d windows: too few to estimate the throughput's SE", bm.Batches(), bm.Count())
	}
	perSecond := 1e3 / tl.WindowMS
	return bm.Mean() * perSecond, bm.HalfWidth(oneSE) * perSecond
}

// A closed loop of N users with exponential think time in front of K
// exponential FIFO servers under random routing is a product-form network:
// exact MVA (theory.ClosedMVA) gives its throughput and mean response time,
// from light load (N = 1: no queueing) to saturation (N = 32: the servers
// are nearly always busy, X -> K/S).
func TestClosedLoopMatchesMVA(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	const k = 4
	S, Z := 10*time.Millisecond, 40*time.Millisecond
	t.Logf("%4s %10s %10s %7s %10s %10s %7s", "N", "X sim", "X MVA", "z", "R sim ms", "R MVA ms", "z")
	for _, n := range []int{1, 4, 8, 16, 32} {
		e := simulate(t, closedLoopScenario("random", n, Z, S, k, 200_000))
		r := e.result(0)
		X, R := theory.ClosedMVA(n, Z.Seconds(), S.Seconds(), k)
		R *= 1e3

		// R: batch means over the completions, as for the open-loop checks.
		checkMean(t, "closed loop R", e, R, 0.02)
		gotR, seR := e.rec.LatencyBatches().Mean(), e.rec.LatencyBatches().HalfWidth(oneSE)

		// X: the report's throughput, within zScore of the count-based SE.
		gotX := r.ThroughputRPS
		tlX, seX := throughputSE(t, e, r)
		if seX > 0.01*X {
			t.Errorf("N=%d: throughput SE %.3f is %.2f%% of X; the run is too short", n, seX, 100*seX/X)
		}
		if math.Abs(gotX-X) > zScore*seX {
			t.Errorf("N=%d: throughput %.3f/s, MVA %.3f/s ± %.3f (%d SE)", n, gotX, X, zScore*seX, zScore)
		}
		if math.Abs(tlX-gotX) > zScore*seX {
			t.Errorf("N=%d: the timeline's rate %.3f/s and the report's %.3f/s disagree", n, tlX, gotX)
		}
		t.Logf("%4d %10.3f %10.3f %+7.2f %10.4f %10.4f %+7.2f", n, gotX, X, (gotX-X)/seX, gotR, R, (gotR-R)/seR)

		// Little's law over the whole loop: N = X (R + Z). The SEs of X and
		// of R (and of the mean of the n think draws, Z/sqrt(n)) bound it,
		// taken as independent: conservative, since X and R move together.
		nThink := float64(r.Requests)
		cycle := gotR/1e3 + Z.Seconds()
		seCycle := math.Hypot(seR/1e3, Z.Seconds()/math.Sqrt(nThink))
		little := gotX * cycle
		seLittle := little * math.Hypot(seX/gotX, seCycle/cycle)
		if math.Abs(little-float64(n)) > zScore*seLittle {
			t.Errorf("N=%d: X (R + Z) = %.4f, want %d ± %.4f", n, little, n, zScore*seLittle)
		}

		// Little's law at the servers: the time-average number in flight is
		// X R, exactly but for the requests straddling the window's edges:
		// at most N at each, each in flight at most the longest latency.
		T := (e.windowEnd - e.windowStart).Seconds()
		L := float64(e.cl.inFlightInt) / 1e9 / T
		edge := 2 * float64(n) * r.Latency.Max / 1e3 / T
		t.Logf("N=%d: SE of X %.3f/s (%.2f%%); X (R + Z) = %.4f ± %.4f; in flight %.5f, X R %.5f ± %.5f; at most %d at once",
			n, seX, 100*seX/gotX, little, seLittle, L, gotX*gotR/1e3, edge, e.cl.maxInFlight)
		if math.Abs(L-gotX*gotR/1e3) > edge {
			t.Errorf("N=%d: mean in flight %.5f, X R = %.5f (edge effects at most %.5f)", n, L, gotX*gotR/1e3, edge)
		}

		// A closed loop never has more than N requests in flight.
		if m := e.cl.maxInFlight; m > n || m < 1 {
			t.Errorf("N=%d: up to %d requests in flight", n, m)
		}
		if r.Completed != r.Requests || r.Requests != 200_000 {
			t.Errorf("N=%d: %d requests, %d completed; want 200000 both", n, r.Requests, r.Completed)
		}
	}
}

// A closed loop's run under a duration ends once every user is done and
// nothing is in flight; its window runs to the duration even when the
// users are all thinking past it, and utilisation is measured over it.
func TestClosedLoopDuration(t *testing.T) {
	sc := closedLoopScenario("round-robin", 3, 2*time.Second, time.Millisecond, 2, 0)
	sc.Warmup, sc.Duration = 0, 20*time.Second
	e := simulate(t, sc)
	r := e.result(0)
	if e.windowEnd != sc.Duration || e.live != 0 || e.cl.inFlight != 0 {
		t.Errorf("window end %v, live %d, in flight %d; want %v, 0, 0", e.windowEnd, e.live, e.cl.inFlight, sc.Duration)
	}
	if r.Requests == 0 || r.Completed != r.Requests {
		t.Errorf("%d requests, %d completed", r.Requests, r.Completed)
	}
	for _, s := range r.Servers {
		if !(s.Utilization > 0 && s.Utilization < 0.01) {
			t.Errorf("server %s utilisation %v, want a little above 0", s.Name, s.Utilization)
		}
	}
}

// Every algorithm sees user u's k-th request with the same job size:
// common random numbers. With constant think 0 and one user, the run is
// the same sequence of jobs whatever the balancer, so on identical
// servers the mean latency is identical.
func TestClosedLoopCommonRandomNumbers(t *testing.T) {
	var means []float64
	for _, alg := range []string{"random", "round-robin", "least-connections"} {
		sc := closedLoopScenario(alg, 1, 0, time.Millisecond, 3, 5000)
		sc.Arrivals.Think = dist.Spec{Dist: "constant"}
		sc.Warmup = 0
		means = append(means, simulate(t, sc).result(0).Latency.Mean)
	}
	if means[0] != means[1] || means[1] != means[2] {
		t.Errorf("one user, identical servers: mean latencies %v differ across algorithms", means)
	}
}
