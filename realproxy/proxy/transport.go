package proxy

// The attempt loop: a RoundTripper under httputil.ReverseProxy that picks a
// backend, forwards, retries and reports to the balancer.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// drainLimit is how much of a failed attempt's body is read before closing
// it, so its connection can be reused.
const drainLimit = 64 << 10

// errNoBackend is RoundTrip's error when the balancer had nothing to pick.
var errNoBackend = errors.New("proxy: no healthy backend available")

// attemptError is RoundTrip's error when the last attempt failed without a
// response.
type attemptError struct {
	backend *backend
	timeout bool // the attempt timed out (504), else it failed (502)
	err     error
}

func (e *attemptError) Error() string {
	return "proxy: backend " + e.backend.Name + ": " + e.err.Error()
}

func (e *attemptError) Unwrap() error { return e.err }

// roundTripper is the ReverseProxy's Transport: every attempt of a request
// goes through it.
type roundTripper struct {
	p *Proxy
}

// RoundTrip makes the attempts of one request. For each: Pick (which counts
// the request in flight), Started, forward; a failed attempt gets its
// Finished at once and is retried while retries remain and the request may
// be retried (see Config.RetryNonIdempotent); the last attempt's response
// gets a body that reports Finished when it has been read to its end or
// closed (trackedBody). Whatever happens, every successful Pick gets one
// Started and one Finished.
func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	p := rt.p
	p.obs.Request()
	key := p.clientKey(req)
	// Retried after a failure or a 5xx answer: a request that can be
	// replayed (nothing to resend, or a way to resend it: GET and HEAD come
	// without a body, as ReverseProxy drops an empty one) and that the
	// backend may act on more than once (idempotent, or RetryNonIdempotent).
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	retryable := replayable && (p.cfg.RetryNonIdempotent || idempotent(req))
	tries := p.newTries()
	if p.hedge != nil && retryable && (req.Body == nil || req.Body == http.NoBody) {
		return p.roundTripHedged(req, key, tries)
	}
	// Retried whatever it is, body and all: an attempt whose dial failed,
	// which never reached the backend.
	var unsent *unsentBody
	if !replayable && p.cfg.Retries > 0 {
		unsent = &unsentBody{rc: req.Body}
	}
	parent := req.Context()
	for attempt := 0; ; attempt++ {
		start := p.now()
		id, err := p.bal.Pick(algorithms.Request{Now: start, Key: key})
		if err != nil {
			if !errors.Is(err, algorithms.ErrNoBackend) {
				return nil, withTries(p.strategyFailed(err), tries)
			}
			// Not retried, as in the simulator: nothing is eligible.
			return nil, withTries(errNoBackend, tries)
		}
		p.signals.picked(start)
		p.bal.Started(id, start)
		if attempt == 0 && p.budget != nil {
			p.budget.Deposit(start)
		}
		be := p.backend(id)
		be.obs.Picked()
		be.obs.Started()
		if p.countInflight {
			be.inflight.Add(1)
		}
		out, cancel, err := p.attemptRequest(req, be, attempt)
		blame := err == nil // a body that cannot be replayed is not the backend's fault
		if unsent != nil {
			out.Body = unsent
		}
		var resp *http.Response
		if err == nil {
			resp, err = p.transport.RoundTrip(out)
		}
		more := attempt < p.cfg.Retries && parent.Err() == nil
		if err != nil {
			timeout := parent.Err() == nil && isTimeout(err, out)
			cancel()
			// Neither the client going away nor the proxy's own want of
			// descriptors says anything of the backend's health.
			p.finished(id, start, errorOutcome(parent, timeout), blame && parent.Err() == nil && !localExhaustion(err))
			neverSent := isDialFailure(err) && (unsent == nil || !unsent.read.Load())
			if !more || !retryable && !neverSent || !p.allowRetry(tries) {
				return nil, withTries(&attemptError{backend: be, timeout: timeout, err: err}, tries)
			}
			continue
		}
		ok := resp.StatusCode < http.StatusInternalServerError
		if !ok && more && retryable && p.allowRetry(tries) {
			io.CopyN(io.Discard, resp.Body, drainLimit)
			resp.Body.Close()
			cancel()
			p.finished(id, start, statusOutcome(resp.StatusCode), true)
			continue
		}
		if p.cfg.ExposeBackend {
			resp.Header.Set(wire.Server, be.URL)
		}
		if tries != nil {
			resp.Header.Set(wire.Tries, tries.Format())
		}
		tb := &trackedBody{rc: resp.Body, p: p, id: id, start: start, status: resp.StatusCode, parent: parent, out: out, cancel: cancel}
		if rwc, isRW := resp.Body.(io.ReadWriteCloser); isRW && resp.StatusCode == http.StatusSwitchingProtocols {
			resp.Body = &trackedUpgrade{trackedBody: tb, w: rwc}
		} else {
			resp.Body = tb
		}
		return resp, nil
	}
}

// idempotent reports whether the backend may act on req more than once
// with the effect of once: its method is idempotent (RFC 9110 §9.2.2), or
// the client says so with an idempotency key, as Go's Transport takes it
// (draft-ietf-httpapi-idempotency-key-header).
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// isDialFailure reports whether err is the transport's failure to open a
// connection to the backend (refused, unreachable, the dial timed out): then
// nothing of the request was sent.
func isDialFailure(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// unsentBody is a request body that cannot be replayed, given to every
// attempt: until it is first read nothing of it has gone out, and the
// transport's Close (it closes the body when the dial fails) is held back
// so that the next attempt can send it. Once read it is the body itself.
type unsentBody struct {
	rc   io.ReadCloser
	read atomic.Bool
}

func (b *unsentBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.rc.Read(p)
}

func (b *unsentBody) Close() error {
	if !b.read.Load() {
		return nil // the server closes it after the handler returns
	}
	return b.rc.Close()
}

// attemptRequest returns the request of one attempt to be: req sent to be's
// URL (its path prefixed, as ReverseProxy's SetURL does), with the attempt's
// timeout, and the body afresh after the first attempt. cancel releases the
// attempt's context; call it once the attempt is over.
func (p *Proxy) attemptRequest(req *http.Request, be *backend, attempt int) (*http.Request, context.CancelFunc, error) {
	ctx, cancel := req.Context(), context.CancelFunc(func() {})
	if p.cfg.OnRequest != nil {
		noteBackend(ctx, be)
	}
	// The only attempt a request can have (no retries, no hedging, no
	// timeout of its own) is made on req itself, ReverseProxy's copy of the
	// client's request: nothing reads it again after this attempt, so
	// copying it (and its URL) would only make garbage.
	only := p.cfg.Retries == 0 && p.hedge == nil && p.cfg.Timeout == 0
	if p.cfg.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, p.cfg.Timeout)
	}
	out := req
	u := req.URL
	if !only {
		out = req.WithContext(ctx)
		uc := *req.URL
		u = &uc
	}
	target := be.url
	u.Scheme, u.Host = target.Scheme, target.Host
	if target.Path != "" || target.RawPath != "" {
		u.Path, u.RawPath = joinURLPath(target, req.URL)
	}
	if target.RawQuery != "" {
		if u.RawQuery == "" {
			u.RawQuery = target.RawQuery
		} else {
			u.RawQuery = target.RawQuery + "&" + u.RawQuery
		}
	}
	// The path goes out byte for byte as the client sent it, as HAProxy
	// and nginx's proxy_pass without a URI forward it: Go would re-escape
	// what it need not ("\" as %5C, raw UTF-8), which a backend may read
	// as another path. A path beginning "//" cannot go out this way
	// (URL.RequestURI would read it as a host): Go's escaping of it stands.
	if raw, ok := clientPath(req); ok {
		if target.Path != "" || target.RawPath != "" {
			raw = singleJoiningSlash(target.EscapedPath(), raw)
		}
		if !strings.HasPrefix(raw, "//") && raw != u.EscapedPath() {
			u.Opaque = raw
		}
	}
	out.URL = u
	out.Host = "" // the backend's host, as SetURL sets it
	if attempt > 0 && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return out, cancel, err
		}
		out.Body = body
	}
	return out, cancel, nil
}

// clientPath returns the path of req's target as the client sent it, if
// the target is a path (origin-form, RFC 9112 §3.2.1).
func clientPath(req *http.Request) (string, bool) {
	uri := req.RequestURI
	if !strings.HasPrefix(uri, "/") {
		return "", false
	}
	path, _, _ := strings.Cut(uri, "?")
	return path, true
}

// isTimeout reports whether the attempt out failed by timing out: its own
// deadline passed, or the transport gave up (dial, response headers).
func isTimeout(err error, out *http.Request) bool {
	if errors.Is(out.Context().Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errorOutcome is the outcome of an attempt that got no answer: the
// client went away (parent, its request's context, is done), it timed out,
// or it failed.
func errorOutcome(parent context.Context, timeout bool) Outcome {
	switch {
	case parent.Err() != nil:
		return OutcomeCancelled
	case timeout:
		return OutcomeTimeout
	}
	return OutcomeError
}

// finished reports the end of an attempt on backend id to the balancer, to
// passive ejection and to the observer. blame is false when the client
// went away: that says nothing of the backend's health. The balancer and
// passive ejection count only an OK outcome as a success.
func (p *Proxy) finished(id int, start time.Duration, o Outcome, blame bool) {
	p.finishedAs(id, start, o, o == OutcomeOK, blame)
}

// finishedAs is finished with the balancer's and passive ejection's
// verdict given apart from the outcome: an answer the client stopped
// reading keeps its status's.
func (p *Proxy) finishedAs(id int, start time.Duration, o Outcome, ok, blame bool) {
	now := p.now()
	p.bal.Finished(id, now, now-start, ok)
	be := p.backend(id)
	if p.countInflight {
		be.inflight.Add(-1)
	}
	be.obs.Done(o, now-start)
	if blame {
		p.health.attempt(id, ok)
	}
}

// trackedBody is the last attempt's response body: the first of end of
// body, read error or Close reports Finished, once.
type trackedBody struct {
	rc     io.ReadCloser
	p      *Proxy
	id     int
	start  time.Duration
	status int             // the answer's status: its verdict (statusOutcome)
	parent context.Context // the client's request
	out    *http.Request   // the attempt's request, whose context has its timeout
	cancel context.CancelFunc
	done   atomic.Bool
}

func (b *trackedBody) Read(buf []byte) (int, error) {
	n, err := b.rc.Read(buf)
	switch {
	case err == io.EOF:
		b.finish(statusOutcome(b.status))
	case err != nil:
		// The backend (or the attempt's timeout) broke it off, or the
		// client went away.
		o := errorOutcome(b.parent, isTimeout(err, b.out))
		if o == OutcomeError {
			o = OutcomeFailed // it answered, then broke off
		}
		b.finish(o)
	}
	return n, err
}

// Close reports Finished if the body was not read to its end: the client
// went away or the proxy stopped copying; the status's verdict stands (for
// the observer, the attempt was cancelled if the client had gone away).
func (b *trackedBody) Close() error {
	err := b.rc.Close()
	o := statusOutcome(b.status)
	ok := o == OutcomeOK
	if b.parent.Err() != nil {
		o = OutcomeCancelled
	}
	b.finishAs(o, ok)
	return err
}

func (b *trackedBody) finish(o Outcome) { b.finishAs(o, o == OutcomeOK) }

func (b *trackedBody) finishAs(o Outcome, ok bool) {
	if b.done.Swap(true) {
		return
	}
	b.p.finishedAs(b.id, b.start, o, ok, b.parent.Err() == nil)
	b.cancel()
}

// trackedUpgrade is trackedBody for a 101 Switching Protocols response,
// whose body ReverseProxy also writes to; Finished comes when the upgraded
// connection closes.
type trackedUpgrade struct {
	*trackedBody
	w io.Writer
}

func (b *trackedUpgrade) Write(p []byte) (int, error) { return b.w.Write(p) }

// rewrite is the ReverseProxy's Rewrite hook. The target is set per
// attempt by the roundTripper; here only the headers change. ReverseProxy
// has already removed the hop-by-hop headers and the client's Forwarded and
// X-Forwarded-* ones.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	if !p.cfg.TrustFulcrumHeaders {
		for h := range pr.Out.Header {
			if strings.HasPrefix(h, wire.Prefix) {
				delete(pr.Out.Header, h)
			}
		}
	}
	trust := p.cfg.TrustForwarded
	if v, ok := pr.In.Header["X-Forwarded-For"]; trust && ok {
		pr.Out.Header["X-Forwarded-For"] = slices.Clone(v) // SetXForwarded appends the client to it
	}
	pr.SetXForwarded()
	if id, ok := pr.In.Context().Value(sessionIDKey{}).(string); ok {
		pr.Out.AddCookie(&http.Cookie{Name: p.cfg.SessionCookie, Value: id}) // the backend sees the new session
	}
	if trust { // the first proxy saw the original host and scheme
		for _, h := range [...]string{"X-Forwarded-Host", "X-Forwarded-Proto"} {
			if v, ok := pr.In.Header[h]; ok {
				pr.Out.Header[h] = slices.Clone(v)
			}
		}
	}
}

// errorHandler answers when RoundTrip returned no response.
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client went away: nobody to answer. The status is for logs.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	h := w.Header()
	var ae *attemptError
	if errors.As(err, &ae) && p.cfg.ExposeBackend {
		h.Set(wire.Server, ae.backend.URL)
	}
	if te := (*triesError)(nil); errors.As(err, &te) {
		h.Set(wire.Tries, te.tries.Format())
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	var se *strategyError
	var status int
	var why, msg string
	switch {
	case errors.As(err, &se):
		status, why, msg = http.StatusInternalServerError, wire.ErrorStrategy, "the balancing strategy failed\n"
	case errors.Is(err, errNoBackend):
		status, why, msg = http.StatusServiceUnavailable, wire.ErrorNoBackend, "no healthy backend available\n"
	case ae != nil && ae.timeout:
		status, why, msg = http.StatusGatewayTimeout, wire.ErrorTimeout, "backend timed out\n"
	default:
		status, why, msg = http.StatusBadGateway, wire.ErrorBackendFailed, "backend failed\n"
	}
	h.Set(wire.Error, why)
	w.WriteHeader(status)
	io.WriteString(w, msg)
	p.obs.Answered(status)
}

// copyBufferSize is the size of ReverseProxy's copy buffers, as its own.
const copyBufferSize = 32 << 10

// bufferPool recycles ReverseProxy's copy buffers (otherwise allocated per
// request). It pools pointers to arrays, which a buffer converts back to
// without allocating (a pool of *[]byte needs a new pointer per Put).
type bufferPool struct{ pool sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any { return new([copyBufferSize]byte) }}}
}

func (bp *bufferPool) Get() []byte { return bp.pool.Get().(*[copyBufferSize]byte)[:] }

func (bp *bufferPool) Put(b []byte) {
	if cap(b) >= copyBufferSize {
		bp.pool.Put((*[copyBufferSize]byte)(b[:copyBufferSize]))
	}
}
