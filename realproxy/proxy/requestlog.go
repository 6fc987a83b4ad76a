package proxy

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// RequestRecord is one client request as the proxy saw it (Config.OnRequest):
// what a trace of live traffic records (DESIGN.md §8).
type RequestRecord struct {
	Start   time.Duration // when it came in, since Epoch
	Client  string        // the client header's value, else the client's IP (X-Forwarded-For's first with TrustForwarded)
	Class   string        // the class header's value (wire.Class), if any
	Backend string        // the backend that answered (the last tried); "" if none was
	// Service is the backend's service time from its answer's
	// X-Fulcrum-Service header, when it sends one; -1 otherwise.
	Service time.Duration
	Latency time.Duration // from coming in to the answer's end
	Status  int           // the status the client got
	// NoBackend: the proxy answered 503 itself, nothing eligible.
	NoBackend bool
}

type requestInfoKey struct{}

// requestInfo is where the round trip leaves, for the request log, the
// backend that answered.
type requestInfo struct{ backend string }

// noteBackend records be as the request's backend, when the request is
// logged.
func noteBackend(ctx context.Context, be *backend) {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		info.backend = be.Name
	}
}

// requestLog wraps the proxy's handler to report each request to
// Config.OnRequest.
type requestLog struct {
	p    *Proxy
	next http.Handler
}

func (h requestLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.p.now()
	info := &requestInfo{}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		rec := RequestRecord{Start: start, Client: h.client(r), Class: r.Header.Get(wire.Class), Backend: info.backend,
			Service: -1, Latency: h.p.now() - start, Status: status,
			NoBackend: status == http.StatusServiceUnavailable && sw.Header().Get(wire.Error) == wire.ErrorNoBackend}
		if us, err := strconv.ParseInt(sw.Header().Get(wire.Service), 10, 64); err == nil && us >= 0 {
			rec.Service = time.Duration(us) * time.Microsecond
		}
		h.p.cfg.OnRequest(rec)
	}()
	h.next.ServeHTTP(sw, r)
}

// client names the request's client as the balancer keys it (clientKey):
// the client header, else the client's address.
func (h requestLog) client(r *http.Request) string {
	if v := r.Header.Get(h.p.cfg.ClientHeader); v != "" && h.p.readClient {
		return strings.TrimSpace(v)
	}
	host := r.RemoteAddr
	if h.p.cfg.TrustForwarded {
		if v := r.Header.Get("X-Forwarded-For"); v != "" {
			first, _, _ := strings.Cut(v, ",")
			host = strings.TrimSpace(first)
		}
	}
	if ip, _, err := net.SplitHostPort(host); err == nil {
		host = ip
	}
	return host
}

// statusWriter notes the status the client gets; Unwrap lets
// http.ResponseController (flushes, hijacks) reach the writer beneath.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
