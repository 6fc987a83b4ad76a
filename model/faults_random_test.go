package model_test

import (
	"math"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// randomFaults is 20 servers that crash at random (MTBF 9s, MTTR 1s: up
// 90% of the time) over a 2000s run.
func randomFaults(t *testing.T, extra string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("r.yaml", []byte(`name: r
duration: 2000s
arrivals: {rate: 100}
servers: [{name: web, count: 20, service: {dist: constant, value: 1ms}}]
faults:
  - {target: "web-*", kind: crash, mtbf: 9s, mttr: 1s`+extra+`}
algorithms: [random]
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestRandomFaults: each matched server fails and recovers on its own
// (alternating exponential up and down times), the same way every time;
// the availability is MTBF / (MTBF + MTTR) within its sampling error; and
// a window (at, duration) bounds the failures.
func TestRandomFaults(t *testing.T) {
	sc := randomFaults(t, "")
	a, b := model.NewFaultSchedule(sc), model.NewFaultSchedule(sc)
	if len(a.Steps()) != len(b.Steps()) || len(a.Steps()) < 2*20*150 {
		t.Fatalf("%d and %d steps; want the same, about 2 x 20 x 200", len(a.Steps()), len(b.Steps()))
	}
	for i := range a.Steps() {
		if a.Steps()[i] != b.Steps()[i] {
			t.Fatalf("step %d differs: %+v vs %+v", i, a.Steps()[i], b.Steps()[i])
		}
	}
	// Walk the schedule: every server alternates crash and recover.
	down := make([]bool, 20)
	var events []report.Event
	for _, st := range a.Steps() {
		for _, c := range a.Apply(st) {
			switch c.Kind {
			case model.Crash:
				if down[c.Server] {
					t.Fatalf("server %d crashed twice", c.Server)
				}
				down[c.Server] = true
			case model.Recover:
				if !down[c.Server] {
					t.Fatalf("server %d recovered while up", c.Server)
				}
				down[c.Server] = false
			}
			events = append(events, a.Event(c, 0, "x"))
		}
	}
	if events[0].Kind != report.EventCrash {
		t.Errorf("first event %+v", events[0])
	}
	// Each server has about 200 up/down cycles; the down fraction of one
	// cycle has mean 0.1 and, for exponential up (9s) and down (1s) times,
	// the fraction over n cycles has an SD of about 0.1 x sqrt(2 / n)
	// x 0.9 (delta method); over 20 servers x 200 cycles, about 0.002.
	got := model.NewFaultSchedule(sc).Availability(0, sc.Duration)
	if se := 0.1 * math.Sqrt(2.0/4000) * 0.9; math.Abs(got-0.9) > 5*se {
		t.Errorf("availability %.4f, want 0.9 ± %.4f", got, 5*se)
	}

	// A window: failures only from 100s for 200s.
	w := model.NewFaultSchedule(randomFaults(t, ", at: 100s, duration: 200s"))
	for _, st := range w.Steps() {
		if st.At < 100*time.Second || st.At > 300*time.Second {
			t.Fatalf("a step at %v, outside the window [100s, 300s]", st.At)
		}
	}
	if av := w.Availability(0, 2000*time.Second); !(av > 0.98 && av < 1) {
		t.Errorf("windowed availability %.4f: failures in 10%% of the run, so about 0.99", av)
	}
}

// TestAvailabilityMerges: overlapping crashes on one server count once,
// clipped to the window.
func TestAvailabilityMerges(t *testing.T) {
	sc, err := scenarios.Parse("a.yaml", []byte(`name: a
duration: 100s
arrivals: {rate: 10}
servers: [{name: web, count: 2, service: {dist: constant, value: 1ms}}]
faults:
  - {at: 10s, target: web-0, kind: crash, duration: 20s}
  - {at: 20s, target: web-0, kind: crash, duration: 20s}
  - {at: 90s, target: web-1, kind: crash}
  - {at: 0s, target: web-1, kind: slowdown, factor: 2}
algorithms: [random]
`))
	if err != nil {
		t.Fatal(err)
	}
	// web-0 down 10-40s (30s), web-1 from 90s to the window's end at 100s
	// (10s): 40s of 200 server-seconds.
	if got := model.NewFaultSchedule(sc).Availability(0, 100*time.Second); math.Abs(got-0.8) > 1e-12 {
		t.Errorf("availability %v, want 0.8", got)
	}
	// Window 20-60s: web-0 down 20-40 (20s) of 80 server-seconds.
	if got := model.NewFaultSchedule(sc).Availability(20*time.Second, 60*time.Second); math.Abs(got-0.75) > 1e-12 {
		t.Errorf("availability %v, want 0.75", got)
	}
}
