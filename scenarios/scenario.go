package scenarios

import (
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
