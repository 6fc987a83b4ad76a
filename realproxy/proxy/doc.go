// Package proxy is Fulcrum's real engine's balancer: an HTTP reverse proxy
// (net/http/httputil.ReverseProxy with a Rewrite hook) that picks a backend
// for every attempt with a balancer from the algorithms package, exactly as
// the simulator's balancer does, and applies the same model (sim's package
// doc, DESIGN.md §4):
//
//   - per attempt: Pick (which counts the request in flight), Started,
//     forward, then Finished once the response body has been delivered
//     (read to its end or closed) or the attempt failed: exactly one Started
//     and one Finished per successful Pick (transport.go);
//   - a failed attempt (connection refused or reset, a 5xx answer, the
//     per-attempt timeout) is retried while retries remain and the request
//     can be replayed; the balancer picks again and may pick the same
//     backend. The last attempt's verdict is the answer: 504 after a
//     timeout, 502 after a failure, or the backend's own 5xx passed through;
//     ErrNoBackend answers 503 at once and is not retried;
//   - active health checks every Interval with rise/fall hysteresis, from
//     the start, all backends starting healthy; passive ejection after
//     consecutive failed attempts, for a fixed time (health.go);
//   - requests carry the client key the simulator uses (traffic.ClientKey
//     of the X-Fulcrum-Client header), or a hash of the client's address;
//   - with Config.SessionCookie, sessions held by a cookie (session.go): a
//     request is keyed by a hash of its session cookie (FNV-1a and
//     splitmix64's finaliser, as addresses are), so sticky or a hash
//     algorithm keeps the session on its backend while that is healthy; a
//     request without one gets a random session id (crypto/rand, 16 bytes
//     in hex), keyed alike, forwarded as the cookie and set on the response
//     (HttpOnly, Path=/, SameSite=Lax).
//
// A Proxy is built with New from a Config (or LoadClassic's configuration
// file), served by Start on its own listener or through Handler, and stopped
// by Shutdown, which drains requests in flight and leaves no goroutine.
package proxy
