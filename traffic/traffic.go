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
	"slices"
	"time"
)

// Arrival is one request as it reaches the balancer tier.
type Arrival struct {
	At       time.Duration // since the start of the run
	U        float64       // service quantile in [0, 1): the job's size, turned into a service time by the server that serves it
	Client   int           // client identity in [0, clients)
	Key      uint64        // the client identity pre-hashed for hash-based balancers; never 0
	Balancer int           // which balancer instance receives it, in [0, balancers)
	Class    int           // its request class, in [0, classes); 0 without classes

	// Sized marks a job whose size is known (a trace's replay): Size is
	// its service time on a server whose distribution has mean Ref; a
	// server of mean m serves it in Size x m / Ref (Ref 0: in Size). U is
	// then unused.
	Sized     bool
	Size, Ref time.Duration
}

// Never is the time of an arrival that will not come: a modulated process
// whose rate stays 0 for ever (a profile ending at factor 0) has no more.
const Never = time.Duration(math.MaxInt64)

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

	shape    Shape
	mm       *mmpp     // the mmpp's modulating chain; nil for other processes
	maxF     float64   // the time modulation's bound (thinning), 1 without one
	classCum []float64 // cumulative class weights; nil without classes
}

// New returns the arrival stream for a process at rate requests per second.
func New(process string, rate float64, clients, balancers int, seed uint64) (*Stream, error) {
	return NewShaped(process, rate, Shape{}, clients, balancers, seed)
}

// NewShaped returns the arrival stream of an open-loop process (poisson,
// constant or mmpp) at a long-run mean of rate requests per second,
// shaped by sh (DESIGN.md §7). A plain Shape gives exactly New's stream.
//
// A time modulation (profile, sine) makes the process non-homogeneous: its
// rate at t is the process's x factor(t). Poisson and mmpp arrivals are
// thinned (candidates at the bound of the factor, each kept with
// probability factor(t)/bound); constant arrivals step by the local gap,
// 1/(rate x factor(t)).
func NewShaped(process string, rate float64, sh Shape, clients, balancers int, seed uint64) (*Stream, error) {
	if process != Poisson && process != Constant && process != MMPP {
		return nil, fmt.Errorf("traffic: unknown arrival process %q (poisson, constant or mmpp)", process)
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return nil, fmt.Errorf("traffic: rate must be positive, got %v", rate)
	}
	if clients < 1 || balancers < 1 {
		return nil, fmt.Errorf("traffic: clients and balancers must be >= 1")
	}
	if err := sh.check(process); err != nil {
		return nil, err
	}
	s := &Stream{
		rng:       rand.New(rand.NewPCG(seed, StreamID("arrivals"))),
		poisson:   process == Poisson,
		meanGapNs: 1e9 / rate,
		clients:   clients,
		balancers: balancers,
		shape:     sh,
		maxF:      1,
	}
	if sh.modulated() {
		s.maxF = sh.maxFactor()
	}
	if process == MMPP {
		s.mm = newMMPP(sh.States, rate, seed)
	}
	if len(sh.Classes) > 0 {
		var sum float64
		for _, w := range sh.Classes {
			sum += w
			s.classCum = append(s.classCum, sum)
		}
	}
	return s, nil
}

// Next returns the next arrival. The draws per arrival are always, in order:
// gap (poisson and mmpp; thinning's candidates and their acceptance draws
// under a time modulation), service quantile, client, balancer (when more
// than one), class (when there are classes). The mmpp's state changes draw
// from a stream of their own.
func (s *Stream) Next() Arrival {
	var a Arrival
	s.NextInto(&a)
	return a
}

// NextInto is Next writing the arrival into *a, every field of it: the
// simulator's hot path, where returning the 80-byte Arrival by value and
// copying it again cost more than drawing it.
func (s *Stream) NextInto(a *Arrival) {
	s.k++
	switch {
	case s.mm != nil:
		for {
			if s.deadFrom(s.t) {
				*a = Arrival{At: Never}
				return
			}
			s.t = s.mm.next(s.t, s.maxF, s.rng.ExpFloat64)
			if !s.shape.modulated() || s.rng.Float64()*s.maxF < s.shape.factor(time.Duration(s.t)) {
				break
			}
		}
	case s.shape.modulated():
		if !s.nextModulated() {
			*a = Arrival{At: Never}
			return
		}
	case s.poisson:
		s.t += s.meanGapNs * s.rng.ExpFloat64()
	default:
		// t_k = k/rate exactly, not a running sum, so there is no drift.
		s.t = float64(s.k) * s.meanGapNs
	}
	// The draws in Next's order: quantile, client, balancer, class.
	a.At = time.Duration(math.Round(s.t))
	a.U = s.rng.Float64()
	a.Client = s.rng.IntN(s.clients)
	a.Key = ClientKey(a.Client)
	a.Balancer = 0
	if s.balancers > 1 {
		a.Balancer = s.rng.IntN(s.balancers)
	}
	a.Class = 0
	if c := s.classCum; c != nil {
		u := s.rng.Float64() * c[len(c)-1]
		a.Class, _ = slices.BinarySearch(c, u)
		a.Class = min(a.Class, len(c)-1)
	}
	a.Sized, a.Size, a.Ref = false, 0, 0
}

// nextModulated advances s.t to the next arrival of a time-modulated
// poisson or constant process; false if there is none (the rate is 0 for
// ever after).
func (s *Stream) nextModulated() bool {
	for {
		if s.deadFrom(s.t) {
			return false
		}
		if s.poisson {
			s.t += s.meanGapNs / s.maxF * s.rng.ExpFloat64()
			if s.rng.Float64()*s.maxF < s.shape.factor(time.Duration(s.t)) {
				return true
			}
			continue
		}
		if f := s.shape.factor(time.Duration(s.t)); f > 1e-9 {
			s.t += s.meanGapNs / f
			return true
		}
		// A stretch of factor 0: step through it a gap at a time.
		s.t += s.meanGapNs
	}
}

// deadFrom reports whether the modulation is 0 from t on for ever: past
// the profile's last point, at factor 0.
func (s *Stream) deadFrom(t float64) bool {
	p := s.shape.Profile
	return len(p) > 0 && p[len(p)-1].Factor == 0 && time.Duration(t) >= p[len(p)-1].At
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
