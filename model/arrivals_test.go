package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// parse loads a minimal valid scenario: base's arrivals (and anything else
// it sets), one server unless base sets servers, round-robin unless it
// sets algorithms, plus extra.
func parse(t *testing.T, base, extra string) *scenarios.Scenario {
	t.Helper()
	y := "name: x\n" + base
	if !strings.Contains(base, "servers:") {
		y += "servers:\n  - {name: web, service: {dist: exponential, mean: 1ms}}\n"
	}
	if !strings.Contains(base, "algorithms:") {
		y += "algorithms: [round-robin]\n"
	}
	sc, err := scenarios.Parse("x.yaml", []byte(y+extra))
	if err != nil {
		t.Fatalf("scenarios.Parse(%q): %v", y+extra, err)
	}
	return sc
}

// constant1k arrives every millisecond exactly: arrival k at k ms.
const constant1k = "arrivals: {process: constant, rate: 1000}\n"

// drain reads a's arrivals to the end.
func drain(t *testing.T, a *model.Arrivals) []traffic.Arrival {
	t.Helper()
	var out []traffic.Arrival
	for {
		var arr traffic.Arrival
		if !a.Next(&arr) {
			return out
		}
		out = append(out, arr)
		if len(out) > 1e6 {
			t.Fatal("Arrivals never ended")
		}
	}
}

func TestArrivalsStoppingRule(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name             string
		extra            string
		n                int // arrivals yielded
		measured, warm   int64
		first, last      time.Duration // times of the first and last yielded
		winStart, winEnd time.Duration
	}{
		{"requests", "requests: 5\n", 5, 5, 0, 1 * ms, 5 * ms, 0, 5 * ms},
		{"requests after warmup", "requests: 5\nwarmup: 3ms\n", 7, 5, 2, 1 * ms, 7 * ms, 3 * ms, 7 * ms},
		{"warmup boundary is measured", "requests: 1\nwarmup: 2ms\n", 2, 1, 1, 1 * ms, 2 * ms, 2 * ms, 2 * ms},
		{"duration", "duration: 10ms\n", 9, 9, 0, 1 * ms, 9 * ms, 0, 10 * ms},
		{"duration with warmup", "duration: 10ms\nwarmup: 4ms\n", 9, 6, 3, 1 * ms, 9 * ms, 4 * ms, 10 * ms},
		{"requests before duration", "requests: 5\nduration: 10ms\n", 5, 5, 0, 1 * ms, 5 * ms, 0, 5 * ms},
		{"duration before requests", "requests: 20\nduration: 10ms\n", 9, 9, 0, 1 * ms, 9 * ms, 0, 10 * ms},
		// The 9th arrival fills the cap before the 10th reaches the duration.
		{"cap one short of duration", "requests: 9\nduration: 10ms\n", 9, 9, 0, 1 * ms, 9 * ms, 0, 9 * ms},
		// The 10th arrival would fill the cap but comes at the duration.
		{"cap at duration", "requests: 10\nduration: 10ms\n", 9, 9, 0, 1 * ms, 9 * ms, 0, 10 * ms},
		{"requests capped by duration, warmup", "requests: 100\nduration: 10ms\nwarmup: 5ms\n", 9, 5, 4, 1 * ms, 9 * ms, 5 * ms, 10 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := model.NewArrivals(parse(t, constant1k, tc.extra))
			if err != nil {
				t.Fatal(err)
			}
			if s, e := a.Window(); a.Done() || s != tc.winStart || e != tc.winStart {
				t.Errorf("before the end: Done = %v, Window = (%v, %v), want false, (%v, %v)", a.Done(), s, e, tc.winStart, tc.winStart)
			}
			got := drain(t, a)
			if len(got) != tc.n {
				t.Fatalf("yielded %d arrivals, want %d", len(got), tc.n)
			}
			if got[0].At != tc.first || got[len(got)-1].At != tc.last {
				t.Errorf("first, last = %v, %v, want %v, %v", got[0].At, got[len(got)-1].At, tc.first, tc.last)
			}
			var measured int
			for _, arr := range got {
				if a.Measured(arr) != (arr.At >= tc.winStart) {
					t.Errorf("Measured(at %v) = %v", arr.At, a.Measured(arr))
				}
				if a.Measured(arr) {
					measured++
				}
			}
			if m, w := a.Counts(); m != tc.measured || w != tc.warm || int64(measured) != m {
				t.Errorf("Counts = (%d, %d) with %d measured seen, want (%d, %d)", m, w, measured, tc.measured, tc.warm)
			}
			if !a.Done() {
				t.Error("Done = false after Next returned false")
			}
			if s, e := a.Window(); s != tc.winStart || e != tc.winEnd {
				t.Errorf("Window = (%v, %v), want (%v, %v)", s, e, tc.winStart, tc.winEnd)
			}
			// The end is for ever.
			for i := range 3 {
				var arr traffic.Arrival
				if ok := a.Next(&arr); ok || arr != (traffic.Arrival{}) {
					t.Errorf("Next #%d after the end = %+v, %v", i, arr, ok)
				}
			}
			if m, w := a.Counts(); m != tc.measured || w != tc.warm {
				t.Errorf("Counts after more Next = (%d, %d), want (%d, %d)", m, w, tc.measured, tc.warm)
			}
			if s, e := a.Window(); s != tc.winStart || e != tc.winEnd {
				t.Errorf("Window after more Next = (%v, %v), want (%v, %v)", s, e, tc.winStart, tc.winEnd)
			}
		})
	}
}

// TestArrivalsDoneIsLazy: the request cap is noticed by the Next after the
// last measured arrival, and the window's end is known only then.
func TestArrivalsDoneIsLazy(t *testing.T) {
	ms := time.Millisecond
	a, err := model.NewArrivals(parse(t, constant1k, "requests: 2\nwarmup: 2ms\n"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Duration{1 * ms, 2 * ms, 3 * ms} {
		var arr traffic.Arrival
		ok := a.Next(&arr)
		if !ok || arr.At != want {
			t.Fatalf("Next #%d = at %v, %v; want at %v", i, arr.At, ok, want)
		}
		if a.Done() {
			t.Errorf("Done after Next #%d, before Next returned false", i)
		}
		if s, e := a.Window(); s != 2*ms || e != 2*ms {
			t.Errorf("Window after Next #%d = (%v, %v), want (2ms, 2ms) until the end", i, s, e)
		}
	}
	if a.Next(new(traffic.Arrival)) {
		t.Fatal("Next #3 = true")
	}
	if s, e := a.Window(); !a.Done() || s != 2*ms || e != 3*ms {
		t.Errorf("Done = %v, Window = (%v, %v), want true, (2ms, 3ms)", a.Done(), s, e)
	}
}

// TestArrivalsWindowNotBeforeWarmup: a scenario changed by hand so that the
// warm-up outlasts the duration (Validate refuses it) measures nothing, and
// its window is empty at the warm-up's end, never reversed.
func TestArrivalsWindowNotBeforeWarmup(t *testing.T) {
	sc := parse(t, constant1k, "duration: 10ms\n")
	sc.Warmup = 20 * time.Millisecond
	a, err := model.NewArrivals(sc)
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, a); len(got) != 9 {
		t.Errorf("yielded %d arrivals, want 9", len(got))
	}
	if m, w := a.Counts(); m != 0 || w != 9 {
		t.Errorf("Counts = (%d, %d), want (0, 9)", m, w)
	}
	if s, e := a.Window(); s != 20*time.Millisecond || e != 20*time.Millisecond {
		t.Errorf("Window = (%v, %v), want (20ms, 20ms)", s, e)
	}
}

// TestArrivalsCommonRandomNumbers: the schedule is traffic's stream for the
// scenario's seed, draw for draw, so every algorithm and both engines face
// the same arrivals; the stopping rule only cuts it.
func TestArrivalsCommonRandomNumbers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra string
	}{
		{"requests", "requests: 300\nwarmup: 20ms\n"},
		{"duration", "duration: 200ms\nwarmup: 20ms\n"},
		{"both", "requests: 300\nduration: 100ms\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := parse(t, "seed: 42\nclients: 7\nbalancers: 3\narrivals: {process: poisson, rate: 2000}\n", tc.extra)
			a, err := model.NewArrivals(sc)
			if err != nil {
				t.Fatal(err)
			}
			st, err := traffic.New("poisson", 2000, 7, 3, 42)
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, a)
			if len(got) < 100 {
				t.Fatalf("only %d arrivals", len(got))
			}
			balancers := map[int]bool{}
			for i, arr := range got {
				if want := st.Next(); arr != want {
					t.Fatalf("arrival %d = %+v, traffic's = %+v", i, arr, want)
				}
				balancers[arr.Balancer] = true
			}
			if len(balancers) != 3 {
				t.Errorf("balancers seen: %v, want 0, 1, 2", balancers)
			}
			m, _ := a.Counts()
			next := st.Next()
			switch {
			case sc.Requests > 0 && m == sc.Requests:
				// The cap ended it: the last yielded is the last measured.
				if _, e := a.Window(); e != got[len(got)-1].At {
					t.Errorf("Window end = %v, want the last arrival's %v", e, got[len(got)-1].At)
				}
			case sc.Duration > 0:
				// The duration ended it: the next arrival is at or after it.
				if got[len(got)-1].At >= sc.Duration || next.At < sc.Duration {
					t.Errorf("last yielded at %v, next at %v, duration %v", got[len(got)-1].At, next.At, sc.Duration)
				}
				if _, e := a.Window(); e != sc.Duration {
					t.Errorf("Window end = %v, want %v", e, sc.Duration)
				}
			default:
				t.Errorf("ended with %d measured of %d requests and no duration", m, sc.Requests)
			}
		})
	}
	// Same seed, same schedule; another seed, another.
	sc := parse(t, "arrivals: {process: poisson, rate: 2000}\n", "requests: 50\n")
	a1, _ := model.NewArrivals(sc)
	a2, _ := model.NewArrivals(sc)
	g1, g2 := drain(t, a1), drain(t, a2)
	for i := range g1 {
		if g1[i] != g2[i] {
			t.Fatalf("two schedules of one scenario differ at %d: %+v, %+v", i, g1[i], g2[i])
		}
	}
	sc.Seed++
	a3, _ := model.NewArrivals(sc)
	if g3 := drain(t, a3); g3[0] == g1[0] {
		t.Errorf("seeds %d and %d start alike: %+v", sc.Seed-1, sc.Seed, g3[0])
	}
}

func TestNewArrivalsErrors(t *testing.T) {
	sc := parse(t, constant1k, "requests: 5\n")
	sc.Requests, sc.Duration = 0, 0
	if a, err := model.NewArrivals(sc); err == nil || a != nil || !strings.Contains(err.Error(), "neither requests nor duration") {
		t.Errorf("no stopping rule: NewArrivals = %v, %v; want an error", a, err)
	}
	sc = parse(t, constant1k, "requests: 5\n")
	sc.Arrivals.Process = "bursty"
	if a, err := model.NewArrivals(sc); err == nil || a != nil || !strings.HasPrefix(err.Error(), "model: ") {
		t.Errorf("bursty: NewArrivals = %v, %v; want a model: error", a, err)
	}
	// Either rule alone is enough.
	for _, rq := range []struct {
		requests int64
		duration time.Duration
	}{{5, 0}, {0, time.Second}, {-1, time.Second}, {5, -1}} {
		sc := parse(t, constant1k, "requests: 5\n")
		sc.Requests, sc.Duration = rq.requests, rq.duration
		if _, err := model.NewArrivals(sc); err != nil {
			t.Errorf("requests %d, duration %v: %v", rq.requests, rq.duration, err)
		}
	}
}

func TestExpectedArrivalsAndLength(t *testing.T) {
	const poisson2k = "arrivals: {process: poisson, rate: 2000}\n"
	// Two servers of 1ms at load 0.5: 1000 req/s.
	const load = "arrivals: {process: poisson, load: 0.5}\nservers:\n  - {name: web, count: 2, service: {dist: constant, value: 1ms}}\n"
	for _, tc := range []struct {
		base, extra string
		arrivals    int64
		length      time.Duration
	}{
		{poisson2k, "requests: 3000\n", 3000, 1500 * time.Millisecond},
		{poisson2k, "requests: 3000\nwarmup: 500ms\n", 4000, 2 * time.Second},
		{poisson2k, "requests: 3000\nduration: 1s\n", 2000, time.Second}, // the duration caps the run
		// The requests end these before the duration.
		{poisson2k, "requests: 1000\nduration: 1s\n", 1000, 500 * time.Millisecond},
		{poisson2k, "requests: 1000\nduration: 1s\nwarmup: 400ms\n", 1800, 900 * time.Millisecond}, // 1000 + 800 < 2000
		{poisson2k, "requests: 1000\nduration: 10m\n", 1000, 500 * time.Millisecond},
		{poisson2k, "duration: 2s\n", 4000, 2 * time.Second},
		{poisson2k, "duration: 2s\nwarmup: 1s\n", 4000, 2 * time.Second},
		{load, "duration: 3s\n", 3000, 3 * time.Second},
		{load, "requests: 500\nwarmup: 250ms\n", 750, 750 * time.Millisecond},
		{constant1k, "requests: 7\n", 7, 7 * time.Millisecond},
	} {
		sc := parse(t, tc.base, tc.extra)
		if got := model.ExpectedArrivals(sc); got != tc.arrivals {
			t.Errorf("%q: ExpectedArrivals = %d, want %d", tc.extra, got, tc.arrivals)
		}
		if got := model.ExpectedLength(sc); got != tc.length {
			t.Errorf("%q: ExpectedLength = %v, want %v", tc.extra, got, tc.length)
		}
	}
	// Neither rule: nothing to tell.
	sc := parse(t, poisson2k, "requests: 5\n")
	sc.Requests = 0
	if got := model.ExpectedArrivals(sc); got != 0 {
		t.Errorf("no stopping rule: ExpectedArrivals = %d, want 0", got)
	}
}

// TestExpectedArrivalsMatchesConstantRun: for constant arrivals the
// estimate is what a run draws, warm-up included.
func TestExpectedArrivalsMatchesConstantRun(t *testing.T) {
	for _, extra := range []string{
		"requests: 50\n",
		"requests: 50\nwarmup: 20ms\n",
		"requests: 50\nduration: 31ms\n", // 30 arrivals before 31ms; the estimate says 31
	} {
		sc := parse(t, constant1k, extra)
		a, err := model.NewArrivals(sc)
		if err != nil {
			t.Fatal(err)
		}
		n := int64(len(drain(t, a)))
		want := model.ExpectedArrivals(sc)
		if n != want && n != want-1 {
			t.Errorf("%q: drew %d arrivals, ExpectedArrivals = %d", extra, n, want)
		}
	}
}
