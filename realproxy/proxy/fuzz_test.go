package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// pipeListener gives the proxy's server in-process connections (net.Pipe),
// so that the fuzz harness opens no socket per input.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client's end of a new connection to the server.
func (l *pipeListener) dial() (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// panicLog is an error log that remembers the server's reports of panics.
type panicLog struct {
	mu     sync.Mutex
	panics []string
}

func (l *panicLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("panic")) {
		l.mu.Lock()
		l.panics = append(l.panics, string(p))
		l.mu.Unlock()
	}
	return len(p), nil
}

func (l *panicLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.panics
	l.panics = nil
	return p
}

// fuzzHang bounds one input's exchange: far beyond what one takes.
const fuzzHang = 5 * time.Second

// Fuzzed requests' framing (mode&3).
const (
	fuzzCL      = iota // Content-Length: len(body)
	fuzzChunked        // Transfer-Encoding: chunked, the body in chunks
	fuzzBoth           // both: to be refused
	fuzzBare           // neither: the body follows as the next request
)

// fuzzRequest writes the request the fuzzer's fields make: the request line,
// Host, the fuzzed header (before Host if mode&4), Expect: 100-continue if
// mode&8, the framing headers and the body; then a GET if mode&16.
func fuzzRequest(method, target, proto, name, value string, mode uint8, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\r\n", method, target, proto)
	header := name + ": " + value + "\r\n"
	if mode&4 != 0 {
		b.WriteString(header)
	}
	b.WriteString("Host: fuzz\r\n")
	if mode&4 == 0 {
		b.WriteString(header)
	}
	if mode&8 != 0 {
		b.WriteString("Expect: 100-continue\r\n")
	}
	switch mode & 3 {
	case fuzzCL:
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	case fuzzChunked, fuzzBoth:
		if mode&3 == fuzzBoth {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
		}
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		size := 1 + int(mode>>5)*7
		for p := body; len(p) > 0; {
			k := min(size, len(p))
			fmt.Fprintf(&b, "%x\r\n%s\r\n", k, p[:k])
			p = p[k:]
		}
		b.WriteString("0\r\n\r\n")
	case fuzzBare:
		fmt.Fprintf(&b, "\r\n%s", body)
	}
	if mode&16 != 0 {
		b.WriteString("GET /after HTTP/1.1\r\nHost: fuzz\r\n\r\n")
	}
	return b.Bytes()
}

// endReader reads b, noting whether a read asked for more than it holds.
type endReader struct {
	r   *bytes.Reader
	hit bool
}

func (e *endReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.hit = true
	}
	return n, err
}

// firstRequest reads in's first request as Go's parser does: complete is
// false if the parser needed bytes beyond in (the server would wait for
// them), ambiguous reports a well-formed head with both Content-Length and
// Transfer-Encoding.
func firstRequest(in []byte) (complete, ambiguous bool) {
	src := &endReader{r: bytes.NewReader(in)}
	req, err := http.ReadRequest(bufio.NewReader(src))
	if err == nil {
		_, err = io.Copy(io.Discard, req.Body)
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(in)))
		tp.ReadLine()
		if h, herr := tp.ReadMIMEHeader(); herr == nil {
			ambiguous = len(h["Content-Length"]) > 0 && len(h["Transfer-Encoding"]) > 0
		}
	}
	return err == nil || !src.hit, ambiguous
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	n int
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n += n
	return n, err
}

// FuzzProxyRequest writes fuzzed requests raw to an in-process proxy in
// front of an in-process backend (one of each for the whole run): the proxy
// must never panic, and must answer every complete request with a
// well-formed response (http.ReadResponse reads it and its body) or close
// the connection cleanly, before sending anything; a request with both
// Content-Length and Transfer-Encoding must be refused (400, or Go's own
// 4xx or 5xx) and the connection closed.
func FuzzProxyRequest(f *testing.F) {
	checkLeaks(f)
	be := newTestBackend(f, "be")
	be.setHandler(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})
	var logged panicLog
	p, err := New(Config{
		Backends:          backendsOf(be),
		ErrorLog:          log.New(&logged, "", 0),
		Timeout:           10 * time.Second,
		ReadHeaderTimeout: 5 * time.Second,
		ClientTimeout:     5 * time.Second,
	})
	if err != nil {
		f.Fatal(err)
	}
	ln := newPipeListener()
	if err := p.startOn(ln); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { shutdown(f, p) })

	for _, s := range []struct {
		method, target, proto, name, value string
		mode                               uint8
		body                               string
	}{
		{"GET", "/", "HTTP/1.1", "X-Fulcrum-Client", "7", fuzzBare, ""},
		{"POST", "/p", "HTTP/1.1", "Content-Type", "text/plain", fuzzCL, "hello"},
		{"POST", "/p", "HTTP/1.1", "X-Sum", "1", fuzzChunked | 8 | 16, "hello, chunked world"},
		{"POST", "/p", "HTTP/1.1", "X", "y", fuzzBoth, "0\r\n\r\n" + smuggled},
		{"POST", "/p", "HTTP/1.1", "Transfer-Encoding", "chunked", fuzzCL, "0\r\n\r\n" + smuggled},
		{"POST", "/p", "HTTP/1.1", "Content-Length", "4", fuzzChunked, "0\r\n\r\n"},
		{"POST", "/p", "HTTP/1.0", "Transfer-Encoding", "chunked", fuzzCL | 4, "0\r\n\r\n"},
		{"POST", "/p", "HTTP/1.1", "X-A", "a\r\n Transfer-Encoding: chunked", fuzzCL, "z"},
		{"POST", "/p", "HTTP/1.1", "Transfer-Encoding ", "chunked", fuzzCL, "0\r\n\r\n"},
		{"POST", "/p", "HTTP/1.1", "Content-Length", "1", fuzzCL, "zz"},
		{"GET", "/a/../b", "HTTP/1.1", "X", "y", fuzzBare, ""},
		{"GET", "/a%2Fb/%2e%2e/%00", "HTTP/1.1", "X", "y", fuzzBare, ""},
		{"GET", "/a\x00b", "HTTP/1.1", "X", "y", fuzzBare, ""},
		{"GET", `/a\b/caf` + "\xc3\xa9", "HTTP/1.1", "X", "y", fuzzBare, ""},
		{"GET", "http://evil.example/x", "HTTP/1.1", "X", "y", fuzzBare, ""},
		{"GET", "/ws", "HTTP/1.1", "Upgrade", "websocket\r\nConnection: Upgrade", fuzzBare, ""},
		{"OPTIONS", "*", "HTTP/1.1", "X", "y", fuzzBare | 16, ""},
		{"PRI", "*", "HTTP/2.0", "X", "y", fuzzBare, "SM\r\n\r\n"},
		{"CONNECT", "example.com:443", "HTTP/1.1", "X", "y", fuzzBare, ""},
		{"HEAD", "/", "HTTP/1.1", "Connection", "close", fuzzBare, ""},
		{"POST", wire.Idle + "?backend=be", "HTTP/1.1", "X", "y", fuzzCL, ""},
		{"DELETE", "/x", "HTTP/1.1", "Idempotency-Key", "k", fuzzChunked | 0xe0, strings.Repeat("chunk", 100)},
	} {
		f.Add(s.method, s.target, s.proto, s.name, s.value, s.mode, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target, proto, name, value string, mode uint8, body []byte) {
		in := fuzzRequest(method, target, proto, name, value, mode, body)
		complete, ambiguous := firstRequest(in)
		raw, err := ln.dial()
		if err != nil {
			t.Fatal(err)
		}
		c := &countingConn{Conn: raw}
		c.SetDeadline(time.Now().Add(fuzzHang)) // a hang's safety net only
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			c.Write(in) // fails once the server closes
		}()
		defer func() {
			c.Close()
			<-wrote
			if p := logged.take(); len(p) > 0 {
				t.Fatalf("the proxy panicked on %q:\n%s", in, strings.Join(p, "\n"))
			}
		}()
		if !complete {
			return // the server waits for the rest, until the connection closes
		}
		br := bufio.NewReader(c)
		for {
			resp, err := http.ReadResponse(br, &http.Request{Method: method})
			if err != nil {
				var ne net.Error
				switch {
				case errors.As(err, &ne) && ne.Timeout():
					t.Fatalf("no answer to %q within %v", in, fuzzHang)
				case c.n == 0 && errors.Is(err, io.EOF):
					return // closed before answering: Go's server does, for a request it cannot read
				}
				t.Fatalf("malformed answer to %q after %d bytes: %v", in, c.n, err)
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("answer %d to %q: reading its body: %v", resp.StatusCode, in, err)
			}
			if resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
				continue // 100 Continue, then the answer
			}
			// Refused, by the framing check (400) or by Go's server (a 505
			// for a version it does not serve), and the connection closed.
			if ambiguous && (resp.StatusCode < 400 || !resp.Close) {
				t.Fatalf("answer %d (close %v) to a request with Content-Length and Transfer-Encoding: %q", resp.StatusCode, resp.Close, in)
			}
			return
		}
	})
}

// shutdown stops p, failing t if it does not stop cleanly.
func shutdown(t testing.TB, p *Proxy) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
