package realproxy

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// parse loads a scenario from text, failing the test on any error.
func parse(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

const scheduleScenario = `name: sched
seed: 3
requests: 500
warmup: 1s
arrivals: {process: poisson, rate: 400}
clients: 50
servers:
  - {name: web, count: 2, service: {dist: exponential, mean: 2ms}}
algorithms: [round-robin]
`

// TestScheduleMatchesStream checks that the schedule is the simulator's
// stream, cut by its rule: every arrival of traffic.New in order, the
// warm-up ones first, then exactly Requests measured ones; the window runs
// from the warm-up to the last arrival.
func TestScheduleMatchesStream(t *testing.T) {
	sc := parse(t, scheduleScenario)
	s, err := newSchedule(sc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := traffic.New("poisson", 400, 50, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	for k, a := range s.arrivals {
		if want := st.Next(); a != want {
			t.Fatalf("arrival %d = %+v, want %+v", k, a, want)
		}
		if measured := a.At >= time.Second; measured != (k >= s.warm) {
			t.Fatalf("arrival %d at %v: measured %v, but warm = %d", k, a.At, measured, s.warm)
		}
	}
	if s.measured() != 500 {
		t.Errorf("%d measured arrivals, want 500", s.measured())
	}
	// About 400 arrivals in the 1s warm-up (Poisson: sd 20).
	if s.warm < 300 || s.warm > 500 {
		t.Errorf("%d warm-up arrivals, want about 400", s.warm)
	}
	if s.windowStart != time.Second || s.windowEnd != s.arrivals[len(s.arrivals)-1].At {
		t.Errorf("window [%v, %v], want [1s, %v]", s.windowStart, s.windowEnd, s.arrivals[len(s.arrivals)-1].At)
	}
}

func TestScheduleDuration(t *testing.T) {
	sc := parse(t, strings.Replace(scheduleScenario, "requests: 500", "requests: 100000\nduration: 2s", 1))
	s, err := newSchedule(sc)
	if err != nil {
		t.Fatal(err)
	}
	last := s.arrivals[len(s.arrivals)-1].At
	if last >= 2*time.Second || s.windowEnd != 2*time.Second {
		t.Errorf("last arrival %v, window end %v; want < 2s and 2s", last, s.windowEnd)
	}
	if n := len(s.arrivals); n < 650 || n > 950 {
		t.Errorf("%d arrivals in 2s at 400/s", n)
	}

	// A window that would end before the warm-up does not go negative.
	sc.Duration = 500 * time.Millisecond // Validate refuses this; the engine copes
	if s, err = newSchedule(sc); err != nil {
		t.Fatal(err)
	}
	if s.measured() != 0 || s.windowEnd != s.windowStart {
		t.Errorf("measured %d, window [%v, %v]; want none and an empty window", s.measured(), s.windowStart, s.windowEnd)
	}
}

func TestScheduleBalancers(t *testing.T) {
	sc := parse(t, strings.Replace(scheduleScenario, "clients: 50", "clients: 50\nbalancers: 3", 1))
	s, err := newSchedule(sc)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, a := range s.arrivals {
		seen[a.Balancer]++
	}
	if len(seen) != 3 {
		t.Errorf("arrivals went to balancers %v, want 0, 1 and 2", seen)
	}
}

func TestPacer(t *testing.T) {
	p := pacer{at: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond}}
	for _, tc := range []struct {
		elapsed time.Duration
		hits    uint64
		wait    time.Duration
		stop    bool
	}{
		{0, 0, 10 * time.Millisecond, false},
		{4 * time.Millisecond, 0, 6 * time.Millisecond, false},
		{12 * time.Millisecond, 0, 0, false}, // late: go now
		{10 * time.Millisecond, 1, 0, false},
		{11 * time.Millisecond, 2, 19 * time.Millisecond, false},
		{31 * time.Millisecond, 3, 0, true},
		{0, 99, 0, true},
	} {
		wait, stop := p.Pace(tc.elapsed, tc.hits)
		if wait != tc.wait || stop != tc.stop {
			t.Errorf("Pace(%v, %d) = %v, %v; want %v, %v", tc.elapsed, tc.hits, wait, stop, tc.wait, tc.stop)
		}
	}
	// 1000 arrivals a millisecond apart: 1000 per second in the middle.
	at := make([]time.Duration, 1000)
	for i := range at {
		at[i] = time.Duration(i) * time.Millisecond
	}
	if r := (pacer{at: at}).Rate(500 * time.Millisecond); r != 1000 {
		t.Errorf("Rate = %v, want 1000", r)
	}
}

func TestTargeter(t *testing.T) {
	sc := parse(t, strings.Replace(scheduleScenario, "clients: 50", "clients: 50\nbalancers: 2", 1))
	s, err := newSchedule(sc)
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{"http://127.0.0.1:1", "http://127.0.0.1:2"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := s.targeter(ctx, urls)
	for k, a := range s.arrivals {
		var tgt vegeta.Target
		if err := tr(&tgt); err != nil {
			t.Fatal(err)
		}
		if tgt.Method != http.MethodGet || !strings.HasPrefix(tgt.URL, urls[a.Balancer]+"/") {
			t.Fatalf("target %d: %s %s, want GET %s/...", k, tgt.Method, tgt.URL, urls[a.Balancer])
		}
		if got, err := arrivalOf(tgt.URL); err != nil || got != k {
			t.Fatalf("target %d: URL %s names arrival %d (%v)", k, tgt.URL, got, err)
		}
		u, err := strconv.ParseFloat(tgt.Header.Get(wire.Quantile), 64)
		if err != nil || u != a.U {
			t.Fatalf("target %d: quantile header %q, want %v exactly", k, tgt.Header.Get(wire.Quantile), a.U)
		}
		if c := tgt.Header.Get(wire.Client); c != strconv.Itoa(a.Client) {
			t.Fatalf("target %d: client header %q, want %d", k, c, a.Client)
		}
		// The request vegeta builds carries them.
		req, err := tgt.Request()
		if err != nil || req.Header.Get(wire.Quantile) == "" || req.Header.Get(wire.Client) == "" {
			t.Fatalf("target %d: request %v, %v", k, req, err)
		}
	}
	var tgt vegeta.Target
	if err := tr(&tgt); !errors.Is(err, vegeta.ErrNoTargets) {
		t.Errorf("past the schedule: %v, want ErrNoTargets", err)
	}
	tr = s.targeter(ctx, urls)
	cancel()
	if err := tr(&tgt); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v, want context.Canceled", err)
	}
}

func TestArrivalOfBad(t *testing.T) {
	for _, url := range []string{"http://x/", "http://x/?arrival=", "http://x/?arrival=-1", "http://x/?arrival=1x"} {
		if _, err := arrivalOf(url); err == nil {
			t.Errorf("arrivalOf(%q) did not fail", url)
		}
	}
}

// TestScheduleLimits checks the two ways a schedule cannot be made.
func TestScheduleLimits(t *testing.T) {
	sc := parse(t, scheduleScenario)
	sc.Requests, sc.Duration = 0, 0
	if _, err := newSchedule(sc); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("no stopping rule: %v", err)
	}
	defer func(n int) { maxArrivals = n }(maxArrivals)
	maxArrivals = 100
	sc = parse(t, scheduleScenario)
	if _, err := newSchedule(sc); err == nil || !strings.Contains(err.Error(), "--requests") {
		t.Errorf("too many arrivals: %v", err)
	}
}
