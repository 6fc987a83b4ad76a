package scenarios

import (
	"fmt"
	"reflect"
)

// The features of DESIGN.md §7 that an engine may not implement yet, as
// Feature.Name gives them.
const (
	FeatureMMPP    = "mmpp"    // arrivals.process: mmpp (with arrivals.states)
	FeatureProfile = "profile" // arrivals.profile
	FeatureSine    = "sine"    // arrivals.sine
	FeatureClosed  = "closed"  // arrivals.process: closed (users, think)
	FeatureTrace   = "trace"   // arrivals.process: trace (file, speed)
	FeatureClasses = "classes" // classes
)

// Feature is one §7 feature a scenario uses, where the file asks for it.
type Feature struct {
	Name string // one of the Feature* constants
	Path string // the field that asks for it: "arrivals.process", "arrivals.profile", "classes", ...
	Line int    // its line in the scenario's file; 0 when unknown
}

// Features lists the §7 features s uses, in the order of the constants
// above: mmpp, profile, sine, closed, trace, classes. A §3 scenario uses
// none. Engines refuse what they do not implement (Unsupported) rather than
// ignore it.
func (s *Scenario) Features() []Feature {
	var out []Feature
	add := func(name, path string) {
		out = append(out, Feature{Name: name, Path: path, Line: s.line(path)})
	}
	a := s.Arrivals
	if a.Process == "mmpp" {
		add(FeatureMMPP, "arrivals.process")
	}
	if a.Profile != nil {
		add(FeatureProfile, "arrivals.profile")
	}
	if a.Sine != nil {
		add(FeatureSine, "arrivals.sine")
	}
	if a.Process == "closed" {
		add(FeatureClosed, "arrivals.process")
	}
	if a.Process == "trace" {
		add(FeatureTrace, "arrivals.process")
	}
	if s.Classes != nil {
		add(FeatureClasses, "classes")
	}
	return out
}

// featureWhat names a feature in Unsupported's messages.
var featureWhat = map[string]string{
	FeatureMMPP:    "the mmpp arrival process",
	FeatureProfile: "a traffic profile",
	FeatureSine:    "a sine modulation of the arrivals",
	FeatureClosed:  "closed-loop arrivals",
	FeatureTrace:   "trace replay",
	FeatureClasses: "request classes",
}

// Unsupported returns an Errors with one problem for each feature s uses
// that supported (given a Feature.Name) rejects, each at the feature's line:
//
//	x.yaml:3: arrivals.process: sim does not support the mmpp arrival process yet
//
// It returns nil when the engine supports all of them (or s uses none).
func (s *Scenario) Unsupported(engine string, supported func(feature string) bool) error {
	var errs Errors
	for _, f := range s.Features() {
		if !supported(f.Name) {
			errs = append(errs, &Error{File: s.File, Line: f.Line, Path: f.Path,
				Msg: fmt.Sprintf("%s does not support %s yet", engine, featureWhat[f.Name])})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return sortErrors(errs)
}

// ErrorAt returns a problem with the field at path (as Error.Path writes it,
// e.g. "arrivals.states[1].factor"), at that field's line in the file s was
// loaded from, or its closest ancestor's that the file writes:
//
//	x.yaml:9: arrivals.states[1].factor: the engine needs a factor below 100
//
// The error is an *Error, which engines and command lines print as the
// loader's own. Path "" is about the whole file.
func (s *Scenario) ErrorAt(path, format string, args ...any) error {
	return &Error{File: s.File, Line: s.line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// line is the line of path in s's file, or of its closest ancestor there;
// 0 when unknown.
func (s *Scenario) line(path string) int {
	v := validator{lines: s.lines}
	return v.line(path)
}

// hasThink reports whether a closed loop's think time is set.
func (a Arrivals) hasThink() bool { return !reflect.ValueOf(a.Think).IsZero() }
