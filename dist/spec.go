package dist

import "time"

// Spec is a distribution as a scenario file writes it, e.g.
// {dist: exponential, mean: 10ms} or {dist: lognormal, mean: 10ms, cv: 2}.
// Which fields apply depends on Dist:
//
//	exponential {mean}            constant {value}
//	lognormal   {mean, cv}        gamma    {mean, cv}
//	uniform     {min, max}        pareto   {mean, alpha}   (alpha > 1)
//	weibull     {mean, shape}     mixture  {of: [{weight, dist, ...}, ...]}
type Spec struct {
	Dist   string        `json:"dist"`
	Value  time.Duration `json:"value,omitempty"`
	Mean   time.Duration `json:"mean,omitempty"`
	Min    time.Duration `json:"min,omitempty"`
	Max    time.Duration `json:"max,omitempty"`
	CV     float64       `json:"cv,omitempty"`
	Alpha  float64       `json:"alpha,omitempty"`
	Shape  float64       `json:"shape,omitempty"`
	Weight float64       `json:"weight,omitempty"` // only for a component of a mixture
	Of     []Spec        `json:"of,omitempty"`     // only for a mixture
}
