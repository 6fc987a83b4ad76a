package proxy

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// Backend is one server behind the proxy. Its index in Config.Backends is
// its ID for the balancer.
type Backend struct {
	Name   string  // what hash-based algorithms hash and OnHealth reports; "" = URL; unique
	URL    string  // absolute http(s) URL; a path is a prefix of every request's path
	Weight float64 // > 0; 0 = 1
	// HealthURL, if set, is where the active checks go for this backend
	// instead of URL + HealthCheck.Path: bench run checks someone else's
	// server (a scenario's urls), which may have no /health, at its URL.
	HealthURL string
}

// HealthCheck configures the active checks: every Interval, a Method
// request to the backend's URL + Path, healthy iff it answers 200 within
// Timeout. Fall consecutive failures take a healthy backend out, Rise
// consecutive successes bring it back; every backend starts healthy and is
// first checked at Start (as the simulator's probes start at t=0).
type HealthCheck struct {
	Interval time.Duration // 0 = 2s
	Timeout  time.Duration // 0 = min(1s, Interval)
	Rise     int           // 0 = 2
	Fall     int           // 0 = 3
	Path     string        // "" = "/health"
	Method   string        // "" = GET
	// BareURL checks the backend's URL itself, ignoring Path (the classic
	// configuration's HEAD on the server's URL).
	BareURL bool
}

// Passive configures passive ejection: ConsecutiveFailures failed attempts
// in a row (connection failures, 5xx answers, timeouts) take a backend out
// for Ejection, as the simulator does. A backend that passes its active
// checks again after failing them starts its count afresh.
type Passive struct {
	ConsecutiveFailures int           // 0 = 5
	Ejection            time.Duration // 0 = 30s
}

// Config configures a Proxy. The zero value of every optional field is a
// documented default.
type Config struct {
	Listen    string // address Start listens on; "" = "127.0.0.1:0" (loopback, any free port)
	Backends  []Backend
	Algorithm string         // a name from algorithms.List; "" = "round-robin"
	Params    map[string]any // the algorithm's params, as in a scenario file
	// Source is the balancer's randomness; nil = a concurrency-safe source
	// over math/rand/v2's global generator. It must be safe for concurrent
	// use: the driver passes algorithms.LockedSource(seeded PCG).
	Source rand.Source
	// Discovery, if set, gives the backend set as it changes
	// (membership.go): the balancer lists the backends of its current
	// set only, matched to Backends by name (Backends, which may then be
	// empty, fix the IDs of the backends known at the start; others get
	// the next IDs as they appear). A backend that leaves the set gets
	// no new requests and finishes those it has (InFlight tells when it
	// is drained); one that joins it starts healthy, with its own health
	// checks. nil: Backends are the set, for good.
	Discovery discovery.Source
	// DiscoveryURL is the classic file's "discovery" (discovery.URL): New
	// does not open it (the sources' clients are not this package's
	// dependencies) and refuses a Config that has it without Discovery;
	// bench proxy opens it with realproxy/discovery/sources.
	DiscoveryURL string
	Health       *HealthCheck // nil = no active checks
	Passive      *Passive     // nil = no passive ejection
	// Timeout bounds each attempt, from the pick to the end of the
	// response; 0 = none (the transport still gives up on a backend that
	// sends no response headers for ResponseHeaderTimeout).
	Timeout time.Duration
	Retries int // further attempts after a failed one; >= 0
	// RetryNonIdempotent retries requests whose method is not idempotent
	// (POST, PATCH, CONNECT and unknown ones) as others are. Off, only an
	// idempotent request (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT,
	// DELETE) or one carrying an Idempotency-Key or X-Idempotency-Key header
	// is retried after a failure or a 5xx answer, as HAProxy, Envoy and Go's
	// own Transport do; the backend may have acted on the others. Whatever
	// the method, an attempt whose connection to the backend could not be
	// opened (refused, unreachable, the dial timed out) never reached it
	// and is retried (HAProxy's retry-on conn-failure, Envoy's
	// connect-failure), its body included. Otherwise a request body is not
	// kept for a replay: a request with one is retried only after such a
	// dial failure.
	RetryNonIdempotent bool
	// Hedge, if set, hedges requests that may be retried (hedge.go): after
	// the delay with no answer, up to Max further attempts, each to a
	// backend the request has not tried; the first good answer wins and
	// the others are cancelled (their requests closed). nil = none.
	Hedge *Hedge
	// RetryBudget, if set, allows a retry or a hedge only while they stay
	// within it (model.Budget). nil = no budget. Whether a backend stops
	// work on a request the proxy closed is the backend's business (the
	// scenario's cancel key goes to the emulated backends, not here).
	RetryBudget *RetryBudget
	// ClientHeader names the request header carrying the client's id, a
	// decimal integer hashed as traffic.ClientKey(id); "" = X-Fulcrum-Client.
	// Without it the client's IP address is hashed. The default header is
	// read only with TrustFulcrumHeaders; a header named here is the
	// operator's own and always read.
	ClientHeader string
	// TrustFulcrumHeaders honours Fulcrum's own request headers (wire:
	// X-Fulcrum-Client, -Quantile, -Class, -Size) from clients and passes
	// them to the backends. Off (the default) they are stripped, so that a
	// client cannot pick its hash bucket or its service time; bench run
	// sets it for its own load generator.
	TrustFulcrumHeaders bool
	// ControlToken is the secret the backends' control requests (idle
	// announcements, wire.Idle) must carry in X-Fulcrum-Token; a request
	// without it is refused (403). "" = a random one, made by New
	// (Proxy.ControlToken tells it, to give to the backends).
	ControlToken string
	// SessionCookie, if set, holds sessions by a cookie of that name: a
	// request carrying it is keyed by a hash of its value (instead of the
	// client header or address), so that sticky (or any hash algorithm)
	// keeps the session on its backend; a request without it gets a new
	// random session id (16 random bytes, hex), keyed the same way, sent to
	// the backend as that cookie and set on the response (Set-Cookie:
	// HttpOnly, Path=/, SameSite=Lax). "" = off.
	SessionCookie string
	// TrustForwarded keeps the client's X-Forwarded-For (appending the
	// client's address to it, and hashing its first address as the
	// client's), X-Forwarded-Host and X-Forwarded-Proto. Otherwise they are
	// dropped and set afresh: only trust them behind another proxy.
	TrustForwarded bool
	// ExposeBackend adds X-Forwarded-Server: <backend URL> to responses
	// (off: it reveals internal addresses).
	ExposeBackend bool
	// OnHealth, if set, is called on every change of a backend's health as
	// the balancer sees it (active and passive), at the time since Epoch.
	// Calls are serialised, in order; it must not call back into the Proxy.
	OnHealth func(at time.Duration, backend string, healthy bool)
	// OnRequest, if set, is told of every client request when its answer
	// has been sent (requestlog.go): for a trace of live traffic. It is
	// called from the requests' goroutines, concurrently, in order of
	// completion.
	OnRequest func(RequestRecord)
	// Epoch is time 0 for the balancer's clock and OnHealth; zero = when New
	// is called. The driver passes the start of its run.
	Epoch time.Time
	// LoadInfo, if set, hands a balancer that takes in-flight counts
	// (algorithms.LoadAware) snapshots of them (loadinfo.go) instead of
	// its own live counts; nil = its own. Other balancers ignore it.
	LoadInfo *LoadInfo
	// Observer, if set, is told of every request, attempt, pick, retry,
	// hedge and health change (observer.go), for metrics. nil = none.
	Observer Observer

	// AdminHandler, if set, is served on the admin listener at Admin,
	// which Start opens beside the traffic listener and Shutdown closes:
	// an operator's endpoints (bench proxy: Prometheus metrics) never on
	// the traffic port. nil = no admin listener.
	AdminHandler http.Handler
	// Admin is the admin listener's address (host:port); "" =
	// DefaultAdmin, AdminOff = no admin listener even with an
	// AdminHandler. It may not be the traffic listener's.
	Admin string

	// ReadHeaderTimeout bounds the time a client takes to send a request's
	// head (request line and headers), from its first byte: a client
	// sending it a byte at a time (slowloris) has its connection closed
	// then, by Go's server (HAProxy would answer 408 first). 0 = 10s.
	ReadHeaderTimeout time.Duration
	// ClientTimeout is the longest the proxy waits on a client in the middle
	// of a request: for the next bytes of its body, or for the client to take
	// the next bytes of the response (HAProxy's timeout client: inactivity,
	// not the whole transfer, so a large upload or download that keeps
	// moving is never cut). A connection upgraded to another protocol (a
	// WebSocket) has no such timeout. 0 = 30s.
	ClientTimeout time.Duration

	MaxIdleConnsPerHost   int           // idle keep-alive connections kept per backend; 0 = 64
	ResponseHeaderTimeout time.Duration // 0 = 1 minute; also bounds attempts when Timeout is 0
	ErrorLog              *log.Logger   // the server's and ReverseProxy's own errors; nil = log's standard logger
}

// Hedge is when and how much the proxy hedges (DESIGN.md §7 hedge): after
// a fixed delay, or the Percentile of its recent successful attempt
// latencies (exactly one of the two), up to Max more attempts.
type Hedge struct {
	After      time.Duration
	Percentile float64
	Max        int
}

// RetryBudget bounds retries and hedges together (DESIGN.md §7
// retry_budget): Ratio x requests over the last 10s + MinPerSecond x 10s.
type RetryBudget struct {
	Ratio        float64
	MinPerSecond float64
}

// Defaults of the optional fields.
const (
	DefaultClientHeader          = wire.Client
	DefaultAlgorithm             = "round-robin"
	DefaultListen                = "127.0.0.1:0"
	defaultMaxIdleConnsPerHost   = 64
	defaultResponseHeaderTimeout = time.Minute
	defaultReadHeaderTimeout     = 10 * time.Second
	defaultClientTimeout         = 30 * time.Second
)

// The admin listener's address (Config.Admin).
const (
	// DefaultAdmin is loopback, so that metrics are not exposed beyond
	// the host unless asked; 9901 is Envoy's admin port too.
	DefaultAdmin = "127.0.0.1:9901"
	// AdminOff, as Config.Admin (or bench proxy's --admin, or the classic
	// file's "admin"), turns the admin listener off.
	AdminOff = "off"
)

// backend is a validated Backend with what every request needs precomputed.
type backend struct {
	Backend
	url    *url.URL // parsed URL
	health string   // the active check's URL
	// inflight counts attempts picked for it and not yet finished, kept
	// only when something reads it (Proxy.countInflight): with a
	// discovery source (Config.Discovery) a backend that leaves the set is
	// drained when it reaches 0; with load information from the proxy's
	// own counts it is the count.
	inflight atomic.Int64
	obs      BackendObserver // Config.Observer's handle on it (never nil)
}

// withDefaults returns cfg with every zero optional field set to its
// default, and the backends validated and parsed.
func (cfg Config) withDefaults() (Config, []backend, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = DefaultAlgorithm
	}
	if cfg.Source == nil {
		cfg.Source = globalSource{}
	}
	if cfg.ClientHeader == "" {
		cfg.ClientHeader = DefaultClientHeader
	}
	cfg.ClientHeader = http.CanonicalHeaderKey(cfg.ClientHeader)
	if cfg.ControlToken == "" {
		var b [16]byte
		if _, err := crand.Read(b[:]); err != nil {
			return cfg, nil, fmt.Errorf("proxy: control token: %w", err)
		}
		cfg.ControlToken = hex.EncodeToString(b[:])
	}
	if c := cfg.SessionCookie; c != "" && !validMethod(c) {
		return cfg, nil, fmt.Errorf("proxy: session cookie name %q is not a cookie name (an HTTP token, e.g. fulcrum_session)", c)
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Now()
	}
	if cfg.AdminHandler != nil {
		if cfg.Admin == "" {
			cfg.Admin = DefaultAdmin
		}
		if cfg.Admin != AdminOff {
			if _, _, err := net.SplitHostPort(cfg.Admin); err != nil {
				return cfg, nil, fmt.Errorf("proxy: admin address %q is not host:port (e.g. %s, or %q for none)", cfg.Admin, DefaultAdmin, AdminOff)
			}
			if SameAddress(cfg.Admin, cfg.Listen) {
				return cfg, nil, fmt.Errorf("proxy: admin address %s is the traffic listener's (%s): the admin listener must be on another port", cfg.Admin, cfg.Listen)
			}
		}
	}
	if cfg.MaxIdleConnsPerHost <= 0 {
		cfg.MaxIdleConnsPerHost = defaultMaxIdleConnsPerHost
	}
	if cfg.ResponseHeaderTimeout <= 0 {
		cfg.ResponseHeaderTimeout = defaultResponseHeaderTimeout
	}
	if cfg.Timeout < 0 {
		return cfg, nil, fmt.Errorf("proxy: timeout %v is negative (0 means none)", cfg.Timeout)
	}
	if cfg.ReadHeaderTimeout < 0 || cfg.ClientTimeout < 0 {
		return cfg, nil, fmt.Errorf("proxy: read-header timeout %v or client timeout %v is negative (0 means the default, %v and %v)",
			cfg.ReadHeaderTimeout, cfg.ClientTimeout, defaultReadHeaderTimeout, defaultClientTimeout)
	}
	if cfg.ReadHeaderTimeout == 0 {
		cfg.ReadHeaderTimeout = defaultReadHeaderTimeout
	}
	if cfg.ClientTimeout == 0 {
		cfg.ClientTimeout = defaultClientTimeout
	}
	if cfg.Retries < 0 {
		return cfg, nil, fmt.Errorf("proxy: retries %d is negative", cfg.Retries)
	}
	if h := cfg.Hedge; h != nil && ((h.After > 0) == (h.Percentile > 0) || h.After < 0 || h.Percentile >= 100 || h.Max < 0) {
		return cfg, nil, fmt.Errorf("proxy: hedge %+v: give after > 0 or a percentile in (0, 100), and max >= 0", *h)
	}
	if b := cfg.RetryBudget; b != nil && !(b.Ratio >= 0 && b.MinPerSecond >= 0) {
		return cfg, nil, fmt.Errorf("proxy: retry budget %+v: ratio and min_per_second must be >= 0", *b)
	}
	if h := cfg.Health; h != nil {
		hc := *h
		if hc.Interval < 0 || hc.Timeout < 0 || hc.Rise < 0 || hc.Fall < 0 {
			return cfg, nil, fmt.Errorf("proxy: health check: negative interval, timeout, rise or fall: %+v", *h)
		}
		if hc.Interval == 0 {
			hc.Interval = 2 * time.Second
		}
		if hc.Timeout == 0 {
			hc.Timeout = min(time.Second, hc.Interval)
		}
		if hc.Rise == 0 {
			hc.Rise = 2
		}
		if hc.Fall == 0 {
			hc.Fall = 3
		}
		if hc.Path == "" {
			hc.Path = wire.Health
		}
		if hc.Method == "" {
			hc.Method = http.MethodGet
		}
		if !validMethod(hc.Method) {
			return cfg, nil, fmt.Errorf("proxy: health check: method %q is not an HTTP method (e.g. GET or HEAD)", hc.Method)
		}
		cfg.Health = &hc
	}
	if p := cfg.Passive; p != nil {
		pc := *p
		if pc.ConsecutiveFailures < 0 || pc.Ejection < 0 {
			return cfg, nil, fmt.Errorf("proxy: passive: negative consecutive failures or ejection: %+v", *p)
		}
		if pc.ConsecutiveFailures == 0 {
			pc.ConsecutiveFailures = 5
		}
		if pc.Ejection == 0 {
			pc.Ejection = 30 * time.Second
		}
		cfg.Passive = &pc
	}
	if cfg.DiscoveryURL != "" && cfg.Discovery == nil {
		return cfg, nil, fmt.Errorf("proxy: discovery %q is not opened: open it (realproxy/discovery/sources) and set Discovery", cfg.DiscoveryURL)
	}
	if len(cfg.Backends) == 0 && cfg.Discovery == nil {
		return cfg, nil, fmt.Errorf("proxy: no backends")
	}
	bs := make([]backend, len(cfg.Backends))
	names := map[string]int{}
	for i, b := range cfg.Backends {
		if err := cfg.parseBackend(&bs[i], b, fmt.Sprintf("backends[%d]", i)); err != nil {
			return cfg, nil, err
		}
		if j, dup := names[bs[i].Name]; dup {
			return cfg, nil, fmt.Errorf("proxy: backends[%d] and backends[%d] are both named %q: names must be unique", j, i, bs[i].Name)
		}
		names[bs[i].Name] = i
	}
	// With a discovery source and no configured backends, the set's size
	// is not known: the params are checked, not their fit to it (0).
	if err := algorithms.Validate(cfg.Algorithm, cfg.Params, len(bs)); err != nil {
		return cfg, nil, fmt.Errorf("proxy: algorithm: %w", err)
	}
	return cfg, bs, nil
}

// parseBackend checks b (where names it in messages) and fills be from it:
// its name ("" = its URL), weight (0 = 1), parsed URL and health URL.
func (cfg Config) parseBackend(be *backend, b Backend, where string) error {
	u, err := url.Parse(b.URL)
	switch {
	case err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("proxy: %s: url %q is not an absolute http(s) URL (e.g. http://127.0.0.1:5001)", where, b.URL)
	case u.User != nil || u.Fragment != "":
		return fmt.Errorf("proxy: %s: url %q: no user info or fragment, please", where, b.URL)
	}
	if b.Name == "" {
		b.Name = b.URL
	}
	if b.Weight == 0 {
		b.Weight = 1
	}
	if !(b.Weight > 0) || math.IsInf(b.Weight, 1) {
		return fmt.Errorf("proxy: %s (%s): weight %v is not a finite number > 0", where, b.Name, b.Weight)
	}
	be.Backend, be.url = b, u
	if h := cfg.Health; h != nil {
		be.health = b.URL
		if b.HealthURL != "" {
			if hu, err := url.Parse(b.HealthURL); err != nil || hu.Scheme != "http" && hu.Scheme != "https" || hu.Host == "" {
				return fmt.Errorf("proxy: %s: health url %q is not an absolute http(s) URL", where, b.HealthURL)
			}
			be.health = b.HealthURL
		} else if !h.BareURL {
			hu := *u
			hu.Path, hu.RawPath = joinURLPath(u, &url.URL{Path: h.Path})
			be.health = hu.String()
		}
	}
	return nil
}

// validMethod reports whether m is an HTTP token.
func validMethod(m string) bool {
	return m != "" && !strings.ContainsFunc(m, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}

// globalSource is a concurrency-safe rand.Source over math/rand/v2's global
// generator, for a proxy that serves traffic on its own (DESIGN.md §2).
type globalSource struct{}

func (globalSource) Uint64() uint64 { return rand.Uint64() }

// joinURLPath joins a's path and b's as ReverseProxy's SetURL does: one
// slash between them, escaped forms kept when either has one.
func joinURLPath(a, b *url.URL) (path, rawpath string) {
	if a.RawPath == "" && b.RawPath == "" {
		return singleJoiningSlash(a.Path, b.Path), ""
	}
	apath, bpath := a.EscapedPath(), b.EscapedPath()
	aslash, bslash := strings.HasSuffix(apath, "/"), strings.HasPrefix(bpath, "/")
	switch {
	case aslash && bslash:
		return a.Path + b.Path[1:], apath + bpath[1:]
	case !aslash && !bslash:
		return a.Path + "/" + b.Path, apath + "/" + bpath
	}
	return a.Path + b.Path, apath + bpath
}

func singleJoiningSlash(a, b string) string {
	aslash, bslash := strings.HasSuffix(a, "/"), strings.HasPrefix(b, "/")
	switch {
	case aslash && bslash:
		return a + b[1:]
	case !aslash && !bslash:
		return a + "/" + b
	}
	return a + b
}
