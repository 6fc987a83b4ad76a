package scenarios

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
)

// Scenario is a loaded, defaulted and validated scenario file (DESIGN.md §3).
// Engines treat it as read-only.
type Scenario struct {
	Name        string
	Description string
	Seed        uint64        // default 1
	Requests    int64         // measured (post-warm-up) arrivals to stop after; 0 = no cap
	Duration    time.Duration // total run length from t=0, warm-up included; 0 = no cap
	Warmup      time.Duration // arrivals before this are excluded from every metric
	Arrivals    Arrivals
	Clients     int // distinct client identities; default 1000
	Servers     []ServerGroup
	Network     dist.Spec // one-way balancer<->server delay; default constant 0s
	Balancers   int       // independent balancer instances; default 1
	HealthCheck HealthCheck
	Timeout     time.Duration // per attempt; 0 = none
	Retries     int           // extra attempts after a failed one; default 0
	Faults      []Fault
	Algorithms  []Algorithm

	// File is where the scenario was read from, for messages ("scenarios/x.yaml").
	File string

	// lines maps field paths to their lines in File, for Validate's
	// messages. Read-only once parsed; clones share it.
	lines map[string]int
}

// Arrivals is the arrival process. Exactly one of Load and Rate is set after
// loading; Rate() resolves either to requests per second.
type Arrivals struct {
	Process string  // poisson | constant (bursty and trace are reserved)
	Load    float64 // fraction of total capacity, > 0
	Rate    float64 // absolute rate in req/s, > 0
}

// ServerGroup is one entry of the servers list: Count identical servers named
// Name-0 .. Name-(Count-1).
type ServerGroup struct {
	Name        string
	Count       int       // default 1
	Weight      float64   // default 1
	Concurrency int       // parallel workers; default 1
	QueueLimit  int       // 0 = unbounded
	Service     dist.Spec // required
}

// Server is one expanded server; its index in Scenario.ServerList() is its
// algorithms.Backend ID.
type Server struct {
	Name        string
	Group       int // index into Scenario.Servers
	Weight      float64
	Concurrency int
	QueueLimit  int
	Service     dist.Spec
}

// HealthCheck configures how balancers learn that servers are down. A nil
// member is disabled.
type HealthCheck struct {
	Active  *ActiveCheck
	Passive *PassiveCheck
}

// ActiveCheck probes every server every Interval; Fall consecutive failures
// mark it unhealthy and Rise consecutive successes healthy again. A probe that
// has no answer within Timeout fails.
type ActiveCheck struct {
	Interval time.Duration // default 2s
	Timeout  time.Duration // default 1s
	Rise     int           // default 2
	Fall     int           // default 3
}

// PassiveCheck ejects a server for Ejection after ConsecutiveFailures failed
// requests in a row (Envoy's outlier detection, NGINX's max_fails).
type PassiveCheck struct {
	ConsecutiveFailures int           // default 5
	Ejection            time.Duration // default 30s
}

// Fault changes servers matching Target (a path.Match glob over server names)
// from At for Duration (0 = until the end of the run).
type Fault struct {
	At          time.Duration
	Target      string
	Kind        string // crash | slowdown | errors
	Duration    time.Duration
	Factor      float64 // slowdown: service-time multiplier, > 0
	Probability float64 // errors: chance that a request is answered 500, in (0, 1]
}

// Algorithm is one configured balancing strategy. Label is unique within the
// scenario and defaults to Name.
type Algorithm struct {
	Name   string
	Label  string
	Params map[string]any // everything but name and label, as decoded from YAML
}

// ServerList expands the server groups in order: group i's servers are
// Name-0 .. Name-(Count-1). A server's index in the list is its
// algorithms.Backend ID.
func (s *Scenario) ServerList() []Server {
	n := 0
	for _, g := range s.Servers {
		n += max(g.Count, 0)
	}
	out := make([]Server, 0, n)
	for gi, g := range s.Servers {
		for j := 0; j < g.Count; j++ {
			out = append(out, Server{
				Name:        g.Name + "-" + strconv.Itoa(j),
				Group:       gi,
				Weight:      g.Weight,
				Concurrency: g.Concurrency,
				QueueLimit:  g.QueueLimit,
				Service:     g.Service,
			})
		}
	}
	return out
}

// Capacity is the servers' total throughput in requests per second:
//
//	capacity = sum over servers of concurrency / E[service time in s]
//
// It panics on an invalid service distribution, which Parse rejects.
func (s *Scenario) Capacity() float64 {
	c := 0.0
	for i, g := range s.Servers {
		d, err := dist.New(g.Service)
		if err != nil {
			panic(fmt.Sprintf("scenarios: Capacity: servers[%d].service: %v", i, err))
		}
		c += float64(g.Count) * float64(g.Concurrency) / d.Mean()
	}
	return c
}

// ArrivalRate is the arrival rate in requests per second: Arrivals.Rate, or
// Arrivals.Load x Capacity().
func (s *Scenario) ArrivalRate() float64 {
	if s.Arrivals.Rate > 0 {
		return s.Arrivals.Rate
	}
	return s.Arrivals.Load * s.Capacity()
}

// FaultTargets returns the indices in ServerList of the servers that fault i
// applies to: those whose name matches its Target (path.Match), in order.
func (s *Scenario) FaultTargets(i int) []int {
	target := s.Faults[i].Target
	// The literal start of the pattern rules out whole groups at once.
	lit := target
	if j := strings.IndexAny(target, `*?[\`); j >= 0 {
		lit = target[:j]
	}
	var out []int
	id := 0
	for _, g := range s.Servers {
		prefix := g.Name + "-"
		if !strings.HasPrefix(lit, prefix) && !strings.HasPrefix(prefix, lit) {
			id += max(g.Count, 0)
			continue
		}
		for j := 0; j < g.Count; j++ {
			if ok, _ := path.Match(target, prefix+strconv.Itoa(j)); ok {
				out = append(out, id)
			}
			id++
		}
	}
	return out
}

// Clone returns a deep copy of s, which a caller may change (a command
// line's --seed or --requests) and then check with Validate.
func (s *Scenario) Clone() *Scenario {
	c := *s
	c.Servers = make([]ServerGroup, len(s.Servers))
	for i, g := range s.Servers {
		g.Service = cloneSpec(g.Service)
		c.Servers[i] = g
	}
	c.Network = cloneSpec(s.Network)
	if a := s.HealthCheck.Active; a != nil {
		ac := *a
		c.HealthCheck.Active = &ac
	}
	if p := s.HealthCheck.Passive; p != nil {
		pc := *p
		c.HealthCheck.Passive = &pc
	}
	c.Faults = slices.Clone(s.Faults)
	c.Algorithms = make([]Algorithm, len(s.Algorithms))
	for i, a := range s.Algorithms {
		if a.Params != nil {
			a.Params = cloneValue(a.Params).(map[string]any)
		}
		c.Algorithms[i] = a
	}
	if s.Servers == nil {
		c.Servers = nil
	}
	if s.Algorithms == nil {
		c.Algorithms = nil
	}
	return &c
}

func cloneSpec(s dist.Spec) dist.Spec {
	if s.Of != nil {
		of := make([]dist.Spec, len(s.Of))
		for i, c := range s.Of {
			of[i] = cloneSpec(c)
		}
		s.Of = of
	}
	return s
}

// cloneValue deep-copies a decoded parameter value.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneValue(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = cloneValue(x)
		}
		return l
	}
	return v
}
