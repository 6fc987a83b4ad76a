// Package traffic generates a scenario's arrivals: when each request arrives,
// which client sends it, which balancer instance receives it and how much work
// it carries (its service quantile, DESIGN.md §4). Both engines draw from the
// same seeded stream, so every algorithm, simulated or real, faces the same
// traffic (common random numbers).
package traffic

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// Arrival is one request as it reaches the balancer tier.
type Arrival struct {
	At       time.Duration // since the start of the run
	U        float64       // service quantile in [0, 1): the job's size, turned into a service time by the server that serves it
	Client   int           // client identity in [0, clients)
	Key      uint64        // the client identity pre-hashed for hash-based balancers; never 0
	Balancer int           // which balancer instance receives it, in [0, balancers)
}

// Process names an arrival process.
const (
	Poisson  = "poisson"  // exponential gaps
	Constant = "constant" // equal gaps
)

// Stream yields a scenario's arrivals in order. It is not safe for concurrent
// use; each run makes its own.
type Stream struct {
	rng       *rand.Rand
	poisson   bool // else constant
	meanGapNs float64
	clients   int
	balancers int
	k         int64   // arrivals yielded so far
	t         float64 // time of the last arrival, ns (kept in float so gaps don't accumulate rounding)
}

// New returns the arrival stream for a process at rate requests per second.
func New(process string, rate float64, clients, balancers int, seed uint64) (*Stream, error) {
	if process != Poisson && process != Constant {
		return nil, fmt.Errorf("traffic: unknown arrival process %q (poisson or constant)", process)
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return nil, fmt.Errorf("traffic: rate must be positive, got %v", rate)
	}
	if clients < 1 || balancers < 1 {
		return nil, fmt.Errorf("traffic: clients and balancers must be >= 1")
	}
	return &Stream{
		rng:       rand.New(rand.NewPCG(seed, StreamID("arrivals"))),
		poisson:   process == Poisson,
		meanGapNs: 1e9 / rate,
		clients:   clients,
		balancers: balancers,
	}, nil
}

// Next returns the next arrival. The draws per arrival are always, in order:
// gap (poisson only), service quantile, client, balancer (when more than one).
func (s *Stream) Next() Arrival {
	s.k++
	if s.poisson {
		s.t += s.meanGapNs * s.rng.ExpFloat64()
	} else {
		// t_k = k/rate exactly, not a running sum, so there is no drift.
		s.t = float64(s.k) * s.meanGapNs
	}
	a := Arrival{At: time.Duration(math.Round(s.t)), U: s.rng.Float64()}
	a.Client = s.rng.IntN(s.clients)
	a.Key = ClientKey(a.Client)
	if s.balancers > 1 {
		a.Balancer = s.rng.IntN(s.balancers)
	}
	return a
}

// ClientKey is the pre-hashed identity of client i (splitmix64 of i+1), never 0.
func ClientKey(i int) uint64 {
	z := uint64(i) + 1 + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	if z == 0 {
		return 1
	}
	return z
}

// StreamID names an independent random stream: PCG's second seed word for
// the stream called name. Engines derive every stream from the scenario seed
// and a name ("arrivals", "faults", "alg/p2c/0"), never from each other.
func StreamID(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}
