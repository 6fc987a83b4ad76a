package model

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// FaultSchedule turns a scenario's faults into a timeline of steps (each
// fault's start and end) and keeps the state they leave each server in, so
// that both engines apply the same changes in the same order. It is pure:
// steps in, changes out; the engine decides when a step's time has come
// (a simulated event, a wall-clock timer) and does what the changes say to
// its servers.
//
// Overlapping faults combine: a server is down while any crash covering it
// is in force; slowdown factors multiply; error probabilities combine as
// 1 - prod(1 - p). Levels are recomputed from the set of faults in force
// (scenarios.FaultLevels), never divided out, so they are exact however
// faults overlap.
type FaultSchedule struct {
	faults  []scenarios.Fault
	targets [][]int // fault -> server indices
	active  []bool  // fault -> started and not ended
	crashes []int   // server -> crash faults in force
	steps   []FaultStep
}

// FaultStep is a fault starting or ending.
type FaultStep struct {
	At    time.Duration // from the start of the run
	Fault int           // index in the scenario's faults
	End   bool
}

// ChangeKind is what a step does to one server.
type ChangeKind uint8

// The kinds of Change.
const (
	Crash   ChangeKind = iota // the server goes down: refuse connections, drop what it holds
	Recover                   // the server is back
	Levels                    // new slowdown factor and error probability
)

// Change is what one step does to one server.
type Change struct {
	Server     int
	Kind       ChangeKind
	Slow, ErrP float64 // Levels: the combined levels now in force
	Fault      int     // the fault whose step this is
	End        bool    // the step is the fault's end
}

// NewFaultSchedule is the schedule of sc's faults over its servers. A
// random fault (mtbf/mttr) is drawn here, once, into concrete failures:
// for each server it matches, in order, alternating exponential up times
// (mean MTBF) and down times (mean MTTR) from the fault's `at`, within its
// window (its duration, or to the run's horizon: RandomHorizon), from the
// stream "faults/random" (apart from the errors fault's per-request
// draws), so both engines apply the very same failures.
func NewFaultSchedule(sc *scenarios.Scenario) *FaultSchedule {
	var faults []scenarios.Fault
	var targets [][]int
	var rng *rand.Rand
	horizon := RandomHorizon(sc)
	for i, f := range sc.Faults {
		if f.Kind == scenarios.FaultRestart {
			continue // membership's, not a fault of the servers (Membership)
		}
		if !f.Random() {
			faults, targets = append(faults, f), append(targets, sc.FaultTargets(i))
			continue
		}
		if rng == nil {
			rng = rand.New(rand.NewPCG(sc.Seed, traffic.StreamID("faults/random")))
		}
		end := horizon
		if f.Duration > 0 {
			end = min(end, f.At+f.Duration)
		}
		for _, si := range sc.FaultTargets(i) {
			t := f.At
			for {
				t += time.Duration(float64(f.MTBF) * rng.ExpFloat64())
				if t >= end {
					break
				}
				down := max(time.Duration(float64(f.MTTR)*rng.ExpFloat64()), 1)
				one := f
				one.At, one.Duration, one.MTBF, one.MTTR = t, min(down, end-t), 0, 0
				faults, targets = append(faults, one), append(targets, []int{si})
				t += down
			}
		}
	}
	fs := &FaultSchedule{
		faults:  faults,
		targets: targets,
		active:  make([]bool, len(faults)),
		crashes: make([]int, len(sc.ServerList())),
	}
	for i, f := range faults {
		fs.steps = append(fs.steps, FaultStep{At: f.At, Fault: i})
		if f.Duration > 0 {
			fs.steps = append(fs.steps, FaultStep{At: f.At + f.Duration, Fault: i, End: true})
		}
	}
	// Ties keep the scenario's order: fault i's start, its end, fault i+1's.
	slices.SortStableFunc(fs.steps, func(a, b FaultStep) int { return cmp.Compare(a.At, b.At) })
	return fs
}

// RandomHorizon is how far random faults are drawn when their window is
// open-ended: the run's duration, or else twice its expected length plus a
// minute (a run capped by requests has no fixed end; past the horizon its
// servers stay up).
func RandomHorizon(sc *scenarios.Scenario) time.Duration {
	if sc.Duration > 0 {
		return sc.Duration
	}
	return 2*ExpectedLength(sc) + time.Minute
}

// HasCrashes reports whether sc has crash faults, the ones availability
// counts.
func HasCrashes(sc *scenarios.Scenario) bool {
	return slices.ContainsFunc(sc.Faults, func(f scenarios.Fault) bool { return f.Kind == scenarios.FaultCrash })
}

// Availability is the mean fraction of server-time up (not crashed) over
// the window from start to end (DESIGN.md §7): the crash intervals of the
// schedule, merged per server (overlapping crashes count once), clipped to
// the window. A crash without an end lasts to the window's end. 1 without
// crashes or without a window.
func (fs *FaultSchedule) Availability(start, end time.Duration) float64 {
	n := len(fs.crashes)
	if n == 0 || end <= start {
		return 1
	}
	type span struct{ from, to time.Duration }
	down := make([][]span, n)
	for i, f := range fs.faults {
		if f.Kind != scenarios.FaultCrash {
			continue
		}
		to := end
		if f.Duration > 0 {
			to = f.At + f.Duration
		}
		from, to := max(f.At, start), min(to, end)
		if to <= from {
			continue
		}
		for _, si := range fs.targets[i] {
			down[si] = append(down[si], span{from, to})
		}
	}
	var lost time.Duration
	for _, spans := range down {
		slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
		var cur span
		for k, sp := range spans {
			switch {
			case k == 0:
				cur = sp
			case sp.from <= cur.to:
				cur.to = max(cur.to, sp.to)
			default:
				lost += cur.to - cur.from
				cur = sp
			}
		}
		if len(spans) > 0 {
			lost += cur.to - cur.from
		}
	}
	return 1 - float64(lost)/(float64(n)*float64(end-start))
}

// Steps is every start and end in the order they are to be applied.
func (fs *FaultSchedule) Steps() []FaultStep { return fs.steps }

// Apply records step st and returns what it changes, server by server, in
// the order of the fault's targets. A crash covered by another crash changes
// nothing; a slowdown or errors step always gives its targets their new
// levels.
func (fs *FaultSchedule) Apply(st FaultStep) []Change {
	f := fs.faults[st.Fault]
	fs.active[st.Fault] = !st.End
	var out []Change
	for _, si := range fs.targets[st.Fault] {
		c := Change{Server: si, Fault: st.Fault, End: st.End}
		switch f.Kind {
		case scenarios.FaultCrash:
			if !st.End {
				if fs.crashes[si]++; fs.crashes[si] != 1 {
					continue
				}
				c.Kind = Crash
			} else {
				if fs.crashes[si] == 0 {
					continue
				}
				if fs.crashes[si]--; fs.crashes[si] != 0 {
					continue
				}
				c.Kind = Recover
			}
		case scenarios.FaultSlowdown, scenarios.FaultErrors:
			c.Kind = Levels
			c.Slow, c.ErrP = fs.levels(si)
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

// Down reports whether server si is crashed now.
func (fs *FaultSchedule) Down(si int) bool { return fs.crashes[si] > 0 }

// Event is change c on the run's timeline, at atMS, on server name.
func (fs *FaultSchedule) Event(c Change, atMS float64, name string) report.Event {
	f := fs.faults[c.Fault]
	detail := 0.0
	switch f.Kind {
	case scenarios.FaultSlowdown:
		detail = f.Factor
	case scenarios.FaultErrors:
		detail = f.Probability
	}
	return report.FaultEvent(atMS, name, f.Kind, c.End, detail)
}

// levels combines the faults in force on server si.
func (fs *FaultSchedule) levels(si int) (slow, errP float64) {
	return scenarios.FaultLevels(fs.faults, func(i int) bool {
		return fs.active[i] && slices.Contains(fs.targets[i], si)
	})
}
