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
//   - a request without a body that may be replayed (GET, HEAD, OPTIONS,
//     TRACE, or one with an idempotency key) is forwarded on its own
//     goroutine over a pooled keep-alive connection (fastpath.go): the
//     same bytes and parsing as http.Transport (Request.Write,
//     http.ReadResponse), without its per-connection reader and writer
//     goroutines; everything else (bodies, upgrades, Expect, https) goes
//     through http.Transport;
//   - a failed attempt (connection refused or reset, a 5xx answer, the
//     per-attempt timeout) is retried while retries remain, if the request
//     can be replayed (it has no body) and is idempotent (RFC 9110 §9.2.2;
//     or has an Idempotency-Key; any method with
//     Config.RetryNonIdempotent); an attempt whose dial failed never
//     reached the backend and is retried whatever the request, its body
//     included (HAProxy's retry-on conn-failure). The balancer picks again
//     and may pick the same backend. The last attempt's verdict is the
//     answer: 504 after a timeout, 502 after a failure, or the backend's own
//     5xx passed through; ErrNoBackend answers 503 at once and is not
//     retried;
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
// Against hostile clients (hostile_test.go has a test for each):
//
//   - request smuggling: a request with both Content-Length and
//     Transfer-Encoding, Transfer-Encoding in HTTP/1.0, or obsolete line
//     folding is answered 400 and its connection closed, before anything is
//     picked or forwarded, as nginx does; Go's server would drop the
//     Content-Length silently, so the framing is checked on the raw bytes
//     (framing.go), failing closed where it cannot follow them. Go's server
//     answers the rest itself: 400 for Content-Lengths that differ, 501 for
//     more than one Transfer-Encoding or another coding than chunked, 431
//     for a head beyond 64 KiB;
//   - slow clients: a request's head must arrive within
//     Config.ReadHeaderTimeout of its first byte (slowloris), and mid-request
//     the client may leave the proxy waiting at most Config.ClientTimeout
//     for its next bytes, or to take the response's (an inactivity timeout,
//     HAProxy's timeout client: no absolute bound cuts a large upload or
//     download that is moving). Bodies stream both ways, never buffered
//     whole;
//   - the request target goes to the backend byte for byte as the client
//     sent it: dot segments, %2F, %00 and the like are neither resolved nor
//     re-escaped (Go's server refuses control bytes and bad escapes with
//     400); a query Go cannot parse is dropped, as httputil.ReverseProxy
//     does;
//   - X-Forwarded-For, -Host and -Proto and Forwarded from the client are
//     dropped unless Config.TrustForwarded; the hop-by-hop headers and those
//     the Connection header names are stripped both ways;
//   - an Upgrade (WebSocket) is proxied as a tunnel without the client
//     timeout; its pick is finished when the tunnel closes.
//
// What the proxy does (requests, each attempt's outcome, picks, retries,
// hedges, health changes) is told to Config.Observer, for metrics
// (observer.go; realproxy/promexport exports them to Prometheus), and an
// operator's endpoints (Config.AdminHandler) are served on an admin
// listener apart from the traffic port (admin.go).
//
// A Proxy is built with New from a Config (or LoadClassic's configuration
// file), served by Start on its own listener or through Handler, and stopped
// by Shutdown, which drains requests in flight and leaves no goroutine.
package proxy
