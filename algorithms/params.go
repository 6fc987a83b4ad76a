package algorithms

// Decoding and validating algorithm parameters as they arrive from a
// scenario file (YAML decoded into map[string]any: ints as int, floats as
// float64).

import (
	"fmt"
	"math"
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

// paramReader reads one algorithm's params, remembering the names it was
// asked for and the first error.
type paramReader struct {
	alg    string
	params map[string]any
	known  []string // names read, in order
	err    *ParamError
}

// lookup returns the value of a known parameter name.
func (p *paramReader) lookup(name string) (any, bool) {
	p.known = append(p.known, name)
	v, ok := p.params[name]
	return v, ok
}

// fail records an error for param unless one is recorded already.
func (p *paramReader) fail(param, format string, args ...any) {
	if p.err == nil {
		p.err = &ParamError{Algorithm: p.alg, Param: param, Err: fmt.Errorf(format, args...)}
	}
}

// done returns the first error: an unknown name (the first in sorted
// order, so the message does not depend on map order), else a bad value.
func (p *paramReader) done() error {
	var unknown []string
	for name := range p.params {
		if !slices.Contains(p.known, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		hint := p.alg + " takes no parameters"
		if len(p.known) > 0 {
			hint = "known: " + strings.Join(p.known, ", ")
		}
		p.err = nil
		p.fail(unknown[0], "unknown parameter (%s)", hint)
	}
	if p.err != nil {
		return p.err
	}
	return nil
}

// param describes one parameter for List.
type param interface {
	info() ParamInfo
}

// intParam is an integer parameter with a default and a lower bound.
type intParam struct {
	name     string
	def, min int
	doc      string
}

func (q intParam) info() ParamInfo {
	return ParamInfo{Name: q.name, Default: strconv.Itoa(q.def), Doc: q.doc}
}

func (q intParam) read(p *paramReader) int {
	v, ok := p.lookup(q.name)
	if !ok {
		return q.def
	}
	n, ok := asInt(v)
	if !ok || n < q.min {
		p.fail(q.name, "must be an integer >= %d, got %s", q.min, describe(v))
		return q.def
	}
	return n
}

// floatParam is a real parameter with a default and an exclusive lower
// bound (e.g. bounded-load-hash's balance_factor > 1).
type floatParam struct {
	name       string
	def, above float64
	doc        string
}

func (q floatParam) info() ParamInfo {
	return ParamInfo{Name: q.name, Default: strconv.FormatFloat(q.def, 'g', -1, 64), Doc: q.doc}
}

func (q floatParam) read(p *paramReader) float64 {
	v, ok := p.lookup(q.name)
	if !ok {
		return q.def
	}
	f, ok := asFloat(v)
	if !ok || !(f > q.above) || math.IsInf(f, 0) {
		p.fail(q.name, "must be a number > %s, got %s", strconv.FormatFloat(q.above, 'g', -1, 64), describe(v))
		return q.def
	}
	return f
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

// durationParam is a duration parameter (peak-ewma's decay), written as Go
// duration strings ("10s", "250ms"), with a default; it must be > 0, or
// >= 0 when zero is set (0 then means off, as slow_start's does).
type durationParam struct {
	name string
	def  time.Duration
	doc  string
	zero bool // 0 is allowed
}

func (q durationParam) info() ParamInfo {
	return ParamInfo{Name: q.name, Default: q.def.String(), Doc: q.doc}
}

// read accepts a duration string or a time.Duration; a bare number is
// refused, since its unit would be a guess.
func (q durationParam) read(p *paramReader) time.Duration {
	v, ok := p.lookup(q.name)
	if !ok {
		return q.def
	}
	var d time.Duration
	var err error
	switch x := v.(type) {
	case string:
		d, err = time.ParseDuration(x)
	case time.Duration:
		d = x
	default:
		// A bare 0 is unambiguous where 0 means off.
		n, isInt := asInt(v)
		ok = q.zero && isInt && n == 0
	}
	if q.zero && ok && err == nil && d == 0 {
		return 0
	}
	if !ok || err != nil || d <= 0 {
		if q.zero {
			p.fail(q.name, "must be a duration >= 0 (e.g. 30s; 0 is off), got %s", describe(v))
			return q.def
		}
		p.fail(q.name, "must be a duration > 0 (e.g. %s), got %s", q.def, describe(v))
		return q.def
	}
	return d
}
