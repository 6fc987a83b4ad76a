// Package wire is the HTTP protocol between the real engine's parts: the
// load generator, the proxy and the emulated backends. Every header and
// path they exchange is named here, once, so that no two parts can spell
// one differently.
package wire

// Request headers.
const (
	// Quantile carries arrival k's service quantile u_k in [0, 1)
	// (DESIGN.md §4), in strconv float syntax. A backend hit without one
	// (or with a malformed one) draws its own.
	Quantile = "X-Fulcrum-Quantile"
	// Client carries the client identity, in decimal; the proxy hashes it
	// into the balancer's request key.
	Client = "X-Fulcrum-Client"
	// Class carries the request's class (DESIGN.md §7), as its index in
	// the scenario's classes, in decimal; the backend draws the class's
	// service time. Absent: no class (the server's own distribution).
	Class = "X-Fulcrum-Class"
	// Size carries a traced job's size (a trace's replay, DESIGN.md §8),
	// in whole nanoseconds: its service time on a server whose service
	// distribution has the mean in SizeRef (ns; absent or 0: on any
	// server). A backend of mean m serves it in Size x m / SizeRef, and
	// ignores Quantile.
	Size    = "X-Fulcrum-Size"
	SizeRef = "X-Fulcrum-Size-Ref"
	// Token carries the proxy's control token on control requests (Idle
	// announcements): only backends told the token may make them, not
	// any client that can reach the traffic port.
	Token = "X-Fulcrum-Token"
)

// Prefix starts every Fulcrum header. A proxy strips the request headers
// that carry it (Quantile, Client, Class, Size, Token ...) from clients'
// requests unless its configuration trusts them (bench run's own load
// generator): a client must not choose its hash bucket or its service.
const Prefix = "X-Fulcrum-"

// Response headers.
const (
	// Backend names the backend that answered (on 200, 500 and 503).
	Backend = "X-Fulcrum-Backend"
	// Service is the request's service time at the backend, in whole
	// microseconds (processor sharing: its full-speed service time).
	Service = "X-Fulcrum-Service"
	// Queue is how long the request waited for a worker at the backend, in
	// whole microseconds (rounded); > 0 means it queued. Under processor
	// sharing: the time it lost to sharing if it arrived to find every
	// worker shared, else 0.
	Queue = "X-Fulcrum-Queue"
	// Response is the request's time at the backend by the model's clock,
	// from its arrival to its completion, in whole microseconds: queue
	// plus service under FIFO; under processor sharing, what sharing made
	// of its service. A client's latency less this is what the network,
	// the proxy and the machine's scheduling added to that request.
	Response = "X-Fulcrum-Response"
	// Error says why the proxy answered itself: "no-backend" (503),
	// "timeout" (504) or "backend-failed" (502).
	Error = "X-Fulcrum-Error"
	// Server is the URL of the backend the proxy's last attempt went to, on
	// its own answers too (502, 504), when the proxy exposes it.
	Server = "X-Forwarded-Server"
	// Tries is what the proxy did beyond the first attempt, when it hedges
	// or has a retry budget: five decimals separated by spaces, hedges
	// sent, 1 if the answer is a hedge's (else 0), hedges the budget
	// refused, retries sent, retries the budget refused ("1 1 0 0 0").
	Tries = "X-Fulcrum-Tries"
)

// The values of Error.
const (
	ErrorNoBackend     = "no-backend"
	ErrorTimeout       = "timeout"
	ErrorBackendFailed = "backend-failed"
	// ErrorStrategy: the balancing strategy itself failed (an external
	// strategy's process died or answered nonsense), 500.
	ErrorStrategy = "strategy-failed"
)

// Paths. A backend answers Health and Probe at once, never queued behind
// requests; every other path is a request. The proxy answers Idle itself.
const (
	// Health is a backend's health check: 200 while it serves.
	Health = "/health"
	// Probe is a backend's load probe: its requests in flight and its
	// recent response time (model.ProbeEWMA).
	Probe = "/probe"
	// Idle is where backends announce to the proxy that they are idle:
	// POST Idle?backend=<name>.
	Idle = "/_fulcrum/idle"
)
