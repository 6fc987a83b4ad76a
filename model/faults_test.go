package model_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// fourServers are web-0, web-1, web-2 (indices 0-2), webx-0 (3), which
// "web-*" must not match, and db-0 (4).
const fourServers = constant1k + `servers:
  - {name: web, count: 3, service: {dist: constant, value: 1ms}}
  - {name: webx, service: {dist: constant, value: 1ms}}
  - {name: db, service: {dist: constant, value: 1ms}}
duration: 100s
`

func faultScenario(t *testing.T, faults string) *scenarios.Scenario {
	t.Helper()
	return parse(t, fourServers, "faults:\n"+faults)
}

func TestFaultStepsOrder(t *testing.T) {
	s := time.Second
	sc := faultScenario(t, `
  - {at: 20s, target: web-0, kind: crash, duration: 10s}
  - {at: 5s, target: web-1, kind: slowdown, factor: 2, duration: 25s}
  - {at: 30s, target: web-2, kind: errors, probability: 0.5}
  - {at: 10s, target: db-0, kind: crash, duration: 0s}
  - {at: 0s, target: webx-0, kind: crash, duration: 30s}
  - {at: 30s, target: web-0, kind: slowdown, factor: 3, duration: 1s}
`)
	got := model.NewFaultSchedule(sc).Steps()
	want := []model.FaultStep{
		{At: 0, Fault: 4},
		{At: 5 * s, Fault: 1},
		{At: 10 * s, Fault: 3}, // never ends
		{At: 20 * s, Fault: 0},
		// Ties at 30s keep the scenario's order of faults.
		{At: 30 * s, Fault: 0, End: true},
		{At: 30 * s, Fault: 1, End: true},
		{At: 30 * s, Fault: 2}, // never ends
		{At: 30 * s, Fault: 4, End: true},
		{At: 30 * s, Fault: 5},
		{At: 31 * s, Fault: 5, End: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Steps =\n%v\nwant\n%v", got, want)
	}
	if n := len(model.NewFaultSchedule(parse(t, fourServers, "")).Steps()); n != 0 {
		t.Errorf("no faults: %d steps", n)
	}
}

// apply runs every step of fs and returns each step's changes.
func apply(fs *model.FaultSchedule) [][]model.Change {
	var out [][]model.Change
	for _, st := range fs.Steps() {
		out = append(out, fs.Apply(st))
	}
	return out
}

func TestFaultOverlappingCrashes(t *testing.T) {
	sc := faultScenario(t, `
  - {at: 1s, target: web-0, kind: crash, duration: 10s}
  - {at: 5s, target: web-0, kind: crash, duration: 10s}
  - {at: 8s, target: "web-*", kind: crash, duration: 4s}
`)
	fs := model.NewFaultSchedule(sc)
	// Steps: 1s f0, 5s f1, 8s f2, 11s f0 end, 12s f2 end, 15s f1 end.
	want := [][]model.Change{
		{{Server: 0, Kind: model.Crash, Fault: 0}},
		nil, // web-0 is down already
		{{Server: 1, Kind: model.Crash, Fault: 2}, {Server: 2, Kind: model.Crash, Fault: 2}},
		nil, // f1 and f2 still hold web-0
		{{Server: 1, Kind: model.Recover, Fault: 2, End: true}, {Server: 2, Kind: model.Recover, Fault: 2, End: true}},
		{{Server: 0, Kind: model.Recover, Fault: 1, End: true}}, // at the last end
	}
	wantDown := [][5]bool{
		{true, false, false, false, false},
		{true, false, false, false, false},
		{true, true, true, false, false},
		{true, true, true, false, false},
		{true, false, false, false, false},
		{false, false, false, false, false},
	}
	steps := fs.Steps()
	if len(steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(steps), len(want))
	}
	for i, st := range steps {
		got := fs.Apply(st)
		if !slices.Equal(got, want[i]) {
			t.Errorf("step %d (%+v): changes %+v, want %+v", i, st, got, want[i])
		}
		for si, w := range wantDown[i] {
			if fs.Down(si) != w {
				t.Errorf("after step %d: Down(%d) = %v, want %v", i, si, fs.Down(si), w)
			}
		}
	}
}

// TestFaultCrashTies: at equal times steps go in the scenario's order of
// faults (fault i's start and end, then fault i+1's), not starts before
// ends. So a crash ending when a later-listed one starts recovers the
// server and crashes it again at the same time, while the same two crashes
// listed the other way round change nothing at that time.
func TestFaultCrashTies(t *testing.T) {
	sc := faultScenario(t, `
  - {at: 1s, target: web-1, kind: crash, duration: 2s}
  - {at: 3s, target: web-1, kind: crash, duration: 2s}
`)
	got := apply(model.NewFaultSchedule(sc))
	want := [][]model.Change{
		{{Server: 1, Kind: model.Crash, Fault: 0}},
		{{Server: 1, Kind: model.Recover, Fault: 0, End: true}},
		{{Server: 1, Kind: model.Crash, Fault: 1}},
		{{Server: 1, Kind: model.Recover, Fault: 1, End: true}},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("listed in time order: changes %+v, want %+v", got, want)
	}

	sc = faultScenario(t, `
  - {at: 3s, target: web-1, kind: crash, duration: 2s}
  - {at: 1s, target: web-1, kind: crash, duration: 2s}
`)
	got = apply(model.NewFaultSchedule(sc))
	want = [][]model.Change{
		{{Server: 1, Kind: model.Crash, Fault: 1}},
		nil, // 3s: fault 0 starts while fault 1 holds the server down
		nil, // 3s: fault 1 ends while fault 0 does
		{{Server: 1, Kind: model.Recover, Fault: 0, End: true}},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("listed the other way: changes %+v, want %+v", got, want)
	}
}

func TestFaultLevels(t *testing.T) {
	// Dyadic probabilities, so that 1 - prod(1 - p) is exact in float64.
	sc := faultScenario(t, `
  - {at: 0s, target: web-0, kind: slowdown, factor: 2, duration: 10s}
  - {at: 5s, target: web-0, kind: slowdown, factor: 3, duration: 10s}
  - {at: 2s, target: web-0, kind: errors, probability: 0.5, duration: 10s}
  - {at: 7s, target: "web-[01]", kind: errors, probability: 0.75}
  - {at: 8s, target: web-0, kind: crash, duration: 1s}
`)
	fs := model.NewFaultSchedule(sc)
	lv := func(server, fault int, end bool, slow, errP float64) model.Change {
		return model.Change{Server: server, Kind: model.Levels, Slow: slow, ErrP: errP, Fault: fault, End: end}
	}
	want := [][]model.Change{
		{lv(0, 0, false, 2, 0)},                                 // 0s
		{lv(0, 2, false, 2, 0.5)},                               // 2s
		{lv(0, 1, false, 6, 0.5)},                               // 5s
		{lv(0, 3, false, 6, 0.875), lv(1, 3, false, 1, 0.75)},   // 7s: 1 - 0.5 x 0.25
		{{Server: 0, Kind: model.Crash, Fault: 4}},              // 8s: a crash leaves the levels alone
		{{Server: 0, Kind: model.Recover, Fault: 4, End: true}}, // 9s
		{lv(0, 0, true, 3, 0.875)},                              // 10s
		{lv(0, 2, true, 3, 0.75)},                               // 12s
		{lv(0, 1, true, 1, 0.75)},                               // 15s
	}
	got := apply(fs)
	if len(got) != len(want) {
		t.Fatalf("%d steps, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("step %d (%+v): %+v, want %+v", i, fs.Steps()[i], got[i], want[i])
		}
	}

	// Non-dyadic ones combine the same way, to float precision, and go back
	// to exactly none when the last ends.
	sc = faultScenario(t, `
  - {at: 1s, target: db-0, kind: errors, probability: 0.2, duration: 4s}
  - {at: 2s, target: db-0, kind: errors, probability: 0.3, duration: 1s}
  - {at: 2s, target: db-0, kind: slowdown, factor: 1.5, duration: 2s}
  - {at: 3s, target: db-0, kind: slowdown, factor: 4, duration: 1s}
`)
	fs = model.NewFaultSchedule(sc)
	type level struct{ slow, errP float64 }
	wantLv := []level{
		{1, 0.2},           // 1s f0
		{1, 1 - 0.8*0.7},   // 2s f1
		{1.5, 1 - 0.8*0.7}, // 2s f2
		{1.5, 0.2},         // 3s f1 end
		{6, 0.2},           // 3s f3
		{4, 0.2},           // 4s f2 end
		{1, 0.2},           // 4s f3 end
		{1, 0},             // 5s f0 end
	}
	i := 0
	for _, st := range fs.Steps() {
		for _, c := range fs.Apply(st) {
			if c.Server != 4 || c.Kind != model.Levels {
				t.Errorf("step %+v: change %+v", st, c)
				continue
			}
			if i >= len(wantLv) {
				t.Fatalf("more than %d changes", len(wantLv))
			}
			w := wantLv[i]
			if math.Abs(c.Slow-w.slow) > 1e-12 || math.Abs(c.ErrP-w.errP) > 1e-12 {
				t.Errorf("change %d (step %+v): slow %v, errors %v; want %v, %v", i, st, c.Slow, c.ErrP, w.slow, w.errP)
			}
			i++
		}
	}
	if i != len(wantLv) {
		t.Errorf("%d changes, want %d", i, len(wantLv))
	}
	if wantLv[len(wantLv)-1].errP != 0 {
		t.Fatal("bad table")
	}
}

func TestFaultGlobTargets(t *testing.T) {
	sc := faultScenario(t, `
  - {at: 1s, target: "web-*", kind: slowdown, factor: 4, duration: 1s}
  - {at: 3s, target: "*", kind: crash}
`)
	got := apply(model.NewFaultSchedule(sc))
	want := [][]model.Change{
		{
			{Server: 0, Kind: model.Levels, Slow: 4, Fault: 0},
			{Server: 1, Kind: model.Levels, Slow: 4, Fault: 0},
			{Server: 2, Kind: model.Levels, Slow: 4, Fault: 0},
		},
		{
			{Server: 0, Kind: model.Levels, Slow: 1, Fault: 0, End: true},
			{Server: 1, Kind: model.Levels, Slow: 1, Fault: 0, End: true},
			{Server: 2, Kind: model.Levels, Slow: 1, Fault: 0, End: true},
		},
		{
			{Server: 0, Kind: model.Crash, Fault: 1},
			{Server: 1, Kind: model.Crash, Fault: 1},
			{Server: 2, Kind: model.Crash, Fault: 1},
			{Server: 3, Kind: model.Crash, Fault: 1},
			{Server: 4, Kind: model.Crash, Fault: 1},
		},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("changes\n%+v\nwant\n%+v", got, want)
	}
}

func TestFaultEvent(t *testing.T) {
	sc := faultScenario(t, `
  - {at: 1s, target: web-1, kind: crash, duration: 1s}
  - {at: 3s, target: web-0, kind: slowdown, factor: 4, duration: 2s}
  - {at: 4s, target: web-0, kind: slowdown, factor: 2.5, duration: 2s}
  - {at: 7s, target: db-0, kind: errors, probability: 0.5, duration: 1s}
`)
	fs := model.NewFaultSchedule(sc)
	names := []string{"web-0", "web-1", "web-2", "webx-0", "db-0"}
	var got []report.Event
	for _, st := range fs.Steps() {
		for _, c := range fs.Apply(st) {
			got = append(got, fs.Event(c, float64(st.At)/1e6, names[c.Server]))
		}
	}
	want := []report.Event{
		{AtMS: 1000, Server: "web-1", What: "crash", Kind: report.EventCrash},
		{AtMS: 2000, Server: "web-1", What: "recover", Kind: report.EventCrash, End: true},
		{AtMS: 3000, Server: "web-0", What: "slowdown x4", Kind: report.EventSlowdown, Detail: 4},
		// The fault's own factor, not the combined level (10).
		{AtMS: 4000, Server: "web-0", What: "slowdown x2.5", Kind: report.EventSlowdown, Detail: 2.5},
		{AtMS: 5000, Server: "web-0", What: "end slowdown", Kind: report.EventSlowdown, End: true},
		{AtMS: 6000, Server: "web-0", What: "end slowdown", Kind: report.EventSlowdown, End: true},
		{AtMS: 7000, Server: "db-0", What: "errors 0.5", Kind: report.EventErrors, Detail: 0.5},
		{AtMS: 8000, Server: "db-0", What: "end errors", Kind: report.EventErrors, End: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n%+v\nwant\n%+v", got, want)
	}
	// The same words as the scenario's own description.
	for i, f := range sc.Faults {
		for _, end := range []bool{false, true} {
			e := fs.Event(model.Change{Fault: i, End: end}, 0, "x")
			if e.What != f.Describe(end) {
				t.Errorf("fault %d end %v: What %q, Describe %q", i, end, e.What, f.Describe(end))
			}
		}
	}
}

// TestFaultScheduleIndependent: schedules of one scenario keep their own
// state (an engine makes one per run).
func TestFaultScheduleIndependent(t *testing.T) {
	sc := faultScenario(t, "  - {at: 1s, target: web-0, kind: crash}\n")
	a, b := model.NewFaultSchedule(sc), model.NewFaultSchedule(sc)
	apply(a)
	if !a.Down(0) || b.Down(0) {
		t.Errorf("Down(0): applied %v, fresh %v", a.Down(0), b.Down(0))
	}
	if got := apply(b); len(got) != 1 || len(got[0]) != 1 || got[0][0].Kind != model.Crash {
		t.Errorf("fresh schedule's changes %+v", got)
	}
}
