// Package algorithms holds Fulcrum's load-balancing strategies behind one
// contract, so that the same code runs in the discrete-event simulator (one
// goroutine, virtual time, seeded randomness) and in the HTTP proxy (many
// goroutines, wall time).
//
// Nothing here reads a clock, starts a goroutine, sets a timer, does I/O or
// uses package-level randomness: time is passed in and randomness comes in
// at construction. lint_test.go walks this package's syntax tree with
// algotest.CheckPurity to keep it so.
//
// The strategies, each in its own file with the system or paper it follows:
//
//	random                      uniform over the healthy backends
//	round-robin                 cycle over the healthy backends (nginx, grpc-go round_robin)
//	weighted-round-robin        nginx's smooth weighted round-robin
//	least-connections           fewest in flight, uniform ties (nginx least_conn, Caddy)
//	weighted-least-connections  lowest (in-flight+1)/weight (HAProxy leastconn, Envoy)
//	ip-hash                     key hash mod N over all listed backends, nginx's rehash
//	p2c                         power of d choices (Mitzenmacher 2001; tower, linkerd2)
//
// New builds one by name from the registry (registry.go): the built-ins, a
// static table of Specs, and the strategies a program adds with Register,
// declared with the same Spec and typed parameters (params.go). List
// describes them; the package algotest checks any strategy against the
// contract below. Every balancer publishes an immutable snapshot on Update
// behind an atomic pointer and keeps its per-backend live counters by ID
// outside it (snapshot.go), as grpc-go's leastrequest picker does.
package algorithms

import (
	"errors"
	"time"
)

// ErrNoBackend is returned by Pick when no backend is eligible. The simulator
// counts the request as rejected; the proxy answers 503.
var ErrNoBackend = errors.New("algorithms: no backend available")

// Backend is one server as the engine describes it to a balancer.
type Backend struct {
	ID      int     // index in the scenario's server list; stable for the run, never reused
	Name    string  // what hash-based strategies hash
	Weight  float64 // > 0
	Healthy bool    // set by the engine; unhealthy backends stay listed so hash tables stay stable
}

// Request is what a balancer may know of a request when it picks.
type Request struct {
	Now time.Duration // since the start of the run: virtual (sim) or monotonic (real)
	Key uint64        // pre-hashed client or session identity; 0 when there is none
}

// Balancer picks a backend for each request.
//
// A Balancer is safe for concurrent use provided the rand.Source it was built
// with is (the simulator passes a bare PCG from one goroutine; the proxy wraps
// its source in a lock). Pick never blocks on I/O and does not allocate.
//
// Every successful Pick is followed by exactly one Started and one Finished
// for the returned id, whatever the outcome; Finished comes after the response
// has been delivered. Times passed in never go backwards (from one goroutine;
// the proxy's goroutines read one monotonic clock, so theirs are at most
// slightly out of order).
//
// In-flight counts: Pick counts the request it places before returning (it
// reserves the backend's slot atomically, as grpc-go's least_request picker
// increments its counter inside Pick), Finished uncounts it, and Started is a
// notification that changes no count. So a burst of simultaneous picks from
// the proxy's goroutines sees each pick that came before it, instead of
// herding onto whichever backend looked idle to all of them. In the
// simulator Pick and Started happen at the same virtual instant, so this is
// the same as counting at Started.
type Balancer interface {
	// Update replaces the whole backend set. The balancer builds an immutable
	// snapshot from it; per-backend live counters (in-flight, EWMA) are kept by
	// ID across updates. The order of backends does not matter (balancers
	// order them by ID) and the slice is not retained. Update panics on a
	// broken contract: a negative or repeated ID, or a weight that is not a
	// finite number > 0.
	Update(now time.Duration, backends []Backend)
	// Pick returns the ID of a healthy backend, counted in flight from now
	// on, or ErrNoBackend (and counts nothing).
	Pick(req Request) (id int, err error)
	// Started reports that the request picked for id was sent. It does not
	// change the in-flight count: Pick did.
	Started(id int, now time.Duration)
	// Finished reports that a request to id ended after latency, and takes
	// it out of the in-flight count; ok is false for failures, 5xx answers
	// and timeouts.
	Finished(id int, now, latency time.Duration, ok bool)
}

// InFlightCounter is implemented by balancers that count requests in
// flight per backend, as every built-in does: InFlight returns the count
// for id (0 for an ID never listed). Nothing in the engines needs it; the
// conformance kit (algorithms/algotest) checks the count after every call
// of a balancer that has it, so a strategy that counts is worth giving it.
type InFlightCounter interface {
	InFlight(id int) int64
}

// LoadAware is implemented by balancers whose choices rest on counts of
// requests in flight per backend and that can take those counts from the
// engine instead of their own (DESIGN.md §7, load_info): the servers' own
// counts from every balancer, or the balancer's own counts as they were a
// while ago. SetLoad publishes inflight (indexed by backend ID; an ID past
// its end counts 0; the slice is not retained), the counts as they stood
// at time at. From then on the balancer decides on these counts alone,
// without adding the requests it places itself, until the next SetLoad:
// the bulletin board of Mitzenmacher's "How useful is old information?"
// (2000). Its own in-flight bookkeeping (InFlight, Started, Finished) goes
// on as before. Engines that do not call SetLoad leave the balancer on its
// own live counts. Load-blind balancers (random, round-robin, the hashes)
// have nothing to take and do not implement it.
type LoadAware interface {
	SetLoad(at time.Duration, inflight []int64)
}

// Prober is implemented by balancers that learn from probes (prequal): the
// engine sends the probes and delivers the answers. After every successful
// Pick the engine asks ProbeTargets which backends to probe (appending to
// dst, which it reuses), sends each a probe over the network, and delivers
// each answer (the backend's requests in flight and recent latency) to
// ProbeResult when it arrives.
type Prober interface {
	ProbeTargets(now time.Duration, dst []int) []int
	ProbeResult(id int, now time.Duration, inflight int, latency time.Duration)
}

// IdleTracker is implemented by balancers that learn from the backends
// themselves which ones are idle (join-idle-queue, Lu et al. 2011): a
// backend that becomes idle announces it to one balancer instance (chosen at
// random), and the engine delivers the announcement after its network delay.
type IdleTracker interface {
	Idle(id int, now time.Duration)
}
