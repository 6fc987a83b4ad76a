package algorithms

// Typed parameters: how a strategy declares them (Int, Float, Duration,
// String), how the values of a scenario file (YAML decoded into
// map[string]any: ints as int, floats as float64) are decoded and checked
// against them, and the Params a strategy's New reads them from.

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParamError reports a bad algorithm parameter: an unknown name or a value
// out of range. Its message reads, for example,
//
//	p2c: param "choices": must be an integer >= 1, got 0
type ParamError struct {
	Algorithm string // the algorithm's registry name
	Param     string // the parameter's name as written in the scenario
	Err       error  // what is wrong with it
}

func (e *ParamError) Error() string {
	msg := "invalid"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return e.Algorithm + ": param " + strconv.Quote(e.Param) + ": " + msg
}

func (e *ParamError) Unwrap() error { return e.Err }

// Param is one typed parameter of a strategy, as its Spec declares it: an
// Int, a Float, a Duration or a String. Each kind has a default (used when
// the scenario does not set the parameter), a range, a one-line doc for
// listings and an optional Check for what the range cannot say.
type Param interface {
	// Info describes the parameter for listings (sim list).
	Info() ParamInfo

	key() string
	defaultValue() any
	// parse turns a value as a scenario gives it into the kind's type, or
	// says what is wrong with it.
	parse(v any) (any, error)
}

// Int is an integer parameter with a default and a lower bound (inclusive).
// A scenario may write it as an integer or as a float with an integral
// value (3.0). For example p2c's:
//
//	algorithms.Int{Name: "choices", Default: 2, Min: 1, Doc: "d, backends sampled per pick"}
type Int struct {
	Name    string // as written in scenario files, snake_case
	Default int
	Min     int // smallest value allowed (the zero value allows 0 and up)
	Doc     string
	// Check, if set, is called on a value within range; its error says
	// what is wrong ("must be a prime, got 4"): it becomes the Err of a
	// *ParamError naming the parameter.
	Check func(int) error
}

func (q Int) Info() ParamInfo {
	return ParamInfo{Name: q.Name, Default: strconv.Itoa(q.Default), Doc: q.Doc}
}

func (q Int) key() string       { return q.Name }
func (q Int) defaultValue() any { return q.Default }

func (q Int) parse(v any) (any, error) {
	n, ok := asInt(v)
	if !ok || n < q.Min {
		return nil, fmt.Errorf("must be an integer >= %d, got %s", q.Min, describe(v))
	}
	return n, check(q.Check, n)
}

// Float is a real parameter with a default and an exclusive lower bound
// (e.g. bounded-load-hash's balance_factor > 1). Infinities and NaN are
// refused. For example:
//
//	algorithms.Float{Name: "balance_factor", Default: 1.25, Above: 1, Doc: "c"}
type Float struct {
	Name    string
	Default float64
	Above   float64 // values must be > Above (the zero value: > 0)
	Doc     string
	Check   func(float64) error // optional, as Int's
}

func (q Float) Info() ParamInfo {
	return ParamInfo{Name: q.Name, Default: strconv.FormatFloat(q.Default, 'g', -1, 64), Doc: q.Doc}
}

func (q Float) key() string       { return q.Name }
func (q Float) defaultValue() any { return q.Default }

func (q Float) parse(v any) (any, error) {
	f, ok := asFloat(v)
	if !ok || !(f > q.Above) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("must be a number > %s, got %s", strconv.FormatFloat(q.Above, 'g', -1, 64), describe(v))
	}
	return f, check(q.Check, f)
}

// Duration is a duration parameter (peak-ewma's decay), written as a Go
// duration string ("10s", "250ms"); a bare number is refused, since its
// unit would be a guess. It must be > 0, or >= 0 when ZeroIsOff is set (0
// then means off, as slow_start's does, and a bare 0 is accepted). For
// example:
//
//	algorithms.Duration{Name: "decay", Default: 10 * time.Second, Doc: "tau"}
type Duration struct {
	Name      string
	Default   time.Duration
	Doc       string
	ZeroIsOff bool                      // 0 is allowed and means off
	Check     func(time.Duration) error // optional, as Int's
}

func (q Duration) Info() ParamInfo {
	return ParamInfo{Name: q.Name, Default: q.Default.String(), Doc: q.Doc}
}

func (q Duration) key() string       { return q.Name }
func (q Duration) defaultValue() any { return q.Default }

func (q Duration) parse(v any) (any, error) {
	var d time.Duration
	var err error
	ok := true
	switch x := v.(type) {
	case string:
		d, err = time.ParseDuration(x)
	case time.Duration:
		d = x
	default:
		// A bare 0 is unambiguous where 0 means off.
		n, isInt := asInt(v)
		ok = q.ZeroIsOff && isInt && n == 0
	}
	if q.ZeroIsOff && ok && err == nil && d == 0 {
		return time.Duration(0), check(q.Check, 0)
	}
	if !ok || err != nil || d <= 0 {
		if q.ZeroIsOff {
			return nil, fmt.Errorf("must be a duration >= 0 (e.g. 30s; 0 is off), got %s", describe(v))
		}
		return nil, fmt.Errorf("must be a duration > 0 (e.g. %s), got %s", q.Default, describe(v))
	}
	return d, check(q.Check, d)
}

// String is a string parameter with a default (sticky's base). With OneOf
// set, the value must be one of those; Check, if set, judges the rest. For
// example:
//
//	algorithms.String{Name: "mode", Default: "fast", OneOf: []string{"fast", "fair"}, Doc: "..."}
type String struct {
	Name, Default, Doc string
	OneOf              []string           // the values allowed; nil: any
	Check              func(string) error // optional, as Int's
}

func (q String) Info() ParamInfo { return ParamInfo{Name: q.Name, Default: q.Default, Doc: q.Doc} }

func (q String) key() string       { return q.Name }
func (q String) defaultValue() any { return q.Default }

func (q String) parse(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("must be a string, got %s", describe(v))
	}
	if q.OneOf != nil && !slices.Contains(q.OneOf, s) {
		return nil, fmt.Errorf("must be one of %s, got %s", strings.Join(q.OneOf, ", "), strconv.Quote(s))
	}
	return s, check(q.Check, s)
}

// Map is a free-form parameter: a mapping handed to the strategy as it is
// written, for strategies whose own parameters Fulcrum does not know (an
// external strategy's, passed through to its process). Its default is
// empty. For example, a scenario's
//
//	{name: external, command: "python3 lb.py", params: {alpha: 0.3}}
//
// reads back with p.Map("params") as map[string]any{"alpha": 0.3}.
type Map struct {
	Name, Doc string
	Check     func(map[string]any) error // optional, as Int's
}

func (q Map) Info() ParamInfo { return ParamInfo{Name: q.Name, Default: "{}", Doc: q.Doc} }

func (q Map) key() string       { return q.Name }
func (q Map) defaultValue() any { return map[string]any{} }

func (q Map) parse(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a mapping of names to values, got %s", describe(v))
	}
	return m, check(q.Check, m)
}

func check[T any](f func(T) error, v T) error {
	if f == nil {
		return nil
	}
	return f(v)
}

// Params holds a strategy's parameters, decoded and checked against its
// Spec: a strategy's New and Fits read them with the getter of each
// parameter's kind, by the name the Spec declares, e.g.
//
//	d := p.Int("choices")
//
// A parameter the scenario does not set has its default. Asking for a name
// the Spec does not declare, or with the getter of another kind, is a bug
// in the strategy and panics, saying so.
type Params struct {
	alg    string
	params []Param
	values []any // values[i] belongs to params[i]
}

// Int returns the value of an Int parameter.
func (p Params) Int(name string) int { return get[int](p, name, "Int") }

// Float returns the value of a Float parameter.
func (p Params) Float(name string) float64 { return get[float64](p, name, "Float") }

// Duration returns the value of a Duration parameter.
func (p Params) Duration(name string) time.Duration {
	return get[time.Duration](p, name, "Duration")
}

// Map returns the value of a Map parameter (never nil).
func (p Params) Map(name string) map[string]any { return get[map[string]any](p, name, "Map") }

// String returns the value of a String parameter.
func (p Params) String(name string) string { return get[string](p, name, "String") }

func get[T any](p Params, name, kind string) T {
	i := slices.IndexFunc(p.params, func(q Param) bool { return q.key() == name })
	if i < 0 {
		names := make([]string, len(p.params))
		for j, q := range p.params {
			names[j] = q.key()
		}
		panic(fmt.Sprintf("algorithms: %s: Params.%s(%q): no such parameter (declared: %s)",
			p.alg, kind, name, strings.Join(names, ", ")))
	}
	v, ok := p.values[i].(T)
	if !ok {
		panic(fmt.Sprintf("algorithms: %s: Params.%s(%q): the parameter is %s, read it with its own getter",
			p.alg, kind, name, kindOf(p.params[i])))
	}
	return v
}

// kindOf names a parameter's kind for messages, e.g. "an Int".
func kindOf(q Param) string {
	switch q.(type) {
	case Int:
		return "an Int"
	case Float:
		return "a Float"
	case Duration:
		return "a Duration"
	case String:
		return "a String"
	}
	return fmt.Sprintf("a %T", q)
}

// decodeParams decodes raw, a scenario's params for the algorithm alg,
// against the declared params. The error is a *ParamError: an unknown name
// (the first in sorted order, so the message does not depend on map
// order), else the first bad value in the order the params are declared.
func decodeParams(alg string, declared []Param, raw map[string]any) (Params, error) {
	p := Params{alg: alg, params: declared, values: make([]any, len(declared))}
	var unknown []string
	for name := range raw {
		if !slices.ContainsFunc(declared, func(q Param) bool { return q.key() == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		hint := alg + " takes no parameters"
		if len(declared) > 0 {
			names := make([]string, len(declared))
			for i, q := range declared {
				names[i] = q.key()
			}
			hint = "known: " + strings.Join(names, ", ")
		}
		return Params{}, &ParamError{Algorithm: alg, Param: unknown[0], Err: fmt.Errorf("unknown parameter (%s)", hint)}
	}
	for i, q := range declared {
		v, given := raw[q.key()]
		if !given {
			p.values[i] = q.defaultValue()
			continue
		}
		x, err := q.parse(v)
		if err != nil {
			return Params{}, &ParamError{Algorithm: alg, Param: q.key(), Err: err}
		}
		p.values[i] = x
	}
	return p, nil
}

// paramName is how scenario files write parameter names: snake_case.
var paramName = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// checkParams checks a Spec's parameter declarations: names snake_case,
// none twice, none that a scenario keeps for itself (name, label), every
// default within its own range.
func checkParams(params []Param) error {
	var errs []error
	for i, q := range params {
		if q == nil {
			errs = append(errs, fmt.Errorf("Params[%d] is nil", i))
			continue
		}
		name := q.key()
		switch {
		case !paramName.MatchString(name):
			errs = append(errs, fmt.Errorf("param %q: the name must be snake_case, as scenario files write it (e.g. \"table_size\")", name))
			continue
		case name == "name" || name == "label":
			errs = append(errs, fmt.Errorf("param %q: scenario files use %q for the algorithm itself; choose another name", name, name))
			continue
		case slices.ContainsFunc(params[:i], func(r Param) bool { return r != nil && r.key() == name }):
			errs = append(errs, fmt.Errorf("param %q is declared twice", name))
			continue
		}
		if _, err := q.parse(q.defaultValue()); err != nil {
			errs = append(errs, fmt.Errorf("param %q: the default %s is refused by the parameter itself: %v",
				name, q.Info().Default, err))
		}
	}
	return errors.Join(errs...)
}

// asInt accepts the integer types a YAML or JSON decoder produces and a
// float64 with an integral value (JSON numbers, "3.0").
func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int32:
		return int(x), true
	case int64:
		if x >= math.MinInt && x <= math.MaxInt {
			return int(x), true
		}
	case uint64:
		if x <= math.MaxInt {
			return int(x), true
		}
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt && x < math.MaxInt {
			return int(x), true
		}
	}
	return 0, false
}

// asFloat accepts float64 and the integer types.
func asFloat(v any) (float64, bool) {
	if f, ok := v.(float64); ok {
		return f, !math.IsNaN(f)
	}
	if n, ok := asInt(v); ok {
		return float64(n), true
	}
	return 0, false
}

// describe renders a parameter value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(x) + " (a string)"
	case int, int32, int64, uint64:
		return fmt.Sprintf("%d", x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprintf("%v (%T)", v, v)
}
