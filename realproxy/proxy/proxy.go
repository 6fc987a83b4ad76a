package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/model"
)

// Server-side limits, with Config.ReadHeaderTimeout and ClientTimeout: they
// bound what a client may hold. There is no absolute bound on a whole request
// or response (http.Server's ReadTimeout and WriteTimeout): it would cut a
// large upload or download that is making progress; the client inactivity
// timeout bounds one that is not (framing.go).
const (
	idleTimeout    = 2 * time.Minute // a client's idle keep-alive connection
	maxHeaderBytes = 64 << 10        // beyond it, 431
	// maxHeadFollowed is the longest request head the framing check
	// follows: more than the server reads before answering 431
	// (MaxHeaderBytes plus its 4 KiB of slack).
	maxHeadFollowed = maxHeaderBytes + 8<<10
	dialTimeout     = 5 * time.Second
	// backendIdle closes a backend connection left idle this long. A burst
	// (or an overload) opens one connection per request in flight; once it
	// has passed they are not needed, and a proxy that kept them (90s, Go's
	// default) held about 1,000 descriptors after one overloaded run. It is
	// shorter than the idle timeouts servers commonly use (nginx 75s, even
	// Node's 5s), so the proxy, not the backend, closes an idle connection
	// first: one the backend closes as a request is sent on it fails that
	// request. HAProxy purges idle server connections after 5s likewise
	// (pool-purge-delay).
	backendIdle = 4 * time.Second
)

// Proxy is an HTTP reverse proxy that balances over its backends with one
// of the algorithms package's balancers. It is safe for concurrent use.
type Proxy struct {
	cfg Config
	// backends is every backend the proxy has known, by ID: the configured
	// ones, then those a discovery source added (membership.go). It only
	// grows (IDs are never reused), by a copy under memMu, so the hot path
	// reads it with one atomic load and no lock.
	backends  atomic.Pointer[[]*backend]
	members   *members // the discovery source's set; nil: the configured backends, fixed
	bal       algorithms.Balancer
	transport *backendTransport // requests; keep-alive pools per backend (fastpath.go)
	rp        *httputil.ReverseProxy
	handler   http.Handler // rp, or rp behind sessionHandler
	health    *health
	signals   *signals          // load probes and idle announcements
	load      *loadFeed         // load information for a LoadAware balancer (loadinfo.go)
	obs       Observer          // Config.Observer, or nopObserver
	hedge     *model.HedgeDelay // nil = no hedging (hedge.go)
	budget    *model.Budget     // nil = no retry budget
	// countInflight: backends count their attempts in flight (for drains
	// and for load information from the proxy's own counts); otherwise the
	// hot path skips the atomic add.
	countInflight bool
	// readClient: the client header is read (TrustFulcrumHeaders, or a
	// header of the operator's own).
	readClient bool

	hedgesSent, hedgesWon atomic.Int64 // since New (HedgeCounts)

	strategyErr atomic.Pointer[strategyError] // the strategy's first failure, if any

	mu        sync.Mutex // guards the fields below
	srv       *http.Server
	ln        net.Listener
	serveDone chan struct{} // closed when Serve has returned
	admin     *AdminServer  // nil: no admin listener (admin.go)
	shutdown  bool
}

// New validates cfg (the algorithm and its params through the algorithms
// package) and returns a Proxy that does not listen yet: see Start, or use
// Handler.
func New(cfg Config) (*Proxy, error) {
	cfg, bs, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	bal, err := algorithms.New(cfg.Algorithm, cfg.Params, cfg.Source)
	if err != nil {
		return nil, fmt.Errorf("proxy: algorithm: %w", err)
	}
	return newProxy(cfg, bs, bal), nil
}

// newProxy builds a Proxy over a validated configuration and a balancer
// (tests pass a fake).
func newProxy(cfg Config, bs []backend, bal algorithms.Balancer) *Proxy {
	p := &Proxy{cfg: cfg, bal: bal, obs: cfg.Observer}
	if p.obs == nil {
		p.obs = nopObserver{}
	}
	list := make([]*backend, len(bs))
	for i := range bs {
		list[i] = &bs[i]
		list[i].obs = p.obs.Backend(i, bs[i].Name)
		if cfg.Discovery == nil {
			list[i].obs.Member(true) // the set, for good; a source's joins say it (health.setMembers)
		}
	}
	p.backends.Store(&list)
	hosts := len(bs)
	if cfg.Discovery != nil {
		hosts = 0 // the set may grow: no bound on all hosts' idle connections, only per host
	}
	p.transport = newBackendTransport(cfg, hosts)
	p.health = newHealth(p)
	if cfg.Discovery != nil {
		p.subscribe()
	}
	p.signals = newSignals(p)
	p.load = newLoadFeed(p)
	p.countInflight = p.members != nil || p.load.ownCounts
	p.readClient = cfg.TrustFulcrumHeaders || cfg.ClientHeader != DefaultClientHeader
	p.newResilience()
	errorLog := cfg.ErrorLog
	if errorLog == nil {
		errorLog = log.Default()
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    &roundTripper{p: p},
		ErrorHandler: p.errorHandler,
		ErrorLog:     errorLog,
		BufferPool:   newBufferPool(),
	}
	p.handler = p.rp
	if cfg.SessionCookie != "" {
		p.handler = sessionHandler{p}
	}
	p.handler = idleHandler{s: p.signals, next: p.handler}
	if cfg.OnRequest != nil {
		p.handler = requestLog{p: p, next: p.handler}
	}
	return p
}

// newTransport returns the transport to the backends: keep-alive pools big
// enough for the load, HTTP/1.1 only, no compression (the proxy passes
// bodies through as they are), no proxy from the environment.
func newTransport(cfg Config, backends int) *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     false,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{}, // no HTTP/2
		MaxIdleConns:          cfg.MaxIdleConnsPerHost * backends,
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       backendIdle,
		TLSHandshakeTimeout:   dialTimeout,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// backend is backend id (a balancer's pick).
func (p *Proxy) backend(id int) *backend { return (*p.backends.Load())[id] }

// backendList is every backend known now, by ID.
func (p *Proxy) backendList() []*backend { return *p.backends.Load() }

// now is the balancer's clock: monotonic time since the epoch.
func (p *Proxy) now() time.Duration { return time.Since(p.cfg.Epoch) }

// Handler returns the proxy's handler, for serving it on a server of one's
// own. Active health checks and load probes run only between Start and
// Shutdown, and the framing check and the client timeouts (framing.go)
// only on Start's server: they need its listener.
func (p *Proxy) Handler() http.Handler { return p.handler }

// Start listens on the configured address, serves on it in a goroutine and
// starts the active health checks; with an AdminHandler it also opens the
// admin listener (an *AdminListenError if it cannot). It fails if an
// address is taken, or if the proxy was started or shut down before.
func (p *Proxy) Start() error { return p.startOn(nil) }

// startOn is Start, serving on ln (tests: an in-process listener), or on
// the configured address if ln is nil.
//
// The server's listener follows every request's framing on the raw bytes
// (framing.go) and its handler refuses what the framing check refused;
// Go's own answer to OPTIONS * is off, as it would bypass that handler.
func (p *Proxy) startOn(ln net.Listener) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil || p.shutdown {
		return errors.New("proxy: Start called twice, or after Shutdown")
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", p.cfg.Listen); err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
	}
	if h := p.cfg.AdminHandler; h != nil && p.cfg.Admin != AdminOff {
		admin, err := ServeAdmin(p.cfg.Admin, h, p.rp.ErrorLog)
		if err != nil {
			ln.Close()
			return err
		}
		p.admin = admin
	}
	p.ln = ln
	p.srv = &http.Server{
		Handler:                      framingHandler{next: p.handler},
		ReadHeaderTimeout:            p.cfg.ReadHeaderTimeout,
		IdleTimeout:                  idleTimeout,
		MaxHeaderBytes:               maxHeaderBytes,
		DisableGeneralOptionsHandler: true,
		ConnContext:                  connContext,
		ConnState:                    connState,
		ErrorLog:                     p.rp.ErrorLog,
	}
	p.serveDone = make(chan struct{})
	fl := framingListener{Listener: ln, limit: maxHeadFollowed, idle: p.cfg.ClientTimeout}
	go func(srv *http.Server, done chan<- struct{}) {
		defer close(done)
		if err := srv.Serve(fl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.ErrorLog.Printf("proxy: serve: %v", err)
		}
	}(p.srv, p.serveDone)
	p.health.start()
	p.signals.start()
	p.load.start()
	return nil
}

// AdminAddr returns the address the admin listener listens on
// (host:port), or "" before Start or without one.
func (p *Proxy) AdminAddr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.admin == nil {
		return ""
	}
	return p.admin.Addr()
}

// Addr returns the address the proxy listens on (host:port), or "" before
// Start.
func (p *Proxy) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

// URL returns "http://" + Addr(), or "" before Start. An address listening
// on every interface (":8080") is given as loopback, where a client on this
// host can reach it.
func (p *Proxy) URL() string {
	addr := p.Addr()
	if addr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			if ip.To4() != nil {
				host = "127.0.0.1"
			} else {
				host = "::1"
			}
		}
		addr = net.JoinHostPort(host, port)
	}
	return "http://" + addr
}

// Shutdown stops the proxy gracefully: it stops accepting connections,
// waits for the requests in flight to finish (until ctx ends: then it closes
// their connections and returns ctx's error), then stops the health checks
// and the load probes and closes the idle connections to the backends. No goroutine of the
// proxy's outlives it. Later calls do nothing.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if p.shutdown {
		p.mu.Unlock()
		return nil
	}
	p.shutdown = true
	srv, done, admin := p.srv, p.serveDone, p.admin
	p.mu.Unlock()
	var err error
	if srv != nil {
		if err = srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-done
	}
	if admin != nil {
		// After the traffic: a scrape during the drain still sees it.
		admin.Close()
	}
	if p.members != nil {
		p.members.stop()
	}
	p.health.stop()
	p.signals.stop()
	p.load.stop()
	p.transport.CloseIdleConnections()
	if c, ok := p.bal.(io.Closer); ok {
		// A strategy that holds resources (an external one's process).
		if cerr := c.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("proxy: closing the balancer: %w", cerr)
		}
	}
	return err
}

// strategyError is a Pick that failed for a reason other than
// algorithms.ErrNoBackend: the strategy itself is broken (an external
// strategy's process died, answered garbage or too late).
type strategyError struct{ err error }

func (e *strategyError) Error() string { return "proxy: balancing strategy failed: " + e.err.Error() }
func (e *strategyError) Unwrap() error { return e.err }

// strategyFailed records the strategy's first failure and logs it once;
// each such request is answered 500 (X-Fulcrum-Error: strategy-failed).
func (p *Proxy) strategyFailed(err error) error {
	se := &strategyError{err: err}
	if p.strategyErr.CompareAndSwap(nil, se) {
		p.rp.ErrorLog.Printf("%v", se)
	}
	return se
}

// StrategyError is the balancing strategy's first failure (see
// strategyError), or nil: a run that measured a failing strategy measured
// nothing of its balancing.
func (p *Proxy) StrategyError() error {
	if se := p.strategyErr.Load(); se != nil {
		return se
	}
	return nil
}
