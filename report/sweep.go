package report

import "encoding/json"

// Sweep is sweep.json: every algorithm of a scenario at each value of one
// numeric parameter, each point run with one or more seeds. Written by
// `sim sweep`, joined from shards by `sim merge`, drawn as latency against
// the parameter.
type Sweep struct {
	Scenario string    `json:"scenario"`
	Engine   string    `json:"engine"` // "sim"
	Param    string    `json:"param"`  // e.g. "arrivals.load"
	Values   []float64 `json:"values"` // every value of the whole sweep, in order
	Seeds    []uint64  `json:"seeds"`  // the seeds run at every point
	Labels   []string  `json:"labels"` // the algorithms, in the scenario's order
	// Unit is "s" when Param is a duration field (Values are then in
	// seconds), "" for a plain number.
	Unit string `json:"unit,omitempty"`
	// Shard is "I/N" when this file holds only shard I of N (points whose
	// index i has i % N == I); empty for a whole sweep.
	Shard  string       `json:"shard,omitempty"`
	Points []SweepPoint `json:"points"` // by value index, then label order
	// Theory holds closed-form curves drawn beside the simulated ones where
	// the scenario is a model with an answer (e.g. random routing to
	// identical exponential servers is M/M/1 per server).
	Theory []TheoryCurve `json:"theory,omitempty"`
	// ScenarioResolved is the scenario before the parameter is set, every
	// default filled in, as in summary.json: with Param and Values it says
	// exactly what ran. Kept as the encoded bytes so that a sweep read back
	// and written again (sim merge) gives the same bytes.
	ScenarioResolved json.RawMessage `json:"scenario_resolved,omitempty"`
}

// SweepPoint is one algorithm at one parameter value, over every seed.
type SweepPoint struct {
	Value float64 `json:"value"`
	Label string  `json:"label"`
	// Figures maps the Key of each of SweepFigures (mean_ms, p50_ms,
	// p90_ms, p99_ms, p999_ms, throughput_rps, jain, error_rate,
	// wait_probability) to its mean over seeds and the 95% confidence
	// half-width.
	Figures map[string]Stat `json:"figures"`
}

// Stat is a figure's mean over K runs and the half-width of its 95%
// confidence interval (Student's t with K-1 degrees of freedom; with one run,
// the run's own batch-means interval where there is one, else 0).
type Stat struct {
	Mean float64 `json:"mean"`
	CI95 float64 `json:"ci95"`
	N    int     `json:"n"`
}

// TheoryCurve is a closed-form figure at each of the sweep's values.
type TheoryCurve struct {
	Label  string    `json:"label"`  // the algorithm it describes, e.g. "random"
	Model  string    `json:"model"`  // e.g. "M/M/1 per server"
	Figure string    `json:"figure"` // e.g. "mean_ms"
	Values []float64 `json:"values"` // one per Sweep.Values; NaN-free (unstable points omitted by using -1)
}
