package dist

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// FieldError is a problem with one field of a Spec. Field is the path of the
// field relative to the spec, as a scenario file spells it ("mean",
// "of[1].alpha", "dist"), so that a loader can prefix where the spec sits
// ("servers[0].service." + Field).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

// Validate reports the first problem with s as a *FieldError, or nil. It
// rejects unknown distribution names, fields that do not belong to the chosen
// distribution, and parameters out of range. A zero field counts as absent (a
// scenario file cannot tell "mean: 0s" from a missing mean), so a required
// positive parameter that is zero is reported as missing. Mixtures may nest.
func (s Spec) Validate() error {
	if err := s.validate("", false); err != nil {
		return err
	}
	return nil
}

func fieldErr(prefix, field, format string, args ...any) *FieldError {
	return &FieldError{Field: prefix + field, Err: fmt.Errorf(format, args...)}
}

// present lists the Spec fields that are set, in the order a file writes them.
func (s Spec) present() []string {
	var f []string
	if s.Value != 0 {
		f = append(f, "value")
	}
	if s.Mean != 0 {
		f = append(f, "mean")
	}
	if s.Min != 0 {
		f = append(f, "min")
	}
	if s.Max != 0 {
		f = append(f, "max")
	}
	if s.CV != 0 {
		f = append(f, "cv")
	}
	if s.Alpha != 0 {
		f = append(f, "alpha")
	}
	if s.Shape != 0 {
		f = append(f, "shape")
	}
	if s.Of != nil {
		f = append(f, "of")
	}
	return f
}

func (s Spec) validate(prefix string, component bool) *FieldError {
	if s.Dist == "" {
		return fieldErr(prefix, "dist", "missing; one of %s", joinNames())
	}
	k, ok := lookup(s.Dist)
	if !ok {
		return fieldErr(prefix, "dist", "unknown distribution %q; one of %s", s.Dist, joinNames())
	}
	if component {
		if !(s.Weight > 0) || math.IsInf(s.Weight, 1) {
			return fieldErr(prefix, "weight", "a mixture component needs a finite weight > 0, got %s", fmtFloat(s.Weight))
		}
	} else if s.Weight != 0 {
		return fieldErr(prefix, "weight", "weight applies only to a component of a mixture's of list")
	}
	for _, f := range s.present() {
		if !slices.Contains(k.fields, f) {
			return fieldErr(prefix, f, "%s does not apply to %s (it takes %s)", f, k.name, k.params)
		}
	}
	switch s.Dist {
	case "constant":
		if s.Value < 0 {
			return fieldErr(prefix, "value", "constant needs value >= 0, got %v", s.Value)
		}
	case "exponential":
		return positiveMean(prefix, s)
	case "lognormal", "gamma":
		if err := positiveMean(prefix, s); err != nil {
			return err
		}
		if !(s.CV > 0) || math.IsInf(s.CV, 1) {
			return fieldErr(prefix, "cv", "%s needs cv > 0 (standard deviation over mean, e.g. cv: 2), got %s", s.Dist, fmtFloat(s.CV))
		}
	case "uniform":
		if s.Min < 0 {
			return fieldErr(prefix, "min", "uniform needs min >= 0, got %v", s.Min)
		}
		if s.Max <= s.Min {
			return fieldErr(prefix, "max", "uniform needs max > min, got min %v, max %v (for a fixed duration use constant)", s.Min, s.Max)
		}
	case "pareto":
		if err := positiveMean(prefix, s); err != nil {
			return err
		}
		if !(s.Alpha > 1) || math.IsInf(s.Alpha, 1) {
			return fieldErr(prefix, "alpha", "pareto needs alpha > 1 for a finite mean, got %s", fmtFloat(s.Alpha))
		}
	case "weibull":
		if err := positiveMean(prefix, s); err != nil {
			return err
		}
		if !(s.Shape > 0) || math.IsInf(s.Shape, 1) {
			return fieldErr(prefix, "shape", "weibull needs shape > 0 (1 is exponential), got %s", fmtFloat(s.Shape))
		}
		// lambda = mean/Gamma(1+1/shape) underflows to 0 for tiny shapes.
		if math.Gamma(1+1/s.Shape) > 1e300 {
			return fieldErr(prefix, "shape", "weibull shape %s is too small to compute; use shape >= 0.01", fmtFloat(s.Shape))
		}
	case "mixture":
		if len(s.Of) == 0 {
			return fieldErr(prefix, "of", "mixture needs at least one component, e.g. of: [{weight: 0.9, dist: exponential, mean: 1ms}, {weight: 0.1, dist: constant, value: 50ms}]")
		}
		for i, c := range s.Of {
			if err := c.validate(prefix+"of["+strconv.Itoa(i)+"].", true); err != nil {
				return err
			}
		}
	}
	return nil
}

func positiveMean(prefix string, s Spec) *FieldError {
	if s.Mean == 0 {
		return fieldErr(prefix, "mean", "%s needs mean > 0 (e.g. mean: 10ms)", s.Dist)
	}
	if s.Mean < 0 {
		return fieldErr(prefix, "mean", "%s needs mean > 0, got %v", s.Dist, s.Mean)
	}
	return nil
}
