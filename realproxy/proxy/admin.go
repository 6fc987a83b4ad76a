package proxy

// The admin listener: an operator's endpoints (Config.AdminHandler, e.g.
// Prometheus metrics) on an address of their own, never on the traffic
// port, where any client could read or reach them.

import (
	"errors"
	"log"
	"net"
	"net/http"
	"time"
)

// Limits of the admin server: its clients are scrapers and operators, one
// request at a time, each answered at once.
const (
	adminReadHeaderTimeout = 10 * time.Second
	adminWriteTimeout      = 30 * time.Second
	adminIdleTimeout       = 2 * time.Minute
)

// AdminListenError is Start's error when the admin listener cannot listen
// on its address (taken, or not this host's).
type AdminListenError struct {
	Addr string
	Err  error
}

func (e *AdminListenError) Error() string {
	return "proxy: admin listener on " + e.Addr + ": " + e.Err.Error()
}

func (e *AdminListenError) Unwrap() error { return e.Err }

// AdminServer is an admin listener and its server: a Proxy's (Config.Admin),
// or one of its own for endpoints that outlive a proxy (bench run --admin
// serves the metrics of the proxies it starts one after another).
type AdminServer struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// ServeAdmin listens on addr and serves h there in a goroutine, until
// Close. Its error is an *AdminListenError. errorLog nil = log's standard
// logger.
func ServeAdmin(addr string, h http.Handler, errorLog *log.Logger) (*AdminServer, error) {
	if errorLog == nil {
		errorLog = log.Default()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe.Err // the address is said once, by AdminListenError
		}
		return nil, &AdminListenError{Addr: addr, Err: err}
	}
	a := &AdminServer{
		ln: ln,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: adminReadHeaderTimeout,
			WriteTimeout:      adminWriteTimeout,
			IdleTimeout:       adminIdleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          errorLog,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(a.done)
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errorLog.Printf("proxy: admin: serve: %v", err)
		}
	}()
	return a, nil
}

// Addr is the address the admin server listens on (host:port).
func (a *AdminServer) Addr() string { return a.ln.Addr().String() }

// Close stops the admin server at once: a scrape in progress is cut, which
// a scraper retries at its next interval.
func (a *AdminServer) Close() {
	a.srv.Close()
	<-a.done
}

// SameAddress reports whether listening on a and on b (host:port each)
// would take the same port: the same port number, not 0, on hosts that
// overlap (the same, either one every interface, or both loopback). It is
// false for an address that is not host:port.
func SameAddress(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" || pa == "" {
		return false
	}
	every := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "" || ip != nil && ip.IsUnspecified()
	}
	loopback := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "localhost" || ip != nil && ip.IsLoopback()
	}
	return ha == hb || every(ha) || every(hb) || loopback(ha) && loopback(hb)
}
