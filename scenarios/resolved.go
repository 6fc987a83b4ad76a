package scenarios

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
)

// Resolved is s with every default filled in, as a value for encoding/json:
// the file's key names, durations as Go duration strings ("10ms"), fields in
// the README's order. It is summary.json's scenario_resolved. The same
// scenario always encodes to the same bytes, and the encoding is itself a
// scenario file (JSON is YAML) that loads back to the same scenario.
func (s *Scenario) Resolved() any {
	r := resolvedScenario{
		Name:        s.Name,
		Description: s.Description,
		Seed:        s.Seed,
		Requests:    s.Requests,
		Duration:    dur(s.Duration),
		Warmup:      dur(s.Warmup),
		Arrivals:    resolveArrivals(s.Arrivals),
		Classes:     resolveClasses(s.Classes),
		Clients:     &s.Clients,
		Servers:     make([]resolvedServer, len(s.Servers)),
		Network:     resolveSpec(s.Network),
		Balancers:   s.Balancers,
		Timeout:     dur(s.Timeout),
		Retries:     s.Retries,
		Faults:      make([]resolvedFault, len(s.Faults)),
		LoadInfo:    resolveLoadInfo(s.LoadInfo),
		Algorithms:  make([]resolvedAlgorithm, len(s.Algorithms)),
	}
	resolveResilience(s, &r)
	if s.Arrivals.Process == "closed" {
		r.Clients = nil // user u is client u: clients follows users
	}
	for i, g := range s.Servers {
		r.Servers[i] = resolvedServer{
			Name:        g.Name,
			Count:       g.Count,
			Weight:      g.Weight,
			Concurrency: &g.Concurrency,
			QueueLimit:  &g.QueueLimit,
		}
		if g.HasService() {
			sp := resolveSpec(g.Service)
			r.Servers[i].Service = &sp
		}
		if g.HasURLs() {
			// Someone else's servers: one per URL, no count, and only
			// the keys urls.go allows with them.
			r.Servers[i].URLs = g.URLs
			r.Servers[i].Count, r.Servers[i].QueueLimit = 0, nil
			if !g.HasService() {
				r.Servers[i].Concurrency = nil
			}
		}
		if g.Join > 0 {
			r.Servers[i].Join = dur(g.Join)
		}
		if g.Leave > 0 {
			r.Servers[i].Leave = dur(g.Leave)
		}
		// Written only where the file gives it, so that files without
		// the key resolve as they did before it existed.
		r.Servers[i].Discipline = g.Discipline
	}
	if a := s.HealthCheck.Active; a != nil {
		r.HealthCheck.Active = &resolvedActive{dur(a.Interval), dur(a.Timeout), a.Rise, a.Fall}
	}
	if p := s.HealthCheck.Passive; p != nil {
		r.HealthCheck.Passive = &resolvedPassive{p.ConsecutiveFailures, dur(p.Ejection)}
	}
	for i, f := range s.Faults {
		r.Faults[i] = resolvedFault{At: dur(f.At), Target: f.Target, Kind: f.Kind, Duration: dur(f.Duration), Factor: f.Factor, Probability: f.Probability}
		if f.Random() {
			r.Faults[i].MTBF, r.Faults[i].MTTR = dur(f.MTBF), dur(f.MTTR)
		}
		if f.Kind == FaultRestart {
			r.Faults[i].Duration = ""
			r.Faults[i].Batch, r.Faults[i].Down = f.Batch, dur(f.Down)
		}
	}
	for i, a := range s.Algorithms {
		r.Algorithms[i] = resolvedAlgorithm(a)
	}
	return r
}

func dur(d time.Duration) string { return d.String() }

type resolvedScenario struct {
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Seed        uint64              `json:"seed"`
	Requests    int64               `json:"requests"`
	Duration    string              `json:"duration"`
	Warmup      string              `json:"warmup"`
	Arrivals    resolvedArrivals    `json:"arrivals"`
	Classes     []resolvedClass     `json:"classes,omitempty"`
	Clients     *int                `json:"clients,omitempty"`
	Servers     []resolvedServer    `json:"servers"`
	Network     resolvedSpec        `json:"network"`
	Balancers   int                 `json:"balancers"`
	HealthCheck resolvedHealthCheck `json:"health_check"`
	Timeout     string              `json:"timeout"`
	Retries     int                 `json:"retries"`
	Hedge       *resolvedHedge      `json:"hedge,omitempty"`
	Cancel      *bool               `json:"cancel,omitempty"`
	RetryBudget *resolvedBudget     `json:"retry_budget,omitempty"`
	Faults      []resolvedFault     `json:"faults"`
	LoadInfo    *resolvedLoadInfo   `json:"load_info,omitempty"`
	Algorithms  []resolvedAlgorithm `json:"algorithms"`
}

// resolvedArrivals writes the keys of DESIGN.md §7 only where the scenario
// has them, so that the resolved form of a §3 scenario is what it was
// before they existed.
type resolvedArrivals struct {
	Process string          `json:"process"`
	Load    float64         `json:"load,omitempty"`
	Rate    float64         `json:"rate,omitempty"`
	States  []resolvedState `json:"states,omitempty"`
	Profile []resolvedPoint `json:"profile,omitempty"`
	Sine    *resolvedSine   `json:"sine,omitempty"`
	Users   int             `json:"users,omitempty"`
	Think   *resolvedSpec   `json:"think,omitempty"`
	File    string          `json:"file,omitempty"`
	Speed   float64         `json:"speed,omitempty"`
}

type resolvedState struct {
	Factor      float64 `json:"factor"`
	MeanSojourn string  `json:"mean_sojourn"`
}

type resolvedPoint struct {
	At     string  `json:"at"`
	Factor float64 `json:"factor"`
}

type resolvedSine struct {
	Period    string  `json:"period"`
	Amplitude float64 `json:"amplitude"`
}

func resolveArrivals(a Arrivals) resolvedArrivals {
	r := resolvedArrivals{Process: a.Process, Load: a.Load, Rate: a.Rate, Users: a.Users, File: a.File, Speed: a.Speed}
	for _, st := range a.States {
		r.States = append(r.States, resolvedState{st.Factor, dur(st.MeanSojourn)})
	}
	for _, pt := range a.Profile {
		r.Profile = append(r.Profile, resolvedPoint{dur(pt.At), pt.Factor})
	}
	if a.Sine != nil {
		r.Sine = &resolvedSine{dur(a.Sine.Period), a.Sine.Amplitude}
	}
	if a.hasThink() {
		t := resolveSpec(a.Think)
		r.Think = &t
	}
	return r
}

// resolvedClass writes a class's size, or its service when it has one.
type resolvedClass struct {
	Name    string        `json:"name"`
	Weight  float64       `json:"weight"`
	Size    float64       `json:"size,omitempty"`
	Service *resolvedSpec `json:"service,omitempty"`
}

func resolveClasses(cs []Class) []resolvedClass {
	var out []resolvedClass
	for _, c := range cs {
		r := resolvedClass{Name: c.Name, Weight: c.Weight, Size: c.Size}
		if c.HasService() {
			sp := resolveSpec(c.Service)
			r.Service = &sp
		}
		out = append(out, r)
	}
	return out
}

// resolvedServer's pointers and omitted zeros are for groups of urls
// (count, queue_limit and, without a service, concurrency and service
// are not theirs); an emulated group writes every field.
type resolvedServer struct {
	Name        string        `json:"name"`
	Count       int           `json:"count,omitempty"`
	Weight      float64       `json:"weight"`
	Concurrency *int          `json:"concurrency,omitempty"`
	QueueLimit  *int          `json:"queue_limit,omitempty"`
	Discipline  string        `json:"discipline,omitempty"`
	Service     *resolvedSpec `json:"service,omitempty"`
	Join        string        `json:"join,omitempty"`
	Leave       string        `json:"leave,omitempty"`
	URLs        []string      `json:"urls,omitempty"`
}

// resolvedSpec writes a distribution as a file would: the fields it takes,
// durations as strings.
type resolvedSpec struct {
	Weight float64        `json:"weight,omitempty"`
	Dist   string         `json:"dist"`
	Value  string         `json:"value,omitempty"`
	Mean   string         `json:"mean,omitempty"`
	Min    string         `json:"min,omitempty"`
	Max    string         `json:"max,omitempty"`
	CV     float64        `json:"cv,omitempty"`
	Alpha  float64        `json:"alpha,omitempty"`
	Shape  float64        `json:"shape,omitempty"`
	Of     []resolvedSpec `json:"of,omitempty"`
}

func resolveSpec(s dist.Spec) resolvedSpec {
	// A zero duration is left out, as the file would leave it out, except
	// where it is a meaningful value: constant's value and uniform's min.
	opt := func(d time.Duration, keep bool) string {
		if d == 0 && !keep {
			return ""
		}
		return dur(d)
	}
	r := resolvedSpec{
		Weight: s.Weight,
		Dist:   s.Dist,
		Value:  opt(s.Value, s.Dist == "constant"),
		Mean:   opt(s.Mean, false),
		Min:    opt(s.Min, s.Dist == "uniform"),
		Max:    opt(s.Max, false),
		CV:     s.CV,
		Alpha:  s.Alpha,
		Shape:  s.Shape,
	}
	for _, c := range s.Of {
		r.Of = append(r.Of, resolveSpec(c))
	}
	return r
}

type resolvedHealthCheck struct {
	Active  *resolvedActive  `json:"active,omitempty"`
	Passive *resolvedPassive `json:"passive,omitempty"`
}

type resolvedActive struct {
	Interval string `json:"interval"`
	Timeout  string `json:"timeout"`
	Rise     int    `json:"rise"`
	Fall     int    `json:"fall"`
}

type resolvedPassive struct {
	ConsecutiveFailures int    `json:"consecutive_failures"`
	Ejection            string `json:"ejection"`
}

type resolvedFault struct {
	At          string  `json:"at"`
	Target      string  `json:"target"`
	Kind        string  `json:"kind"`
	Duration    string  `json:"duration,omitempty"` // "" only for a restart, which has none
	Factor      float64 `json:"factor,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	MTBF        string  `json:"mtbf,omitempty"`
	MTTR        string  `json:"mttr,omitempty"`
	Batch       int     `json:"batch,omitempty"`
	Down        string  `json:"down,omitempty"`
}

// resolvedAlgorithm is written as the file writes it: name, label, then the
// parameters in key order.
type resolvedAlgorithm Algorithm

func (a resolvedAlgorithm) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"name":`)
	writeJSON(&b, a.Name)
	b.WriteString(`,"label":`)
	writeJSON(&b, a.Label)
	for _, k := range slices.Sorted(maps.Keys(a.Params)) {
		b.WriteByte(',')
		writeJSON(&b, k)
		b.WriteByte(':')
		if err := writeJSON(&b, jsonValue(a.Params[k])); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(j)
	return nil
}

// jsonValue prepares a parameter for JSON: floats keep a decimal point (2.0,
// not 2), so that a parameter decoded as float64 loads back as one.
func jsonValue(v any) any {
	switch v := v.(type) {
	case float64:
		return jsonFloat(v)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = jsonValue(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = jsonValue(x)
		}
		return l
	}
	return v
}

type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(float64(f))
	if err == nil && !bytes.ContainsAny(b, ".eE") {
		b = append(b, ".0"...)
	}
	return b, err
}
