// Package modeltest holds scripted cases that every engine's adapter of
// package model must pass, so that one table checks both engines: the same
// sequence of inputs (probe verdicts, attempts' outcomes, at given times)
// must give the same verdicts, published at the same times, whether the
// simulator's events or the proxy's goroutines and timers deliver it.
package modeltest

import (
	"fmt"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
)

// StepKind is what a Step feeds the health tracker.
type StepKind uint8

// The kinds of Step.
const (
	Probe   StepKind = iota // an active check's verdict arrives
	Attempt                 // a request's attempt ends (passive ejection)
)

// Step is one input, at At from the start of the run, on server Server.
type Step struct {
	At     time.Duration
	Kind   StepKind
	Server int
	OK     bool
}

// Verdict is a change the balancer is told of: at At, server Server became
// Healthy or not. Ejections end at their time without any step.
type Verdict struct {
	At      time.Duration
	Server  int
	Healthy bool
}

// Format lists verdicts one a line, for a test's message.
func Format(vs []Verdict) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

func (v Verdict) String() string {
	return fmt.Sprintf("%v server %d healthy=%v", v.At, v.Server, v.Healthy)
}

// HealthCase is one script: Servers servers under Rules, fed Steps in
// order; the balancer must be told of exactly Want, in order, by Until
// (which is after every ejection's end).
type HealthCase struct {
	Name    string
	Servers int
	Rules   model.HealthRules
	Steps   []Step
	Want    []Verdict
	Until   time.Duration
}

const ms = time.Millisecond

func probe(at time.Duration, si int, ok bool) Step {
	return Step{At: at, Kind: Probe, Server: si, OK: ok}
}
func try(at time.Duration, si int, ok bool) Step {
	return Step{At: at, Kind: Attempt, Server: si, OK: ok}
}

// HealthCases are the scripts both engines run.
var HealthCases = []HealthCase{
	{
		Name: "fall 3 rise 2", Servers: 2, Until: time.Second,
		Rules: model.HealthRules{Rise: 2, Fall: 3},
		Steps: []Step{
			probe(10*ms, 0, false), probe(20*ms, 0, false), probe(30*ms, 0, true), // a success resets the count
			probe(40*ms, 0, false), probe(50*ms, 0, false), probe(60*ms, 0, false), // down at the third
			probe(60*ms, 1, false),
			probe(70*ms, 0, true), probe(80*ms, 0, false), probe(90*ms, 0, true), probe(100*ms, 0, true), // up at the second in a row
		},
		Want: []Verdict{{60 * ms, 0, false}, {100 * ms, 0, true}},
	},
	{
		Name: "passive ejection and its end", Servers: 2, Until: time.Second,
		Rules: model.HealthRules{ConsecutiveFailures: 3, Ejection: 200 * ms},
		Steps: []Step{
			try(10*ms, 1, false), try(20*ms, 1, false), try(30*ms, 1, true), // reset
			try(40*ms, 1, false), try(50*ms, 1, false), try(60*ms, 1, false), // ejected until 260ms
			try(70*ms, 1, false),                                                // already ejected: nothing
			try(300*ms, 1, false), try(310*ms, 1, false), try(320*ms, 1, false), // again, until 520ms
		},
		Want: []Verdict{{60 * ms, 1, false}, {260 * ms, 1, true}, {320 * ms, 1, false}, {520 * ms, 1, true}},
	},
	{
		Name: "active and passive together", Servers: 1, Until: time.Second,
		Rules: model.HealthRules{Rise: 1, Fall: 1, ConsecutiveFailures: 2, Ejection: 100 * ms},
		Steps: []Step{
			try(10*ms, 0, false), try(20*ms, 0, false), // ejected until 120ms
			probe(50*ms, 0, false), // down as well: no change the balancer sees
			probe(80*ms, 0, true),  // up again, but still ejected: no change
			// 120ms: the ejection ends, and the server is eligible again.
			probe(150*ms, 0, false),                      // down
			try(160*ms, 0, false), try(170*ms, 0, false), // ejected while down: no change
			probe(200*ms, 0, true), // up, still ejected until 270ms
		},
		Want: []Verdict{{20 * ms, 0, false}, {120 * ms, 0, true}, {150 * ms, 0, false}, {270 * ms, 0, true}},
	},
	{
		Name: "rise back clears the failure count", Servers: 1, Until: time.Second,
		Rules: model.HealthRules{Rise: 1, Fall: 1, ConsecutiveFailures: 3, Ejection: 100 * ms},
		Steps: []Step{
			try(10*ms, 0, false), try(20*ms, 0, false),
			probe(30*ms, 0, false), probe(40*ms, 0, true), // back: the count starts over
			try(50*ms, 0, false), try(60*ms, 0, false), // two of three: still eligible
			try(70*ms, 0, false), // third: ejected until 170ms
		},
		Want: []Verdict{{30 * ms, 0, false}, {40 * ms, 0, true}, {70 * ms, 0, false}, {170 * ms, 0, true}},
	},
}
