// Package dist turns the service-time and network-delay distributions of a
// scenario file (a Spec) into quantile functions (a Dist).
//
// The engines share job sizes by common random numbers (DESIGN.md §4): arrival
// k carries a uniform u_k, and the server that serves it computes its service
// time as Quantile(u_k) of its own distribution. Quantile is therefore the
// simulator's hot path, called once per request: it never allocates, and for
// the exponential it is one log1p and a multiply.
//
// Every parameterisation is by the mean (or the value, or the bounds), so that
// a scenario's load is what it says whatever the shape. The formulas from the
// scenario's parameters to each distribution's own are written above the code
// in kinds.go.
package dist

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Dist is a distribution of non-negative durations.
//
// Implementations are immutable after New and safe for concurrent use.
type Dist interface {
	// Quantile maps u in [0, 1) to a duration, rounded to the nearest
	// nanosecond. It never returns a negative duration nor more than
	// MaxQuantile. u <= 0 (and NaN) is treated as 0 and u >= 1 as the largest
	// float64 below 1, so that Quantile(1) is finite. For every distribution
	// but mixture it is the inverse of the CDF; see mixture for how that one
	// maps u.
	Quantile(u float64) time.Duration
	// Mean is E[S] in seconds.
	Mean() float64
	// Moment2 is E[S^2] in seconds squared (+Inf for a pareto with alpha <= 2).
	Moment2() float64
	// String is the distribution as a scenario file writes it, e.g.
	// "lognormal{mean: 10ms, cv: 2}".
	String() string
}

// MaxQuantile is the largest duration Quantile returns (about 146 years).
// Heavy tails (pareto with alpha close to 1, u close to 1) are clamped to it.
// It leaves headroom so an engine can add a few of them to a run's clock
// without overflowing an int64.
const MaxQuantile = time.Duration(1 << 62)

// maxU is the largest float64 below 1; Quantile(u >= 1) is Quantile(maxU).
var maxU = math.Nextafter(1, 0)

// clampU maps u into [0, maxU]; NaN goes to 0.
func clampU(u float64) float64 {
	if !(u > 0) {
		return 0
	}
	if u >= 1 {
		return maxU
	}
	return u
}

// toDuration rounds x nanoseconds to the nearest nanosecond, half up, within
// [0, MaxQuantile]. NaN goes to 0.
func toDuration(x float64) time.Duration {
	if x >= float64(MaxQuantile) {
		return MaxQuantile
	}
	if !(x > 0) {
		return 0
	}
	return time.Duration(x + 0.5)
}

// kind describes one distribution name: its parameters for messages and for
// `sim list`, and which Spec fields it takes.
type kind struct {
	name   string
	params string // "mean, cv", as a message would list them
	desc   string // one line for Describe
	fields []string
}

// kinds is the registry, sorted by name.
var kinds = []kind{
	{"constant", "value", "every duration is value (>= 0), e.g. {dist: constant, value: 5ms}", []string{"value"}},
	{"exponential", "mean", "exponential with the given mean (> 0); cv 1, memoryless (M/M/c service)", []string{"mean"}},
	{"gamma", "mean, cv", "gamma with the given mean (> 0) and coefficient of variation cv (> 0); cv 1 is exponential", []string{"mean", "cv"}},
	{"lognormal", "mean, cv", "lognormal with the given mean (> 0) and coefficient of variation cv (> 0): a long right tail", []string{"mean", "cv"}},
	{"mixture", "of", "picks component i of of: [{weight, dist, ...}, ...] with probability weight_i / sum of weights (weights > 0)", []string{"of"}},
	{"pareto", "mean, alpha", "pareto (power-law tail) with the given mean (> 0) and tail index alpha (> 1; variance finite only for alpha > 2)", []string{"mean", "alpha"}},
	{"uniform", "min, max", "uniform between min (>= 0) and max (> min)", []string{"min", "max"}},
	{"weibull", "mean, shape", "weibull with the given mean (> 0) and shape (> 0): shape 1 is exponential, < 1 heavier-tailed, > 1 more regular", []string{"mean", "shape"}},
}

func lookup(name string) (kind, bool) {
	for _, k := range kinds {
		if k.name == name {
			return k, true
		}
	}
	return kind{}, false
}

// Names lists the distribution names a Spec accepts, sorted.
func Names() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return out
}

// Describe is one line on the named distribution, its parameters and their
// meaning, for `sim list`; "" for an unknown name.
func Describe(name string) string {
	k, ok := lookup(name)
	if !ok {
		return ""
	}
	return "{" + k.params + "}: " + k.desc
}

// New validates s and builds its Dist. The error is a *FieldError.
func New(s Spec) (Dist, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return build(s), nil
}

// build makes the Dist of a valid Spec.
func build(s Spec) Dist {
	switch s.Dist {
	case "constant":
		return &constant{v: s.Value}
	case "exponential":
		return newExponential(s.Mean)
	case "lognormal":
		return newLognormal(s.Mean, s.CV)
	case "gamma":
		return newGamma(s.Mean, s.CV)
	case "uniform":
		return newUniform(s.Min, s.Max)
	case "pareto":
		return newPareto(s.Mean, s.Alpha)
	case "weibull":
		return newWeibull(s.Mean, s.Shape)
	case "mixture":
		return newMixture(s.Of)
	}
	panic("dist: build of an unvalidated spec " + s.Dist)
}

// fmtFloat writes a parameter the way a scenario file would.
func fmtFloat(x float64) string {
	return fmt.Sprintf("%g", x)
}

func joinNames() string {
	return strings.Join(Names(), ", ")
}
