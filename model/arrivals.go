package model

import (
	"fmt"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// Arrivals is a scenario's arrival schedule as an iterator: the traffic
// package's seeded stream cut by the one stopping rule of both engines
// (DECISIONS.md): stop once sc.Requests arrivals after the warm-up have
// been yielded, or at the first arrival at or after sc.Duration, whichever
// comes first. The measured window runs from the warm-up's end to the last
// measured arrival (request cap) or to the duration.
type Arrivals struct {
	st interface {
		Next() traffic.Arrival
	}
	tr       *traceSource    // st, when it replays a trace (tracearrivals.go)
	gen      *traffic.Stream // st, when it is generated: called directly, filling in place
	requests int64
	duration time.Duration
	warmup   time.Duration

	measured int64 // arrivals yielded at or after the warm-up
	warm     int64 // ... and before it
	last     time.Duration
	done     bool
	end      time.Duration
}

// NewArrivals is sc's arrival schedule. A scenario that sets neither
// requests nor duration would never end, and is an error, unless it
// replays a trace (which ends with the trace). A trace's replay holds its
// file open until the schedule ends (or Close).
func NewArrivals(sc *scenarios.Scenario) (*Arrivals, error) {
	if sc.Requests <= 0 && sc.Duration <= 0 && sc.Arrivals.Process != "trace" {
		return nil, fmt.Errorf("model: scenario %s sets neither requests nor duration; the run would not end", sc.Name)
	}
	if sc.Arrivals.Process == "closed" {
		return nil, fmt.Errorf("model: scenario %s is a closed loop: its requests come from NewUsers, not NewArrivals", sc.Name)
	}
	if err := sc.Unsupported("this version", Supports); err != nil {
		return nil, err
	}
	if sc.Arrivals.Process == "trace" {
		tr, err := newTraceSource(sc)
		if err != nil {
			return nil, err
		}
		return &Arrivals{st: tr, tr: tr, requests: sc.Requests, duration: sc.Duration, warmup: sc.Warmup}, nil
	}
	st, err := traffic.NewShaped(sc.Arrivals.Process, sc.ArrivalRate(), Shape(sc), sc.Clients, max(sc.Balancers, 1), sc.Seed)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return &Arrivals{st: st, gen: st, requests: sc.Requests, duration: sc.Duration, warmup: sc.Warmup}, nil
}

// Supports reports whether the model, and so both engines, implement the
// DESIGN.md §7 feature named (a scenarios.Feature* name): all of them.
// Engines check a scenario with sc.Unsupported(engine,
// model.Supports) before they run it, so that a key they cannot honour is
// an error at its line, never ignored. (Open loops draw their arrivals
// from Arrivals, closed loops from Users.)
func Supports(feature string) bool {
	switch feature {
	case scenarios.FeatureMMPP, scenarios.FeatureProfile, scenarios.FeatureSine, scenarios.FeatureClasses, scenarios.FeatureClosed,
		scenarios.FeatureTrace:
		return true
	}
	return false
}

// Shape is the traffic shape of sc's open-loop arrivals (DESIGN.md §7):
// mmpp states, profile, sine and the classes' weights.
func Shape(sc *scenarios.Scenario) traffic.Shape {
	var sh traffic.Shape
	for _, s := range sc.Arrivals.States {
		sh.States = append(sh.States, traffic.State{Factor: s.Factor, MeanSojourn: s.MeanSojourn})
	}
	for _, p := range sc.Arrivals.Profile {
		sh.Profile = append(sh.Profile, traffic.ProfilePoint{At: p.At, Factor: p.Factor})
	}
	if s := sc.Arrivals.Sine; s != nil {
		sh.Sine = &traffic.Sine{Period: s.Period, Amplitude: s.Amplitude}
	}
	for _, c := range sc.Classes {
		sh.Classes = append(sh.Classes, c.Weight)
	}
	return sh
}

// Next puts the next arrival in arr and reports true, or reports false
// once the stopping rule has ended the schedule (and for ever after).
func (a *Arrivals) Next(arr *traffic.Arrival) bool {
	if a.done || (a.requests > 0 && a.measured >= a.requests) {
		if !a.done {
			a.stop(a.last)
		}
		return false
	}
	if a.gen != nil {
		a.gen.NextInto(arr)
	} else {
		*arr = a.st.Next()
	}
	if arr.At == traffic.Never {
		a.stop(a.last) // the modulated rate stays 0 from here on
		return false
	}
	if a.duration > 0 && arr.At >= a.duration {
		a.stop(a.duration)
		return false
	}
	if arr.At >= a.warmup {
		a.measured++
	} else {
		a.warm++
	}
	a.last = arr.At
	return true
}

func (a *Arrivals) stop(end time.Duration) {
	a.done, a.end = true, max(end, a.warmup)
	a.Close()
}

// Err is the error that ended a trace's replay early (its file changed
// under the run, after it was checked), or nil.
func (a *Arrivals) Err() error {
	if a.tr != nil {
		return a.tr.err
	}
	return nil
}

// Close releases what the schedule holds (a trace's file); Next reports
// false after it.
func (a *Arrivals) Close() {
	if a.tr != nil {
		a.tr.close()
	}
	a.done = true
}

// Measured reports whether arrival arr counts in the figures: it came at or
// after the warm-up's end.
func (a *Arrivals) Measured(arr traffic.Arrival) bool { return arr.At >= a.warmup }

// Counts are the arrivals yielded so far: measured ones, and the warm-up's.
func (a *Arrivals) Counts() (measured, warm int64) { return a.measured, a.warm }

// Window is the measured window, from the start of the run; its end is known
// once Next has returned false (before that, it is the warm-up's end).
func (a *Arrivals) Window() (start, end time.Duration) {
	if !a.done {
		return a.warmup, a.warmup
	}
	return a.warmup, a.end
}

// Done reports whether the schedule has ended.
func (a *Arrivals) Done() bool { return a.done }

// ExpectedArrivals estimates how many arrivals one algorithm's run of sc
// draws: the measured requests plus those of the warm-up when requests are
// set (capped by rate x duration), else rate x duration; 0 if it cannot
// tell.
func ExpectedArrivals(sc *scenarios.Scenario) int64 {
	if sc.Arrivals.Process == "trace" && sc.Requests <= 0 && sc.Duration <= 0 {
		if info, err := ScanTrace(sc); err == nil {
			return info.Requests
		}
		return 0
	}
	rate := ExpectedRate(sc)
	var per float64
	switch {
	case sc.Requests > 0:
		per = float64(sc.Requests) + rate*sc.Warmup.Seconds()
		if sc.Duration > 0 && rate > 0 {
			per = min(per, rate*sc.Duration.Seconds())
		}
	case sc.Duration > 0 && rate > 0:
		per = rate * sc.Duration.Seconds()
	}
	return int64(per)
}

// ExpectedLength estimates how long a run of sc lasts, from t = 0: the
// warm-up plus the time the measured requests take to arrive, capped by the
// duration (whichever rule stops the run first). Both engines size their
// timelines' windows by it, so that their timelines line up. A closed
// loop's rate is its bound (users / (think + mean service), at most the
// capacity), so its estimate is a little short.
func ExpectedLength(sc *scenarios.Scenario) time.Duration {
	if sc.Arrivals.Process == "trace" && sc.Requests <= 0 {
		d := time.Duration(0)
		if info, err := ScanTrace(sc); err == nil {
			d = info.Span
		}
		if sc.Duration > 0 && (d == 0 || sc.Duration < d) {
			d = sc.Duration
		}
		return d
	}
	rate := ExpectedRate(sc)
	if sc.Requests <= 0 || !(rate > 0) {
		return sc.Duration // a trace's length is not known in advance
	}
	d := sc.Warmup + time.Duration(float64(sc.Requests)/rate*1e9)
	if sc.Duration > 0 {
		d = min(d, sc.Duration)
	}
	return d
}
