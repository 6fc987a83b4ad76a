package proxy

// The proxy against hostile clients and broken backends: each test asks for
// what HAProxy, nginx or Go's own server would answer, and counts what
// reached the backends. Clients that must send malformed bytes speak raw TCP
// (net.Dial, then http.ReadResponse). Nothing here asserts on elapsed time:
// deadlines are a safety net against hangs only.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hangDeadline bounds every raw exchange: far beyond what any of them takes.
const hangDeadline = 30 * time.Second

// dialRaw opens a raw connection to the proxy, closed at cleanup.
func dialRaw(t testing.TB, p *Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(hangDeadline))
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// rawResult is a response read off a raw connection.
type rawResult struct {
	status int
	header http.Header
	close  bool // Connection: close (which ReadResponse takes out of header)
	body   string
	err    error // reading the response or its body
}

func readRaw(br *bufio.Reader, method string) rawResult {
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return rawResult{err: err}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return rawResult{status: resp.StatusCode, header: resp.Header, close: resp.Close, body: string(body), err: err}
}

// closed reports whether the proxy closed the connection: the next read
// ends (EOF, or a reset) rather than running into the safety deadline.
func closed(br *bufio.Reader) error {
	_, err := br.ReadByte()
	var ne net.Error
	switch {
	case err == nil:
		return errors.New("more bytes after the last response")
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("still open after %v", hangDeadline)
	}
	return nil
}

// A request with both Content-Length and Transfer-Encoding is refused 400
// and its connection closed, as nginx (>= 1.21.1) does: Go's server would
// drop the Content-Length and serve it, and a proxy in front framing it by
// its Content-Length would read the next request elsewhere. What Go's server
// already refuses (two Content-Lengths, two Transfer-Encodings, an unknown
// coding) gets Go's answer. Nothing refused reaches the backend.
func TestSmuggling(t *testing.T) {
	checkLeaks(t)
	const cutOff = " (cut off)" // a request whose body the backend could not read whole
	post := "POST /p HTTP/1.1\r\nHost: x\r\n"
	for _, c := range []struct {
		name   string
		in     string
		status []int    // the responses, in order
		seen   []string // what the backend got; nil = nothing
		closes bool
	}{
		{"Content-Length and Transfer-Encoding", post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
			[]int{400}, nil, true},
		{"Transfer-Encoding and Content-Length", post + "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + smuggled,
			[]int{400}, nil, true},
		{"both, in any case", post + "content-length: 4\r\nTRANSFER-ENCODING: Chunked\r\n\r\n0\r\n\r\n" + smuggled,
			[]int{400}, nil, true},
		{"both, after a good request", getA + post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
			[]int{200, 400}, []string{"GET /a "}, true},
		{"Transfer-Encoding in HTTP/1.0", "POST /p HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			[]int{400}, nil, true},
		{"obsolete line folding", post + "X-A: a\r\n b\r\nContent-Length: 1\r\n\r\nz" + smuggled,
			[]int{400}, nil, true},
		{"Content-Lengths that differ (Go's 400)", post + "Content-Length: 1\r\nContent-Length: 33\r\n\r\nz" + smuggled,
			[]int{400}, nil, true},
		{"two Transfer-Encodings (Go's 501)", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			[]int{501}, nil, true},
		{"an unknown coding (Go's 501)", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
			[]int{501}, nil, true},
		{"a space before the colon (Go's 400)", post + "Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + smuggled,
			[]int{400}, nil, true},
		// The body streams to the backend as it arrives, as with HAProxy (nginx
		// buffers it first): the backend may see its request, failing (cutOff
		// below); what follows the bad chunk is never read as a request.
		{"a malformed chunk (502)", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX" + smuggled,
			[]int{502}, []string{cutOff}, true},
		{"pipelined, well framed", getA + "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + postTE + "\r\n" + getB,
			[]int{200, 200, 200, 200}, []string{"GET /a ", "POST /p hello", "POST /c hello0123456789", "GET /b?q=1 "}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string  // method, target and body of each request the backend got
			t.Cleanup(func() { // after the backend's: its requests are over
				if len(c.seen) == 1 && c.seen[0] == cutOff {
					if len(seen) > 1 || len(seen) == 1 && !strings.HasSuffix(seen[0], cutOff) {
						t.Errorf("backend got %q, want nothing or a request cut off", seen)
					}
					return
				}
				if strings.Join(seen, "|") != strings.Join(c.seen, "|") {
					t.Errorf("backend got %q, want %q", seen, c.seen)
				}
			})
			be := newTestBackend(t, "be")
			be.setHandler(func(w http.ResponseWriter, r *http.Request) {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					body = append(body, cutOff...)
				}
				mu.Lock()
				seen = append(seen, r.Method+" "+r.RequestURI+" "+string(body))
				mu.Unlock()
			})
			p := startProxy(t, Config{Backends: backendsOf(be)})
			conn, br := dialRaw(t, p)
			if _, err := io.WriteString(conn, c.in); err != nil {
				t.Fatal(err)
			}
			for i, want := range c.status {
				r := readRaw(br, http.MethodPost)
				if r.err != nil || r.status != want {
					t.Fatalf("response %d: %d %q (%v), want %d", i, r.status, r.body, r.err, want)
				}
				if want == 400 && i == len(c.status)-1 && !r.close {
					t.Errorf("400 without Connection: close: %v", r.header)
				}
			}
			if c.closes {
				if err := closed(br); err != nil {
					t.Errorf("connection: %v", err)
				}
			}
		})
	}
}

// A head beyond MaxHeaderBytes gets Go's 431 and never reaches the backend.
func TestOversizedHeaders(t *testing.T) {
	checkLeaks(t)
	be := newTestBackend(t, "be")
	p := startProxy(t, Config{Backends: backendsOf(be)})
	conn, br := dialRaw(t, p)
	go io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("b", 2*maxHeaderBytes)+"\r\n\r\n")
	if r := readRaw(br, http.MethodGet); r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a %d KiB header: %d %q (%v), want 431", 2*maxHeaderBytes>>10, r.status, r.body, r.err)
	}
	if err := closed(br); err != nil {
		t.Errorf("connection: %v", err)
	}
	if n := be.hits.Load(); n != 0 {
		t.Fatalf("backend hit %d times", n)
	}
}

// trickle writes s a byte at a time, gap apart, until it is written, the
// connection fails or stop is closed.
func trickle(c net.Conn, s string, gap time.Duration, stop <-chan struct{}) {
	for i := range len(s) {
		select {
		case <-stop:
			return
		case <-time.After(gap):
		}
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
	}
}

// A client sending its head a byte at a time (slowloris) is cut off at the
// read-header timeout, without an answer (Go's server; HAProxy would send
// 408); a client that stalls in its body is cut off at the client timeout;
// nothing of the slow head reaches the backend.
func TestSlowClients(t *testing.T) {
	checkLeaks(t)
	be := newTestBackend(t, "be")
	bodyErr := make(chan error, 1)
	be.setHandler(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		bodyErr <- err
	})
	p := startProxy(t, Config{Backends: backendsOf(be), ReadHeaderTimeout: 300 * time.Millisecond, ClientTimeout: 300 * time.Millisecond})

	t.Run("slowloris", func(t *testing.T) {
		conn, br := dialRaw(t, p)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			trickle(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "+strings.Repeat("s", 10000), 10*time.Millisecond, stop)
		}()
		// Go's server closes the connection, having answered 400 if the
		// deadline fell in a header line's name (the partial line has no
		// colon), nothing otherwise.
		r := readRaw(br, http.MethodGet)
		err := closed(br)
		close(stop)
		<-done
		if r.err == nil && r.status != http.StatusBadRequest {
			t.Fatalf("slow head: %d %q", r.status, r.body)
		}
		if err != nil {
			t.Fatalf("slow head: %v", err)
		}
		if n := be.hits.Load(); n != 0 {
			t.Fatalf("backend hit %d times by a head never finished", n)
		}
	})

	t.Run("stalled body", func(t *testing.T) {
		conn, br := dialRaw(t, p)
		io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b")
		// The proxy forwards as the body arrives; when the client stops
		// sending, the backend's read of it fails and the client is cut off.
		if err := <-bodyErr; err == nil {
			t.Fatalf("backend read a whole body of which the client sent 10 bytes")
		}
		for {
			if r := readRaw(br, http.MethodPost); r.err != nil {
				break // the 502 answer may come first, or not at all
			}
		}
	})

	t.Run("slow but moving body", func(t *testing.T) {
		// Inactivity, not the whole transfer, is bounded: a body that takes
		// longer than the client timeout in all is not cut.
		slow := startProxy(t, Config{Backends: backendsOf(be), ClientTimeout: time.Second})
		conn, br := dialRaw(t, slow)
		const body = "sixteen bytes..."
		io.WriteString(conn, fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body)))
		trickle(conn, body, 100*time.Millisecond, nil)
		if err := <-bodyErr; err != nil {
			t.Fatalf("backend reading a slow body: %v", err)
		}
		if r := readRaw(br, http.MethodPost); r.err != nil || r.status != http.StatusOK {
			t.Fatalf("slow body: %d (%v)", r.status, r.err)
		}
	})
}

// patternReader yields n bytes of a xorshift stream, generated as they are
// read, and their CRC-32.
type patternReader struct {
	left int64
	x    uint64
	crc  uint32
}

func newPattern(n int64) *patternReader { return &patternReader{left: n, x: 0x9e3779b97f4a7c15} }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.left)]
	for i := range p {
		if i%8 == 0 {
			r.x ^= r.x << 13
			r.x ^= r.x >> 7
			r.x ^= r.x << 17
		}
		p[i] = byte(r.x >> (8 * (i % 8)))
	}
	r.left -= int64(len(p))
	r.crc = crc32.Update(r.crc, crc32.IEEETable, p)
	return len(p), nil
}

// count reads r to its end, returning its length and CRC-32.
func count(r io.Reader) (int64, uint32, error) {
	h := crc32.NewIEEE()
	n, err := io.CopyBuffer(h, r, make([]byte, 64<<10))
	return n, h.Sum32(), err
}

// heapPeak samples the heap in use until stop is closed, then sends its
// peak.
func heapPeak(stop <-chan struct{}, peak chan<- uint64) {
	var max uint64
	var ms runtime.MemStats
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		runtime.ReadMemStats(&ms)
		max = maxOf(max, ms.HeapInuse)
		select {
		case <-stop:
			peak <- max
			return
		case <-tick.C:
		}
	}
}

func maxOf(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// heapBound is the most heap the process may hold while bigTransfer bytes
// go through the proxy: the copy buffers of a few connections, far below
// the transfer.
const heapBound = 64 << 20

// A large upload and a large download stream through the proxy: the bytes
// arrive whole (count and CRC-32 at the far end), and the heap stays flat.
// bigTransfer is 1 GiB, 128 MiB under the race detector (race_test.go).
func TestLargeTransfers(t *testing.T) {
	checkLeaks(t)
	be := newTestBackend(t, "be")
	be.setHandler(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			n, crc, err := count(r.Body)
			fmt.Fprintf(w, "%d %08x %v", n, crc, err)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(bigTransfer))
		io.CopyBuffer(w, newPattern(bigTransfer), make([]byte, 64<<10))
	})
	p := startProxy(t, Config{Backends: backendsOf(be)})
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a hang's safety net only
	defer cancel()

	measure := func(t *testing.T, transfer func() error) {
		runtime.GC()
		stop, peak := make(chan struct{}), make(chan uint64)
		go heapPeak(stop, peak)
		err := transfer()
		close(stop)
		max := <-peak
		t.Logf("%d MiB: heap in use peaked at %.1f MiB", bigTransfer>>20, float64(max)/(1<<20))
		if err != nil {
			t.Fatal(err)
		}
		if max > heapBound {
			t.Fatalf("heap in use peaked at %.1f MiB moving %d MiB, want < %d MiB: the proxy buffers", float64(max)/(1<<20), bigTransfer>>20, heapBound>>20)
		}
	}
	t.Run("upload", func(t *testing.T) {
		measure(t, func() error {
			src := newPattern(bigTransfer)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.URL()+"/up", src)
			req.ContentLength = bigTransfer
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if want := fmt.Sprintf("%d %08x <nil>", int64(bigTransfer), src.crc); resp.StatusCode != 200 || string(got) != want {
				return fmt.Errorf("backend counted %d %q, sent %q", resp.StatusCode, got, want)
			}
			return nil
		})
	})
	t.Run("download", func(t *testing.T) {
		measure(t, func() error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"/down", nil)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			n, crc, err := count(resp.Body)
			want := newPattern(bigTransfer)
			io.Copy(io.Discard, want)
			if err != nil || n != bigTransfer || crc != want.crc {
				return fmt.Errorf("received %d bytes, CRC %08x (%v); sent %d, %08x", n, crc, err, int64(bigTransfer), want.crc)
			}
			return nil
		})
	})
}

// X-Forwarded-For and Forwarded from the client are dropped unless trusted;
// the hop-by-hop headers (RFC 9110 §7.6.1, and httputil's list:
// Proxy-Connection, Keep-Alive, Proxy-Authenticate, Proxy-Authorization, TE,
// Trailer, Transfer-Encoding, Upgrade) and those the Connection header names
// are stripped in both directions; TE: trailers and response trailers pass.
func TestHopByHopBothWays(t *testing.T) {
	checkLeaks(t)
	be := newTestBackend(t, "be")
	var mu sync.Mutex
	var got http.Header
	var gotBody string
	be.setHandler(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, gotBody = r.Header.Clone(), string(body)
		mu.Unlock()
		h := w.Header()
		h.Set("Connection", "X-Backend-Private, keep-alive")
		h.Set("X-Backend-Private", "1")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Proxy-Connection", "keep-alive")
		h.Set("Proxy-Authenticate", `Basic realm="backend"`)
		h.Set("Upgrade", "h2c") // without switching protocols
		h.Set("Te", "trailers")
		h.Set("X-End-To-End", "1")
		h.Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		h.Set("X-Sum", "42")
	})
	for _, trust := range []bool{false, true} {
		t.Run(fmt.Sprintf("trust=%v", trust), func(t *testing.T) {
			p := startProxy(t, Config{Backends: backendsOf(be), TrustForwarded: trust})
			conn, br := dialRaw(t, p)
			io.WriteString(conn, "POST /h HTTP/1.1\r\nHost: x\r\n"+
				"Connection: X-Client-Private, x-other-private\r\nX-Client-Private: 1\r\nX-Other-Private: 1\r\n"+
				"Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nProxy-Authorization: Basic c2VjcmV0\r\n"+
				"Upgrade: websocket\r\nTe: trailers, deflate\r\nTrailer: X-Client-Sum\r\n"+
				"X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 7.7.7.7\r\nForwarded: for=6.6.6.6\r\n"+
				"X-End-To-End: 1\r\nTransfer-Encoding: chunked\r\n\r\n"+
				"4\r\ndata\r\n0\r\nX-Client-Sum: 7\r\n\r\n")
			resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodPost})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "body" {
				t.Fatalf("response %d %q", resp.StatusCode, body)
			}
			for _, h := range []string{"Connection", "X-Backend-Private", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Upgrade", "Te"} {
				if v, ok := resp.Header[h]; ok {
					t.Errorf("client received hop-by-hop %s: %q", h, v)
				}
			}
			if resp.Header.Get("X-End-To-End") != "1" || resp.Trailer.Get("X-Sum") != "42" {
				t.Errorf("client lost an end-to-end header or the trailer: %v, trailer %v", resp.Header, resp.Trailer)
			}

			mu.Lock()
			defer mu.Unlock()
			for _, h := range []string{"X-Client-Private", "X-Other-Private", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Upgrade", "Forwarded"} {
				if v, ok := got[h]; ok {
					t.Errorf("backend received hop-by-hop %s: %q", h, v)
				}
			}
			if c := got.Values("Connection"); len(c) > 0 {
				t.Errorf("backend received Connection: %q", c)
			}
			if te := strings.Join(got.Values("Te"), ","); te != "trailers" {
				t.Errorf("backend received TE %q, want trailers only", te)
			}
			wantXFF := "127.0.0.1"
			if trust {
				wantXFF = "6.6.6.6, 7.7.7.7, 127.0.0.1"
			}
			if xff := strings.Join(got.Values("X-Forwarded-For"), "|"); xff != wantXFF {
				t.Errorf("backend received X-Forwarded-For %q, want %q", xff, wantXFF)
			}
			// Go's ReverseProxy does not pass on a request's trailers (it
			// copies them before the body has been read).
			if got.Get("X-End-To-End") != "1" || gotBody != "data" {
				t.Errorf("backend lost an end-to-end header or the body: %v, %q", got, gotBody)
			}
		})
	}
}

// An Upgrade request is proxied: after 101 the bytes go both ways through
// the tunnel (bytes that would be refused as a request too: nothing is
// followed once the connection is hijacked), a tunnel idle for longer than
// the client timeout stays open, and the balancer gets one Finished, when
// the tunnel closes.
func TestUpgradeTunnel(t *testing.T) {
	checkLeaks(t)
	echo := newTestBackend(t, "echo")
	echo.setHandler(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" || r.Header.Get("Connection") != "Upgrade" {
			http.Error(w, "upgrade to echo, please", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		brw.Flush()
		io.Copy(conn, brw.Reader)
	})
	bal := newCountingBalancer()
	const idle = 100 * time.Millisecond
	p := startWithBalancer(t, Config{Backends: backendsOf(echo), ClientTimeout: idle}, bal)
	conn, br := dialRaw(t, p)
	io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "echo" {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	roundTrip := func(msg string) {
		t.Helper()
		if _, err := io.WriteString(conn, msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(br, got); err != nil || string(got) != msg {
			t.Fatalf("echo of %q: %q (%v)", msg, got, err)
		}
	}
	roundTrip("hello\n")
	roundTrip("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
	time.Sleep(3 * idle) // longer than the client timeout: a tunnel has none
	roundTrip(strings.Repeat("after a pause ", 1000))
	bal.mu.Lock()
	finished := bal.finished[0]
	bal.mu.Unlock()
	if finished != 0 {
		t.Fatalf("Finished %d times while the tunnel is open", finished)
	}
	conn.Close()
	eventually(t, "the tunnel's pick is finished", bal.balanced)
	bal.mu.Lock()
	defer bal.mu.Unlock()
	if bal.picks[0] != 1 || bal.started[0] != 1 || bal.finished[0] != 1 || len(bal.errs) > 0 {
		t.Fatalf("picks %v, started %v, finished %v, errors %v: want one each", bal.picks, bal.started, bal.finished, bal.errs)
	}
}

// Request targets are passed to the backend byte for byte as the client
// sent them (as HAProxy, and nginx's proxy_pass without a URI, do), never
// resolved or re-escaped into another path; Go's server refuses the ones
// with control bytes or bad escapes (400) before anything is forwarded.
func TestPathsPassedExactly(t *testing.T) {
	checkLeaks(t)
	be := newTestBackend(t, "be")
	uris := make(chan string, 1)
	be.setHandler(func(w http.ResponseWriter, r *http.Request) { uris <- r.RequestURI })
	p := startProxy(t, Config{Backends: backendsOf(be)})
	for _, c := range []struct {
		target string
		status int    // 200: passed
		want   string // what the backend sees; "" = target
	}{
		{"/a/../b", 200, ""},
		{"/../../etc/passwd", 200, ""},
		{"/a/%2e%2e/b", 200, ""},
		{"/a/./b//c/", 200, ""},
		{"/a%2Fb", 200, ""},
		{"/a%2fb/%2F", 200, ""},
		{"/%00", 200, ""},
		{"/a%00b?x=%00", 200, ""},
		{"/a%5Cb", 200, ""},
		{`/a\b`, 200, ""},
		{"/caf\xc3\xa9", 200, ""},
		{"/a;b=c,d", 200, ""},
		{"/q?x=..%2F..&y=%2e", 200, ""},
		{"//host/x", 200, ""},
		{`//host/a\b`, 200, "//host/a%5Cb"}, // "//" cannot go out raw (it would read as a host): Go escapes it
		{"/q?a=1;b=2", 200, "/q"},           // Go's ReverseProxy drops a query it cannot parse (golang.org/issue/25192)
		{"/a\x00b", 400, ""},
		{"/a\x7fb", 400, ""},
		{"/a%zzb", 400, ""},
		{"/a%", 400, ""},
		{"a/b", 400, ""},
	} {
		t.Run(fmt.Sprintf("%q", c.target), func(t *testing.T) {
			hits := be.hits.Load()
			conn, br := dialRaw(t, p)
			io.WriteString(conn, "GET "+c.target+" HTTP/1.1\r\nHost: x\r\n\r\n")
			r := readRaw(br, http.MethodGet)
			if r.err != nil || r.status != c.status {
				t.Fatalf("%d %q (%v), want %d", r.status, r.body, r.err, c.status)
			}
			if c.status != 200 {
				if n := be.hits.Load() - hits; n != 0 {
					t.Fatalf("refused, yet the backend was hit %d times", n)
				}
				return
			}
			want := c.want
			if want == "" {
				want = c.target
			}
			if got := <-uris; got != want {
				t.Fatalf("backend saw %q, want %q", got, want)
			}
		})
	}
}

// rawBackend is a backend that speaks raw TCP: serve gets every accepted
// connection; all are closed at cleanup.
func rawBackend(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// readHead reads a request's head off c, or fails.
func readHead(c net.Conn) (*bufio.Reader, error) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err == nil {
		_, err = io.Copy(io.Discard, req.Body)
	}
	return br, err
}

// A backend that breaks off mid-response (a reset, or a close before the
// promised length) gives the client an error or a short body, never a hang
// and never a complete-looking response; one that accepts and never answers
// gives 504 at the attempt timeout, or at the response-header timeout if
// that is the only bound.
func TestBrokenBackends(t *testing.T) {
	checkLeaks(t)
	for _, c := range []struct {
		name    string
		head    string
		partial string
		reset   bool
	}{
		{"Content-Length, reset", "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", strings.Repeat("x", 10000), true},
		{"Content-Length, closed", "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", strings.Repeat("x", 10000), false},
		{"chunked, reset", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "2710\r\n" + strings.Repeat("x", 10000) + "\r\n", true},
		{"chunked, closed", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "2710\r\n" + strings.Repeat("x", 10000) + "\r\n", false},
		{"headers, reset", "HTTP/1.1 200 OK\r\nContent-Le", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := rawBackend(t, func(conn net.Conn) {
				if _, err := readHead(conn); err != nil {
					return
				}
				io.WriteString(conn, c.head+c.partial)
				if c.reset {
					conn.(*net.TCPConn).SetLinger(0)
				}
				conn.Close()
			})
			bal := newCountingBalancer()
			p := startWithBalancer(t, Config{Backends: []Backend{{Name: "broken", URL: url}}}, bal)
			conn, br := dialRaw(t, p)
			io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			r := readRaw(br, http.MethodGet)
			switch {
			case r.err == nil && r.status == 200:
				t.Fatalf("a complete-looking response of %d bytes, the backend having broken off", len(r.body))
			case r.err == nil && r.status != http.StatusBadGateway:
				t.Fatalf("status %d, want an error, a short body or 502", r.status)
			case r.err != nil && len(r.body) >= 1000000:
				t.Fatalf("the whole body, then %v", r.err)
			}
			eventually(t, "the attempt is finished", bal.balanced)
		})
	}

	silent := rawBackend(t, func(conn net.Conn) { io.Copy(io.Discard, conn) })
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"attempt timeout", Config{Timeout: 200 * time.Millisecond}},
		{"response-header timeout", Config{ResponseHeaderTimeout: 200 * time.Millisecond}},
	} {
		t.Run("silent, "+c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Backends = []Backend{{Name: "silent", URL: silent}}
			p := startProxy(t, cfg)
			r := get(t, newClient(t), p.URL())
			if r.status != http.StatusGatewayTimeout || r.header.Get("X-Fulcrum-Error") != "timeout" {
				t.Fatalf("%d %q %v, want 504", r.status, r.body, r.header)
			}
		})
	}
}

// resetAfterBody reads a request's body, then resets the connection: the
// backend has acted on it.
func resetAfterBody(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

// Only idempotent requests (RFC 9110 §9.2.2), or ones with an idempotency
// key, are retried after a failure or a 5xx answer, unless
// RetryNonIdempotent; any request is retried when its dial failed, body and
// all, as HAProxy (retry-on conn-failure) and Envoy (connect-failure) do. A
// request body is not kept for a replay otherwise.
func TestRetryRules(t *testing.T) {
	checkLeaks(t)
	unavailable := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Error(w, "try later", http.StatusServiceUnavailable)
	}
	for _, c := range []struct {
		name     string
		method   string
		body     string
		header   string // "Name: value", or ""
		handler  http.HandlerFunc
		refused  bool // the first backend picked refuses connections
		anyRetry bool // RetryNonIdempotent
		status   int
		hits     int64 // of the backend that answered
	}{
		{"POST, 503", "POST", "payload", "", unavailable, false, false, 503, 1},
		{"POST without a body, 503", "POST", "", "", unavailable, false, false, 503, 1},
		{"PATCH, 503", "PATCH", "", "", unavailable, false, false, 503, 1},
		{"POST, reset after the body", "POST", "payload", "", resetAfterBody, false, false, 502, 1},
		{"GET, 503", "GET", "", "", unavailable, false, false, 503, 3},
		{"GET, reset", "GET", "", "", resetAfterBody, false, false, 502, 3},
		{"HEAD, 503", "HEAD", "", "", unavailable, false, false, 503, 3},
		{"PUT without a body, 503", "PUT", "", "", unavailable, false, false, 503, 3},
		{"DELETE, 503", "DELETE", "", "", unavailable, false, false, 503, 3},
		{"PUT with a body, 503 (not replayable)", "PUT", "payload", "", unavailable, false, false, 503, 1},
		{"POST with an Idempotency-Key, 503", "POST", "", "Idempotency-Key: 8e03978e", unavailable, false, false, 503, 3},
		{"POST with an X-Idempotency-Key, 503", "POST", "", "X-Idempotency-Key: 8e03978e", unavailable, false, false, 503, 3},
		{"POST, refused first", "POST", "payload", "", nil, true, false, 200, 1},
		{"POST without a body, refused first", "POST", "", "", nil, true, false, 200, 1},
		{"PATCH, refused first", "PATCH", "patch", "", nil, true, false, 200, 1},
		{"RetryNonIdempotent: POST without a body, 503", "POST", "", "", unavailable, false, true, 503, 3},
		{"RetryNonIdempotent: POST, reset", "POST", "", "", resetAfterBody, false, true, 502, 3},
		{"RetryNonIdempotent: POST with a body, 503 (not replayable)", "POST", "payload", "", unavailable, false, true, 503, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			be := newTestBackend(t, "be")
			var got atomic.Value // the body the backend received
			be.setHandler(func(w http.ResponseWriter, r *http.Request) {
				if c.handler != nil {
					c.handler(w, r)
					return
				}
				body, _ := io.ReadAll(r.Body)
				got.Store(string(body))
			})
			backends := backendsOf(be)
			if c.refused {
				refused := newTestBackend(t, "refused")
				refused.close()
				backends = backendsOf(refused, be) // round-robin picks refused first
			}
			bal := newCountingBalancer()
			p := startWithBalancer(t, Config{Backends: backends, Retries: 2, RetryNonIdempotent: c.anyRetry}, bal)
			conn, br := dialRaw(t, p)
			head := c.method + " /r HTTP/1.1\r\nHost: x\r\n"
			if c.header != "" {
				head += c.header + "\r\n"
			}
			// A body streams from the client: the server cannot replay it.
			io.WriteString(conn, fmt.Sprintf("%sContent-Length: %d\r\n\r\n%s", head, len(c.body), c.body))
			r := readRaw(br, c.method)
			if r.err != nil || r.status != c.status {
				t.Fatalf("%d %q (%v), want %d", r.status, r.body, r.err, c.status)
			}
			if n := be.hits.Load(); n != c.hits {
				t.Errorf("backend hit %d times, want %d", n, c.hits)
			}
			if c.refused {
				if b, _ := got.Load().(string); b != c.body {
					t.Errorf("backend received body %q after the refused attempt, want %q", b, c.body)
				}
				if n := bal.totalPicks(); n != 2 {
					t.Errorf("%d picks, want 2", n)
				}
			}
			eventually(t, "every pick finished", bal.balanced)
		})
	}
}

// The read-header and client timeouts default, and refuse negative values.
func TestTimeoutConfig(t *testing.T) {
	good := []Backend{{URL: "http://127.0.0.1:1"}}
	cfg, _, err := Config{Backends: good}.withDefaults()
	if err != nil || cfg.ReadHeaderTimeout != 10*time.Second || cfg.ClientTimeout != 30*time.Second || cfg.RetryNonIdempotent {
		t.Fatalf("defaults: read-header %v, client %v, retry non-idempotent %v (%v)", cfg.ReadHeaderTimeout, cfg.ClientTimeout, cfg.RetryNonIdempotent, err)
	}
	for _, c := range []Config{{Backends: good, ReadHeaderTimeout: -1}, {Backends: good, ClientTimeout: -time.Second}} {
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), "is negative") {
			t.Errorf("%+v: %v, want an error", c, err)
		}
	}
}

// The idle handler, OPTIONS * and the count of requests per connection
// agree: OPTIONS * is answered by the proxy (as Go's server would), and the
// request after it on the connection is judged as itself.
func TestOptionsStarKeepsCount(t *testing.T) {
	checkLeaks(t)
	be := newTestBackend(t, "be")
	p := startProxy(t, Config{Backends: backendsOf(be)})
	conn, br := dialRaw(t, p)
	io.WriteString(conn, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"+getA+
		"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
	for i, want := range []int{200, 200, 400} {
		if r := readRaw(br, http.MethodGet); r.err != nil || r.status != want {
			t.Fatalf("response %d: %d (%v), want %d", i, r.status, r.err, want)
		}
	}
	if n := be.hits.Load(); n != 1 {
		t.Fatalf("backend hit %d times, want 1 (GET /a)", n)
	}
}

// TestConnectRefused: CONNECT asks for a tunnel to anywhere; a reverse
// proxy answers 405 and forwards nothing, whatever the target's form.
func TestConnectRefused(t *testing.T) {
	checkLeaks(t)
	b := newTestBackend(t, "b")
	p := startProxy(t, Config{Backends: backendsOf(b)})
	for _, target := range []string{"example.com:443", "127.0.0.1:22", "/"} {
		c, br := dialRaw(t, p)
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: example.com:443\r\n\r\n", target)
		r := readRaw(br, http.MethodConnect)
		if r.err != nil || r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" || !r.close {
			t.Errorf("CONNECT %s: %d %v %q close=%v", target, r.status, r.err, r.body, r.close)
		}
		if err := closed(br); err != nil {
			t.Errorf("CONNECT %s: %v", target, err)
		}
	}
	if n := b.hits.Load(); n != 0 {
		t.Errorf("%d CONNECTs reached the backend", n)
	}
}
