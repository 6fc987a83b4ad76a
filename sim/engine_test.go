package sim

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

func TestEventQueueOrdersByTimeThenSequence(t *testing.T) {
	var q eventQueue
	rng := rand.New(rand.NewPCG(1, 2))
	type key struct {
		at  time.Duration
		seq uint64
	}
	var want []key
	for i := range 5000 {
		at := time.Duration(rng.IntN(100)) // many ties
		q.push(at, evFault, int32(i), 0)
		want = append(want, key{at, q.seq})
	}
	slices.SortFunc(want, func(a, b key) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return int(a.seq) - int(b.seq)
	})
	for i, w := range want {
		ev := q.pop()
		if ev.at != w.at || ev.seq() != w.seq {
			t.Fatalf("pop %d = (%v, %d), want (%v, %d)", i, ev.at, ev.seq(), w.at, w.seq)
		}
	}
	if q.len() != 0 {
		t.Fatalf("queue not empty")
	}
}

func TestEventQueuePanicsOnThePast(t *testing.T) {
	var q eventQueue
	q.push(10, evFault, 0, 0)
	q.pop()
	defer func() {
		if recover() == nil {
			t.Fatal("scheduling before now did not panic")
		}
	}()
	q.push(5, evFault, 0, 0)
}

func TestRingFIFO(t *testing.T) {
	var r ring
	next := int32(0)
	var want []int32
	for i := range 1000 {
		for range i % 7 {
			r.push(next)
			want = append(want, next)
			next++
		}
		for range i % 5 {
			if r.len() == 0 {
				break
			}
			if got := r.pop(); got != want[0] {
				t.Fatalf("pop = %d, want %d", got, want[0])
			}
			want = want[1:]
		}
	}
	if r.len() != len(want) {
		t.Fatalf("len %d, want %d", r.len(), len(want))
	}
}

func smallScenario() *scenarios.Scenario {
	sc := queueScenario("round-robin", nil, 4, 1, exp1ms, 0.7, 20_000)
	sc.Algorithms = []scenarios.Algorithm{
		{Name: "round-robin", Label: "round-robin"},
		{Name: "random", Label: "random"},
		{Name: "least-connections", Label: "least-connections"},
		{Name: "p2c", Label: "p2c", Params: map[string]any{"choices": 2}},
	}
	sc.Network = dist.Spec{Dist: "exponential", Mean: 50 * time.Microsecond}
	return sc
}

func TestSameSeedSameBytes(t *testing.T) {
	sc := smallScenario()
	a, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), sc, Options{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("two runs with the same seed differ")
	}
	sc2 := sc.Clone()
	sc2.Seed = 2
	c, err := Run(context.Background(), sc2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	jc, _ := json.Marshal(c)
	if string(ja) == string(jc) {
		t.Fatal("a different seed gave the same results")
	}
}

// Every algorithm must face the same arrivals: the request counts after
// warm-up agree exactly across algorithms.
func TestAlgorithmsShareTraffic(t *testing.T) {
	sc := smallScenario()
	sc.Requests = 0
	sc.Duration = 5 * time.Second
	s, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Algorithms[1:] {
		if a.Requests != s.Algorithms[0].Requests {
			t.Errorf("%s saw %d requests, %s %d", a.Label, a.Requests, s.Algorithms[0].Label, s.Algorithms[0].Requests)
		}
	}
	// rate 2800/s over 4.5 measured seconds: Poisson count within 5 sigma
	want := 2800 * 4.5
	if got := float64(s.Algorithms[0].Requests); math.Abs(got-want) > 5*math.Sqrt(want) {
		t.Errorf("requests %v, want about %v", got, want)
	}
}

func TestProgressCountsEveryArrival(t *testing.T) {
	sc := smallScenario()
	sc.Warmup = 0
	var n int64
	_, err := RunAlgorithm(context.Background(), sc, 0, func(d int64) { n += d })
	if err != nil {
		t.Fatal(err)
	}
	if n != sc.Requests {
		t.Errorf("progress reported %d arrivals, want %d", n, sc.Requests)
	}
}

func TestCancelledRunStops(t *testing.T) {
	sc := smallScenario()
	sc.Requests = 50_000_000
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, sc, Options{}); err == nil {
		t.Fatal("cancelled run returned no error")
	}
}

// crashScenario: 4 round-robin servers at 40% load; web-1 crashes at 2s for
// 3s. Health probes every 100ms, 3 failures to eject, 2 successes to return.
func crashScenario(active bool) *scenarios.Scenario {
	sc := queueScenario("round-robin", nil, 4, 1, exp1ms, 0.4, 0)
	sc.Servers[0].Name = "web"
	sc.Duration = 8 * time.Second
	sc.Warmup = 0
	sc.Faults = []scenarios.Fault{{At: 2 * time.Second, Target: "web-1", Kind: "crash", Duration: 3 * time.Second}}
	if active {
		sc.HealthCheck.Active = &scenarios.ActiveCheck{Interval: 100 * time.Millisecond, Timeout: 50 * time.Millisecond, Rise: 2, Fall: 3}
	}
	return sc
}

func TestCrashWithoutHealthChecksFailsItsShare(t *testing.T) {
	e := simulate(t, crashScenario(false))
	r := e.result(0)
	// round-robin sends a quarter of 1600 req/s to web-1 for 3s = 1200,
	// plus whatever it held at the crash (a few).
	want := 1600.0 / 4 * 3
	if got := float64(r.Errors.Failed); math.Abs(got-want) > 5*math.Sqrt(want) {
		t.Errorf("failed %v, want about %v", got, want)
	}
	if r.Completed+r.Errors.Failed != r.Requests {
		t.Errorf("completed %d + failed %d != requests %d", r.Completed, r.Errors.Failed, r.Requests)
	}
}

func TestCrashIsEjectedByActiveChecks(t *testing.T) {
	e := simulate(t, crashScenario(true))
	r := e.result(0)
	// The crash at 2.0s is seen by probes at 2.0 (if after), 2.1, 2.2: the
	// third failure ejects within (fall-1, fall] intervals of the crash, so
	// web-1 gets a quarter of 1600 req/s for 0.2..0.3s: 80..120 failures.
	lo, hi := 400*0.2, 400*0.3
	got := float64(r.Errors.Failed)
	if got < lo-4*math.Sqrt(lo) || got > hi+4*math.Sqrt(hi) {
		t.Errorf("failed %v, want within [%v, %v] (plus Poisson noise)", got, lo, hi)
	}
	// After it returns it must take traffic again: its share over the run
	// is 8s less its 2.9s out, of four.
	web1 := float64(r.Servers[1].Requests)
	want := 1600.0 / 4 * (8 - 2.9) // out from the 2.2s ejection to the 5.1s return
	if math.Abs(web1-want) > 0.1*want {
		t.Errorf("web-1 got %v requests, want about %v: not ejected and returned?", web1, want)
	}
	if !e.bals[0].view[1].Healthy {
		t.Error("web-1 still unhealthy at the end")
	}
}

func TestPassiveEjection(t *testing.T) {
	sc := crashScenario(false)
	sc.HealthCheck.Passive = &scenarios.PassiveCheck{ConsecutiveFailures: 5, Ejection: 10 * time.Second}
	e := simulate(t, sc)
	r := e.result(0)
	// five refusals eject web-1 for longer than the crash.
	if r.Errors.Failed < 5 || r.Errors.Failed > 10 {
		t.Errorf("failed %d, want 5 plus what web-1 held at the crash", r.Errors.Failed)
	}
}

func TestSlowdownAndErrorFaults(t *testing.T) {
	sc := queueScenario("round-robin", nil, 4, 1, exp1ms, 0.3, 0)
	sc.Servers[0].Name = "web"
	sc.Duration = 10 * time.Second
	sc.Warmup = 0
	sc.Faults = []scenarios.Fault{
		{At: 0, Target: "web-0", Kind: "slowdown", Factor: 2},
		{At: 5 * time.Second, Target: "web-[23]", Kind: "errors", Probability: 0.5, Duration: 2 * time.Second},
	}
	e := simulate(t, sc)
	r := e.result(0)
	if u0, u1 := r.Servers[0].Utilization, r.Servers[1].Utilization; math.Abs(u0-2*u1) > 0.05 {
		t.Errorf("slowed server utilisation %.3f, want about twice %.3f", u0, u1)
	}
	// 1200 req/s, half of it to web-2 and web-3 for 2s, half of that fails.
	want := 1200.0 / 2 * 2 * 0.5
	if got := float64(r.Errors.Failed); math.Abs(got-want) > 5*math.Sqrt(want) {
		t.Errorf("failed %v, want about %v", got, want)
	}
	if r.Servers[0].Errors != 0 || r.Servers[2].Errors == 0 {
		t.Errorf("errors landed on the wrong servers: %+v", r.Servers)
	}
}

func TestTimeoutsAndRetries(t *testing.T) {
	// Service is a constant 2ms; a 1ms timeout fails every attempt.
	sc := queueScenario("round-robin", nil, 2, 4, dist.Spec{Dist: "constant", Value: 2 * time.Millisecond}, 0.2, 5000)
	sc.Timeout = time.Millisecond
	sc.Retries = 2
	e := simulate(t, sc)
	r := e.result(0)
	if r.Errors.Timeout != r.Requests || r.Completed != 0 {
		t.Errorf("timeouts %d of %d requests, completed %d", r.Errors.Timeout, r.Requests, r.Completed)
	}
	var attempts int64
	for _, s := range r.Servers {
		attempts += s.Requests
	}
	if attempts != 3*r.Requests {
		t.Errorf("%d attempts for %d requests with 2 retries", attempts, r.Requests)
	}
	// With a generous timeout, nothing times out.
	sc.Timeout = time.Second
	if r := simulate(t, sc).result(0); r.Errors.Timeout != 0 || r.Completed != r.Requests {
		t.Errorf("generous timeout: %+v", r.Errors)
	}
}

func TestQueueLimitRejects(t *testing.T) {
	sc := queueScenario("round-robin", nil, 1, 1, exp1ms, 0.95, 50_000)
	sc.Servers[0].QueueLimit = 2
	r := simulate(t, sc).result(0)
	// M/M/1/K with K = 3 in the system: blocking = (1-rho) rho^K / (1 - rho^(K+1)).
	rho := 0.95
	want := (1 - rho) * math.Pow(rho, 3) / (1 - math.Pow(rho, 4))
	got := float64(r.Errors.Rejected) / float64(r.Requests)
	if math.Abs(got-want) > 0.02 {
		t.Errorf("blocking %.4f, want M/M/1/3's %.4f", got, want)
	}
}

// Memory is bounded by what is in flight, not by how many requests ran.
func TestMemoryDoesNotGrowWithRequests(t *testing.T) {
	small := simulate(t, queueScenario("p2c", nil, 100, 1, exp1ms, 0.9, 100_000))
	big := simulate(t, queueScenario("p2c", nil, 100, 1, exp1ms, 0.9, 1_000_000))
	if len(big.reqs.items) > 2*len(small.reqs.items)+100 || len(big.q.h) > 2*cap(small.q.h)+200 {
		t.Errorf("pools grew with the run: requests %d -> %d, events %d -> %d",
			len(small.reqs.items), len(big.reqs.items), cap(small.q.h), len(big.q.h))
	}
}

func BenchmarkEngineP2C100(b *testing.B) {
	sc := queueScenario("p2c", map[string]any{"choices": 2}, 100, 1, exp1ms, 0.9, int64(b.N))
	sc.Warmup = 0
	b.ReportAllocs()
	b.ResetTimer()
	e, err := newEngine(sc, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// Pops and pushes interleaved as the engine does them (a push often right
// after a pop, filling the root's hole) still come out in (time, seq) order.
func TestEventQueueInterleaved(t *testing.T) {
	var q eventQueue
	rng := rand.New(rand.NewPCG(3, 4))
	type key struct {
		at  time.Duration
		seq uint64
	}
	var ref []key // kept sorted
	insert := func(at time.Duration) {
		q.push(at, evFault, 0, 0)
		k := key{at, q.seq}
		i, _ := slices.BinarySearchFunc(ref, k, func(a, b key) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return int(a.seq) - int(b.seq)
		})
		ref = slices.Insert(ref, i, k)
	}
	for range 50 {
		insert(time.Duration(rng.IntN(1000)))
	}
	for range 20000 {
		if q.len() != len(ref) {
			t.Fatalf("len %d, want %d", q.len(), len(ref))
		}
		if len(ref) > 0 {
			if top := q.top(); top.at != ref[0].at || top.seq() != ref[0].seq {
				t.Fatalf("top (%v, %d), want (%v, %d)", top.at, top.seq(), ref[0].at, ref[0].seq)
			}
			if rng.IntN(3) > 0 {
				ev := q.pop()
				if ev.at != ref[0].at || ev.seq() != ref[0].seq {
					t.Fatalf("pop (%v, %d), want (%v, %d)", ev.at, ev.seq(), ref[0].at, ref[0].seq)
				}
				ref = ref[1:]
			}
		}
		for range rng.IntN(3) {
			insert(q.now + time.Duration(rng.IntN(50)))
		}
	}
}
