package scenarios

import (
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
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
	Classes     []Class // request classes (DESIGN.md §7); nil = one class, size 1
	Clients     int     // distinct client identities; default 1000 (closed loop: Arrivals.Users)
	Servers     []ServerGroup
	Network     dist.Spec // one-way balancer<->server delay; default constant 0s
	Balancers   int       // independent balancer instances; default 1
	HealthCheck HealthCheck
	Timeout     time.Duration // per attempt; 0 = none
	Retries     int           // extra attempts after a failed one; default 0
	Hedge       *Hedge        // hedged requests (resilience.go); nil = none
	Cancel      bool          // a cancelled or timed-out attempt frees its worker; default false
	RetryBudget *RetryBudget  // bounds retries and hedges; nil = no budget
	Faults      []Fault
	LoadInfo    *LoadInfo // where load-aware algorithms' in-flight counts come from; nil = their own, live
	Algorithms  []Algorithm

	// File is where the scenario was read from, for messages ("scenarios/x.yaml").
	File string

	// lines maps field paths to their lines in File, for Validate's
	// messages. Read-only once parsed; clones share it.
	lines map[string]int
}

// Arrivals is the arrival process (DESIGN.md §3 and §7).
//
// Open-loop processes (poisson, constant, mmpp) have exactly one of Load and
// Rate set after loading; Scenario.ArrivalRate resolves either to requests
// per second, the process's long-run mean before Profile and Sine. A closed
// loop (Process "closed") has Users and Think instead, and a trace (Process
// "trace") File and Speed; neither has a load or a rate.
type Arrivals struct {
	Process string  // poisson | constant | mmpp | closed | trace; default poisson
	Load    float64 // fraction of total capacity, > 0
	Rate    float64 // absolute rate in req/s, > 0

	// States are the mmpp process's states, at least two.
	States []MMPPState
	// Profile is an optional piecewise-linear factor over time for an open
	// process (not trace): the rate at t is the process's rate x
	// ProfileFactor(t). Nil = no profile.
	Profile []ProfilePoint
	// Sine optionally modulates an open process (not trace) further:
	// the rate is multiplied by 1 + Amplitude x sin(2 pi t / Period).
	Sine *Sine

	Users int       // closed: the population, >= 1; user u is client u
	Think dist.Spec // closed: think time between an answer and the next request; default constant 0s

	File  string  // trace: the trace file as written; see Scenario.TraceFile
	Speed float64 // trace: time scale, > 0 (2 replays twice as fast); default 1
}

// MMPPState is one state of a Markov-modulated Poisson process: while in it,
// arrivals come at Factor x the base rate; it lasts an exponential time of
// mean MeanSojourn.
type MMPPState struct {
	Factor      float64       // >= 0; not all states 0
	MeanSojourn time.Duration // > 0
}

// ProfilePoint is one point of a traffic profile: the factor at time At
// from the start of the run.
type ProfilePoint struct {
	At     time.Duration // >= 0, non-decreasing along the profile
	Factor float64       // >= 0
}

// Sine is a sinusoidal modulation of the arrival rate.
type Sine struct {
	Period    time.Duration // > 0
	Amplitude float64       // in [0, 1)
}

// Class is a request class, drawn per arrival with probability Weight / sum
// of weights. A request of the class needs Size x its server's service-time
// draw, or, when Service is set (not the zero Spec), a draw of Service on
// every server (Size is then 0).
type Class struct {
	Name    string
	Weight  float64   // > 0; default 1
	Size    float64   // > 0; default 1 unless Service is set
	Service dist.Spec // optional: the class's own service-time distribution
}

// HasService reports whether the class has its own service distribution.
func (c Class) HasService() bool { return !reflect.ValueOf(c.Service).IsZero() }

// ServerGroup is one entry of the servers list: Count identical servers named
// Name-0 .. Name-(Count-1).
type ServerGroup struct {
	Name        string
	Count       int       // default 1; with URLs, len(URLs)
	Weight      float64   // default 1
	Concurrency int       // parallel workers; default 1
	QueueLimit  int       // 0 = unbounded; under ps it bounds n - Concurrency
	Discipline  string    // DisciplineFIFO or DisciplinePS; "" (not written) is fifo
	Service     dist.Spec // required, unless URLs are given (then a fitted model, optional)
	// URLs, when set, make the group's servers someone else's (DESIGN.md
	// §9): server Name-j is the HTTP server at URLs[j], which bench run
	// proxies to instead of emulating one. Service is then optional: a
	// fitted model of those servers, for the simulator (urls.go).
	URLs []string
	// Join is when the group's servers join the pool (DESIGN.md §7):
	// before it the balancers do not list them and they do not listen.
	// Default 0s: members from the start.
	Join time.Duration
	// Leave is when they leave it: the balancers stop sending them new
	// requests and what they hold finishes (a drain). 0 = never.
	Leave time.Duration
}

// The service disciplines of a server group (DESIGN.md §7).
const (
	// DisciplineFIFO: Concurrency workers, each serving one request at
	// full speed; the others wait in a FIFO queue.
	DisciplineFIFO = "fifo"
	// DisciplinePS: processor sharing. With n requests on the server each
	// progresses at min(1, Concurrency/n) of full speed; none waits.
	DisciplinePS = "ps"
)

// disciplines are the values of servers[].discipline, for messages.
const disciplines = "fifo or ps"

// Server is one expanded server; its index in Scenario.ServerList() is its
// algorithms.Backend ID.
type Server struct {
	Name        string
	Group       int // index into Scenario.Servers
	Weight      float64
	Concurrency int
	QueueLimit  int
	Discipline  string // as its group's: "" or DisciplineFIFO, or DisciplinePS
	Service     dist.Spec
	// URL is the server's address when its group gives urls (someone
	// else's server, DESIGN.md §9); "" for an emulated server.
	URL string
}

// PS reports whether the server shares its processors (DisciplinePS).
func (s Server) PS() bool { return s.Discipline == DisciplinePS }

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
// from At for Duration (0 = until the end of the run); a restart has no
// Duration: it lasts as long as its batches take.
type Fault struct {
	At          time.Duration
	Target      string
	Kind        string // crash | slowdown | errors
	Duration    time.Duration
	Factor      float64 // slowdown: service-time multiplier, > 0
	Probability float64 // errors: chance that a request is answered 500, in (0, 1]
	// Batch and Down belong to a restart (a rolling restart, DESIGN.md
	// §7): Batch servers at a time (default 1) leave the pool, drain, are
	// down for Down, and rejoin; then the next batch
	// (model.Membership).
	Batch int
	Down  time.Duration
	// MTBF and MTTR, set together, make the fault random (DESIGN.md §7):
	// each matched server fails and recovers on its own, with exponential
	// up times of mean MTBF and down times of mean MTTR, within the window
	// from At for Duration (0: to the end of the run).
	MTBF, MTTR time.Duration
}

// Random reports whether the fault fails and recovers at random (MTBF).
func (f Fault) Random() bool { return f.MTBF > 0 }

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
			s := Server{
				Name:        g.Name + "-" + strconv.Itoa(j),
				Group:       gi,
				Weight:      g.Weight,
				Concurrency: g.Concurrency,
				QueueLimit:  g.QueueLimit,
				Discipline:  g.Discipline,
				Service:     g.Service,
			}
			if j < len(g.URLs) {
				s.URL = g.URLs[j]
			}
			out = append(out, s)
		}
	}
	return out
}

// Capacity is the servers' total throughput in requests per second:
//
//	capacity = sum over servers of concurrency / E[service time in s]
//
// where E[service time] is MeanService: with request classes, the
// class-weighted mean. A group of urls without a service (someone else's
// servers, of unknown speed) adds nothing: its capacity is unknown, and
// Validate refuses what would need it (a load). It panics on an invalid
// service distribution, which Parse rejects.
func (s *Scenario) Capacity() float64 {
	c := 0.0
	for i, g := range s.Servers {
		if !g.HasService() {
			continue
		}
		c += float64(g.Count) * float64(g.Concurrency) / s.MeanService(i)
	}
	return c
}

// MeanService is the mean service time in seconds of a request on a server
// of group i. Without classes it is the group's service mean; with classes
// it is the class-weighted mean of each class's mean on the group: the
// class's own service mean if it has one, else Size x the group's mean
// (DESIGN.md §7). It panics on an invalid distribution, which Parse rejects.
func (s *Scenario) MeanService(i int) float64 {
	m := specMean(s.Servers[i].Service, fmt.Sprintf("servers[%d].service", i))
	if len(s.Classes) == 0 {
		return m
	}
	sum, weights := 0.0, 0.0
	for k, c := range s.Classes {
		mk := c.Size * m
		if c.HasService() {
			mk = specMean(c.Service, fmt.Sprintf("classes[%d].service", k))
		}
		sum += c.Weight * mk
		weights += c.Weight
	}
	return sum / weights
}

func specMean(sp dist.Spec, path string) float64 {
	d, err := dist.New(sp)
	if err != nil {
		panic(fmt.Sprintf("scenarios: %s: %v", path, err))
	}
	return d.Mean()
}

// ArrivalRate is the arrival rate in requests per second: Arrivals.Rate, or
// Arrivals.Load x Capacity(). For mmpp it is the long-run mean; a profile or
// a sine multiplies it over time (ProfileFactor). A closed loop has no
// arrival rate (its users set the pace) and a trace's rate is in its file:
// for both ArrivalRate is 0, and callers that divide by it must check.
func (s *Scenario) ArrivalRate() float64 {
	switch s.Arrivals.Process {
	case "closed", "trace":
		return 0
	}
	if s.Arrivals.Rate > 0 {
		return s.Arrivals.Rate
	}
	return s.Arrivals.Load * s.Capacity()
}

// ProfileFactor is the factor arrivals.profile gives at time t: linear
// between points, a step where two points share an instant (the later one
// holds from that instant on), the first point's factor before it and the
// last point's after it. Without a profile it is 1. The sine is not
// included.
func (s *Scenario) ProfileFactor(t time.Duration) float64 {
	p := s.Arrivals.Profile
	if len(p) == 0 {
		return 1
	}
	if t < p[0].At {
		return p[0].Factor
	}
	// The last point at or before t.
	i := sort.Search(len(p), func(i int) bool { return p[i].At > t }) - 1
	if i == len(p)-1 {
		return p[i].Factor
	}
	a, b := p[i], p[i+1]
	return a.Factor + (b.Factor-a.Factor)*float64(t-a.At)/float64(b.At-a.At)
}

// SafeName turns any string (a backend's address in a log, "10.0.0.1:80")
// into a name the scenario format accepts for a server group: characters
// it does not allow become '_', leading ones it does not allow as a first
// character are dropped, and it is cut to 60 bytes; "" if nothing is left.
func SafeName(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-', c == '+', c == '=':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	n := strings.TrimLeft(b.String(), "_.-+=")
	if len(n) > 60 {
		n = n[:60]
	}
	return n
}

// TraceFile is the path of a trace's file (arrivals.file): as written if it
// is absolute, else relative to the directory of the scenario file (File).
// "" when the scenario has no trace.
func (s *Scenario) TraceFile() string {
	f := s.Arrivals.File
	if f == "" || filepath.IsAbs(f) {
		return f
	}
	return filepath.Join(filepath.Dir(s.File), f)
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
		g.URLs = slices.Clone(g.URLs)
		c.Servers[i] = g
	}
	c.Network = cloneSpec(s.Network)
	c.Arrivals.States = slices.Clone(s.Arrivals.States)
	c.Arrivals.Profile = slices.Clone(s.Arrivals.Profile)
	if s.Arrivals.Sine != nil {
		sine := *s.Arrivals.Sine
		c.Arrivals.Sine = &sine
	}
	c.Arrivals.Think = cloneSpec(s.Arrivals.Think)
	if s.Classes != nil {
		c.Classes = make([]Class, len(s.Classes))
		for i, k := range s.Classes {
			k.Service = cloneSpec(k.Service)
			c.Classes[i] = k
		}
	}
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
