package proxy

// The transport to the backends. A request without a body that may be
// replayed (GET, HEAD, OPTIONS, TRACE, or one with an idempotency key: most
// of a proxy's traffic) goes over a keep-alive connection on the request's
// own goroutine: write the request, read the answer's head, hand the
// connection back to its pool when the answer's body has been read to its
// end. http.Transport does the same with two goroutines per connection (a
// reader and a writer) and passes every request and answer between them
// and the caller over channels; on one core that hand-off, its selects and
// its allocations cost about a tenth of the proxy's CPU per request
// (DECISIONS.md). Everything else (a body to send, an upgrade, Expect:
// 100-continue, https) goes to http.Transport as before.
//
// What http.Transport does for such a request, this does too: the same
// bytes on the wire (Request.Write), the same parsing of the answer
// (http.ReadResponse), 1xx answers passed to the request's ClientTrace
// (ReverseProxy forwards them) and skipped, ResponseHeaderTimeout, the
// request's context cancelling the attempt at any point, at most
// MaxIdleConnsPerHost idle connections per backend closed after
// backendIdle, no reuse of a connection whose answer said close or left
// bytes unread, and a request retried on a new connection when a reused
// one turns out to have been closed by the backend before any byte of an
// answer came back (Go's transport retries the same replayable requests).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"sync/atomic"
	"time"
)

// maxResponseHeaderBytes bounds an answer's head, as http.Transport's
// default (MaxResponseHeaderBytes 0 = 10 MiB).
const maxResponseHeaderBytes = 10 << 20

// backendTransport is the proxy's transport: the fast path for the requests
// it can take, http.Transport for the others.
type backendTransport struct {
	slow          *http.Transport
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	maxIdle       int           // idle connections kept per backend
	headerTimeout time.Duration // ResponseHeaderTimeout

	mu    sync.Mutex
	pools map[string]*connPool // by host:port
}

func newBackendTransport(cfg Config, backends int) *backendTransport {
	slow := newTransport(cfg, backends)
	return &backendTransport{
		slow:          slow,
		dial:          slow.DialContext,
		maxIdle:       cfg.MaxIdleConnsPerHost,
		headerTimeout: cfg.ResponseHeaderTimeout,
		pools:         map[string]*connPool{},
	}
}

// connPool is one backend's idle connections, the most recently used last.
type connPool struct {
	t     *backendTransport
	idle  []*backendConn
	sweep *time.Timer // closes those idle longer than backendIdle; nil when none is armed
}

// backendConn is a keep-alive connection of the fast path. One request at a
// time uses it, from its Get to its body's end.
type backendConn struct {
	pool      *connPool
	conn      net.Conn
	lr        headerLimit
	br        *bufio.Reader
	bw        *bufio.Writer
	reused    bool      // it has served a request before this one
	idleSince time.Time // when it went back to its pool
	// cancelled: the request's context ended and its deadline was set in
	// the past to interrupt it; clearing a deadline must not undo that.
	cancelled atomic.Bool
}

// headerLimit is the connection's reader: it counts what an answer's head
// takes, and fails past maxResponseHeaderBytes while left is in force.
type headerLimit struct {
	c    net.Conn
	left int64 // bytes an answer's head may still take; MaxInt64 while reading a body
	read int64 // bytes read since the request was written
}

func (l *headerLimit) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("net/http: server response headers exceeded %d bytes; aborted", maxResponseHeaderBytes)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.c.Read(p)
	l.left -= int64(n)
	l.read += int64(n)
	return n, err
}

// fastEligible reports whether the fast path takes req: plain HTTP, no
// body, replayable as Go's transport defines it, no upgrade, no Expect, no
// trailers.
func fastEligible(req *http.Request) bool {
	if req.URL.Scheme != "http" || req.Body != nil && req.Body != http.NoBody || req.ContentLength > 0 || len(req.Trailer) > 0 {
		return false
	}
	if _, up := req.Header["Upgrade"]; up {
		return false
	}
	if _, exp := req.Header["Expect"]; exp {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, "":
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// RoundTrip sends req to its backend and returns the answer; see the file's
// comment.
func (t *backendTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !fastEligible(req) {
		return t.slow.RoundTrip(req)
	}
	addr := req.URL.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	ctx := req.Context()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pc, err := t.get(ctx, addr)
		if err != nil {
			return nil, err
		}
		resp, err := pc.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		// A connection that served before and failed before the first
		// byte of an answer was most likely closed by the backend while
		// idle: the request goes again on another one. A new one failing
		// is the backend's answer.
		if !pc.reused || pc.lr.read > 0 || ctx.Err() != nil || isTimeout(err, req) {
			return nil, err
		}
	}
}

// get returns an idle connection to addr, or a new one.
func (t *backendTransport) get(ctx context.Context, addr string) (*backendConn, error) {
	t.mu.Lock()
	pool := t.pools[addr]
	if pool == nil {
		pool = &connPool{t: t}
		t.pools[addr] = pool
	}
	if n := len(pool.idle); n > 0 {
		pc := pool.idle[n-1]
		pool.idle[n-1] = nil
		pool.idle = pool.idle[:n-1]
		t.mu.Unlock()
		pc.reused = true
		return pc, nil
	}
	t.mu.Unlock()
	conn, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &backendConn{pool: pool, conn: conn}
	pc.lr = headerLimit{c: conn, left: math.MaxInt64}
	pc.br = bufio.NewReaderSize(&pc.lr, 4<<10)
	pc.bw = bufio.NewWriterSize(conn, 4<<10)
	return pc, nil
}

// put hands pc back to its pool, or closes it if the pool is full.
func (t *backendTransport) put(pc *backendConn) {
	pc.idleSince = time.Now()
	pool := pc.pool
	t.mu.Lock()
	if len(pool.idle) >= t.maxIdle {
		t.mu.Unlock()
		pc.conn.Close()
		return
	}
	pool.idle = append(pool.idle, pc)
	if pool.sweep == nil {
		pool.sweep = time.AfterFunc(backendIdle, pool.sweepIdle)
	}
	t.mu.Unlock()
}

// sweepIdle closes the pool's connections idle for backendIdle or longer,
// and comes back when the next one will be.
func (pool *connPool) sweepIdle() {
	t := pool.t
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	n := 0
	for n < len(pool.idle) && now.Sub(pool.idle[n].idleSince) >= backendIdle {
		pool.idle[n].conn.Close()
		n++
	}
	rest := copy(pool.idle, pool.idle[n:])
	clear(pool.idle[rest:])
	pool.idle = pool.idle[:rest]
	if rest == 0 {
		pool.sweep = nil
		return
	}
	pool.sweep.Reset(backendIdle - now.Sub(pool.idle[0].idleSince))
}

// CloseIdleConnections closes every idle connection, the fast path's and
// http.Transport's.
func (t *backendTransport) CloseIdleConnections() {
	t.mu.Lock()
	for _, pool := range t.pools {
		for i, pc := range pool.idle {
			pc.conn.Close()
			pool.idle[i] = nil
		}
		pool.idle = pool.idle[:0]
		if pool.sweep != nil {
			pool.sweep.Stop()
			pool.sweep = nil
		}
	}
	t.mu.Unlock()
	t.slow.CloseIdleConnections()
}

// aLongTimeAgo is a deadline in the past: it interrupts a blocked read or
// write at once.
var aLongTimeAgo = time.Unix(1, 0)

// roundTrip makes one request on pc. On error pc is closed.
func (pc *backendConn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() {
			pc.cancelled.Store(true)
			pc.conn.SetDeadline(aLongTimeAgo)
		})
	}
	fail := func(err error) (*http.Response, error) {
		stop()
		pc.conn.Close()
		return nil, err
	}
	pc.lr.read = 0
	if err := req.Write(pc.bw); err != nil {
		return fail(err)
	}
	if err := pc.bw.Flush(); err != nil {
		return fail(err)
	}
	if pc.headerDeadline(time.Now().Add(pc.pool.t.headerTimeout)) != nil {
		return fail(errors.New("proxy: cannot set the backend connection's deadline"))
	}
	trace := httptrace.ContextClientTrace(ctx)
	var resp *http.Response
	for {
		pc.lr.left = maxResponseHeaderBytes
		var err error
		resp, err = http.ReadResponse(pc.br, req)
		if err != nil {
			return fail(err)
		}
		code := resp.StatusCode
		if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
			break
		}
		// An informational answer (103 Early Hints): ReverseProxy's trace
		// forwards it to the client; the final answer follows.
		if trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(code, textproto.MIMEHeader(resp.Header)); err != nil {
				return fail(err)
			}
		}
	}
	pc.lr.left = math.MaxInt64
	if pc.headerDeadline(time.Time{}) != nil {
		return fail(errors.New("proxy: cannot clear the backend connection's deadline"))
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// Not asked for (an upgrade goes to http.Transport): ReverseProxy
		// refuses it; the connection is the body, as http.Transport gives it.
		stop()
		resp.Body = &switchedBody{br: pc.br, conn: pc.conn}
		return resp, nil
	}
	resp.Body = &fastBody{pc: pc, rc: resp.Body, stop: stop,
		reusable: !resp.Close && !req.Close && !closeRequested(req.Header)}
	return resp, nil
}

// headerDeadline sets the read deadline, unless the request's context has
// ended: then the deadline in the past stays.
func (pc *backendConn) headerDeadline(t time.Time) error {
	if pc.cancelled.Load() {
		return nil
	}
	err := pc.conn.SetReadDeadline(t)
	if pc.cancelled.Load() {
		pc.conn.SetDeadline(aLongTimeAgo)
	}
	return err
}

// closeRequested reports whether a request header asks to close the
// connection after the answer.
func closeRequested(h http.Header) bool {
	for _, v := range h["Connection"] {
		if textproto.TrimString(v) == "close" {
			return true
		}
	}
	return false
}

// fastBody is an answer's body on the fast path: read to its end, its
// connection goes back to the pool; closed before, or broken, the
// connection is closed.
type fastBody struct {
	pc       *backendConn
	rc       io.ReadCloser
	stop     func() bool
	reusable bool
	done     atomic.Bool
}

func (b *fastBody) Read(p []byte) (int, error) {
	if b.done.Load() {
		return 0, errors.New("http: read on closed response body")
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.release(true)
	case err != nil:
		b.release(false)
	}
	return n, err
}

func (b *fastBody) Close() error {
	b.release(b.rc == http.NoBody)
	return nil
}

// release ends the request on the connection: back to the pool if the
// answer was read to its end, nothing else came after it and the request's
// context did not interrupt it; closed otherwise.
func (b *fastBody) release(atEnd bool) {
	if b.done.Swap(true) {
		return
	}
	pc := b.pc
	if b.stop() && atEnd && b.reusable && pc.br.Buffered() == 0 {
		pc.pool.t.put(pc)
		return
	}
	pc.conn.Close()
}

// switchedBody is a 101 answer's body: the connection itself, read through
// the buffer that holds what already came.
type switchedBody struct {
	br   *bufio.Reader
	conn net.Conn
}

func (b *switchedBody) Read(p []byte) (int, error)  { return b.br.Read(p) }
func (b *switchedBody) Write(p []byte) (int, error) { return b.conn.Write(p) }
func (b *switchedBody) Close() error                { return b.conn.Close() }
