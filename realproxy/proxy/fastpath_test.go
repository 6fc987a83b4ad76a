package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scriptedBackend answers every request on every connection with answer,
// then closes the connection if closeAfter; it counts connections and
// requests, and signals each close on closed.
type scriptedBackend struct {
	url    string
	conns  atomic.Int64
	reqs   atomic.Int64
	closed chan struct{}
}

func newScriptedBackend(t *testing.T, answer string, closeAfter bool) *scriptedBackend {
	b := &scriptedBackend{closed: make(chan struct{}, 100)}
	b.url = rawBackend(t, func(c net.Conn) {
		b.conns.Add(1)
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			b.reqs.Add(1)
			if _, err := io.WriteString(c, answer); err != nil {
				return
			}
			if closeAfter {
				c.Close()
				b.closed <- struct{}{}
				return
			}
		}
	})
	return b
}

// The fast path keeps a backend connection alive across requests, and
// opens a new one when the last answer said close, when bytes followed an
// answer, or when the backend closed the idle connection (the request is
// sent again on a new one, within the same attempt: the balancer sees one
// pick per request).
func TestFastPathConnections(t *testing.T) {
	checkLeaks(t)
	const n = 5
	for _, c := range []struct {
		name       string
		method     string
		answer     string
		closeAfter bool
		wantBody   string
		wantConns  int64
	}{
		{"keep-alive", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, "ok", 1},
		{"chunked keep-alive", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false, "ok", 1},
		{"HEAD keep-alive", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", false, "", 1},
		{"answer says close", "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true, "ok", n},
		{"bytes after the answer", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXX", false, "ok", n},
		{"closed while idle", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true, "ok", n},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newScriptedBackend(t, c.answer, c.closeAfter)
			bal := newCountingBalancer()
			p := startWithBalancer(t, Config{Backends: []Backend{{Name: "b", URL: b.url}}}, bal)
			client := newClient(t)
			for i := range n {
				req, _ := http.NewRequest(c.method, p.URL()+"/x", nil)
				r := do(t, client, req)
				if r.status != http.StatusOK || r.body != c.wantBody {
					t.Fatalf("request %d: %d %q, want 200 %q", i, r.status, r.body, c.wantBody)
				}
				if c.closeAfter {
					<-b.closed // the backend has closed it before the next request
				}
			}
			eventually(t, "every attempt is finished", bal.balanced)
			if got := b.conns.Load(); got != c.wantConns {
				t.Errorf("%d backend connections for %d requests, want %d", got, n, c.wantConns)
			}
			if got := b.reqs.Load(); got != n {
				t.Errorf("the backend answered %d requests, want %d", got, n)
			}
			if got := bal.totalPicks(); got != n {
				t.Errorf("%d picks, want %d (a resend on a new connection is the same attempt)", got, n)
			}
		})
	}
}

// A 103 Early Hints reaches the client before the final answer, as
// http.Transport and ReverseProxy pass it on.
func TestFastPathInformational(t *testing.T) {
	checkLeaks(t)
	b := newScriptedBackend(t, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"+
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)
	p := startProxy(t, Config{Backends: []Backend{{Name: "b", URL: b.url}}})
	var codes []int
	var links []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		codes = append(codes, code)
		links = append(links, h.Get("Link"))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, p.URL(), nil)
	r := do(t, newClient(t), req)
	if r.status != http.StatusOK || r.body != "ok" || len(codes) != 1 || codes[0] != 103 || links[0] != "</a.css>; rel=preload" {
		t.Fatalf("%d %q after 1xx %v %q; want 200 \"ok\" after one 103 with its Link", r.status, r.body, codes, links)
	}
}

// An answer whose head passes http.Transport's 10 MiB limit is a 502, its
// connection closed.
func TestFastPathHeaderLimit(t *testing.T) {
	checkLeaks(t)
	b := newScriptedBackend(t, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("a", maxResponseHeaderBytes+1)+"\r\nContent-Length: 0\r\n\r\n", false)
	p := startProxy(t, Config{Backends: []Backend{{Name: "b", URL: b.url}}})
	r := get(t, newClient(t), p.URL())
	if r.status != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", r.status)
	}
}

// A client going away while the backend has not answered ends the
// attempt at once: the backend connection is closed and the attempt
// finished.
func TestFastPathClientGoesAway(t *testing.T) {
	checkLeaks(t)
	got, gone := make(chan struct{}, 1), make(chan struct{}, 1)
	url := rawBackend(t, func(c net.Conn) {
		if _, err := readHead(c); err != nil {
			return
		}
		got <- struct{}{}
		io.Copy(io.Discard, c) // until the proxy closes it
		gone <- struct{}{}
	})
	bal := newCountingBalancer()
	p := startWithBalancer(t, Config{Backends: []Backend{{Name: "b", URL: url}}}, bal)
	conn, _ := dialRaw(t, p)
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-got
	conn.Close()
	select {
	case <-gone:
	case <-time.After(hangDeadline):
		t.Fatalf("the backend connection still open %v after the client went away", hangDeadline)
	}
	eventually(t, "the attempt is finished", bal.balanced)
}

// fastEligible takes plain-HTTP requests without a body that may be
// replayed, and nothing else.
func TestFastEligible(t *testing.T) {
	for _, c := range []struct {
		name   string
		method string
		url    string
		body   string
		header string // "Name: value"
		want   bool
	}{
		{"GET", "GET", "http://b/x", "", "", true},
		{"HEAD", "HEAD", "http://b/x", "", "", true},
		{"OPTIONS", "OPTIONS", "http://b/x", "", "", true},
		{"POST", "POST", "http://b/x", "", "", false},
		{"POST with an idempotency key", "POST", "http://b/x", "", "Idempotency-Key: 1", true},
		{"DELETE", "DELETE", "http://b/x", "", "", false},
		{"GET with a body", "GET", "http://b/x", "abc", "", false},
		{"https", "GET", "https://b/x", "", "", false},
		{"upgrade", "GET", "http://b/x", "", "Upgrade: websocket", false},
		{"expect", "GET", "http://b/x", "", "Expect: 100-continue", false},
	} {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequest(c.method, c.url, body)
		if err != nil {
			t.Fatal(err)
		}
		if name, value, ok := strings.Cut(c.header, ": "); ok {
			req.Header.Set(name, value)
		}
		if got := fastEligible(req); got != c.want {
			t.Errorf("%s: fastEligible %v, want %v", c.name, got, c.want)
		}
	}
}

// The sweep closes the connections idle for backendIdle or longer, keeps
// the others and comes back for them; CloseIdleConnections closes the rest.
func TestSweepIdle(t *testing.T) {
	checkLeaks(t)
	tr := &backendTransport{slow: &http.Transport{}, maxIdle: 8, pools: map[string]*connPool{}}
	pool := &connPool{t: tr}
	tr.pools["b:80"] = pool
	now := time.Now()
	var far []net.Conn
	for _, idle := range []time.Duration{3 * backendIdle, backendIdle + time.Second, backendIdle / 2, 0} {
		near, f := net.Pipe()
		t.Cleanup(func() { f.Close() })
		far = append(far, f)
		pool.idle = append(pool.idle, &backendConn{pool: pool, conn: near, idleSince: now.Add(-idle)})
	}
	pool.sweep = time.AfterFunc(time.Hour, func() {})
	pool.sweepIdle()
	isClosed := func(c net.Conn) bool {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		return err == io.EOF
	}
	for i, want := range []bool{true, true, false, false} {
		if got := isClosed(far[i]); got != want {
			t.Errorf("connection %d closed %v after the sweep, want %v", i, got, want)
		}
	}
	if len(pool.idle) != 2 || pool.sweep == nil {
		t.Fatalf("%d idle after the sweep (want 2), sweep armed %v (want true)", len(pool.idle), pool.sweep != nil)
	}
	tr.CloseIdleConnections()
	if len(pool.idle) != 0 || pool.sweep != nil || !isClosed(far[2]) || !isClosed(far[3]) {
		t.Fatalf("after CloseIdleConnections: %d idle, sweep armed %v", len(pool.idle), pool.sweep != nil)
	}
}
