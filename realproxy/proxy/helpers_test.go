package proxy

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// Tests in this package do not run in parallel: checkLeaks sees every
// goroutine of the process.

// checkLeaks fails t if goroutines it did not have at the call are still
// running once t's cleanups have run (after a grace period: closed
// connections' goroutines take a moment to return). Call it first, so its
// cleanup runs last.
var checkLeaks = leakcheck.Check

// quiet is an error log for tests.
var quiet = log.New(io.Discard, "", 0)

// testBackend is an httptest server on loopback that names itself in
// X-Fulcrum-Backend, counts its requests and answers with handle (200
// "ok <name>" if nil). /health answers healthStatus (200 by default).
type testBackend struct {
	name         string
	srv          *httptest.Server
	addr         string
	hits         atomic.Int64
	healthHits   atomic.Int64
	healthStatus atomic.Int32
	handle       atomic.Pointer[http.HandlerFunc]
	mu           sync.Mutex
	lastMethod   string // of the last request to the backend (health checks included)
}

func newTestBackend(t testing.TB, name string) *testBackend {
	t.Helper()
	b := &testBackend{name: name}
	b.healthStatus.Store(http.StatusOK)
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	b.addr = b.srv.Listener.Addr().String()
	t.Cleanup(b.close)
	return b
}

func (b *testBackend) URL() string { return "http://" + b.addr }

func (b *testBackend) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.lastMethod = r.Method
	b.mu.Unlock()
	w.Header().Set("X-Fulcrum-Backend", b.name)
	if r.URL.Path == "/health" {
		b.healthHits.Add(1)
		w.WriteHeader(int(b.healthStatus.Load()))
		return
	}
	b.hits.Add(1)
	if h := b.handle.Load(); h != nil {
		(*h)(w, r)
		return
	}
	io.WriteString(w, "ok "+b.name)
}

func (b *testBackend) setHandler(h http.HandlerFunc) { b.handle.Store(&h) }

// crash closes the server: its address refuses connections.
func (b *testBackend) close() { b.srv.Close() }

// restart serves again on the same address.
func (b *testBackend) restart(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	// The port may take a moment to be free again; the deadline is a hang
	// guard for a busy machine, not a speed limit.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if ln, err = net.Listen("tcp", b.addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("restart %s on %s: %v", b.name, b.addr, err)
	}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	b.srv.Listener.Close()
	b.srv.Listener = ln
	b.srv.Start()
}

func backendsOf(bs ...*testBackend) []Backend {
	out := make([]Backend, len(bs))
	for i, b := range bs {
		out[i] = Backend{Name: b.name, URL: b.URL()}
	}
	return out
}

// startProxy starts a proxy on loopback and shuts it down at cleanup.
func startProxy(t testing.TB, cfg Config) *Proxy {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.ErrorLog == nil {
		cfg.ErrorLog = quiet
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, p)
}

// startWithBalancer starts a proxy picking with bal (a fake).
func startWithBalancer(t testing.TB, cfg Config, bal algorithms.Balancer) *Proxy {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	cfg.ErrorLog = quiet
	cfg, bs, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return start(t, newProxy(cfg, bs, bal))
}

func start(t testing.TB, p *Proxy) *Proxy {
	t.Helper()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return p
}

// newClient returns a client whose idle connections are closed at cleanup.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// result is what a test reads of a response.
type result struct {
	status  int
	body    string
	header  http.Header
	backend string
}

func do(t testing.TB, c *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return result{resp.StatusCode, string(body), resp.Header, resp.Header.Get("X-Fulcrum-Backend")}
}

func get(t testing.TB, c *http.Client, url string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

// eventually polls cond until it holds, or fails t after a while.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	// A hang guard, not a speed limit: a busy machine may take a while.
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// healthLog records OnHealth calls.
type healthLog struct {
	mu     sync.Mutex
	events []string
}

func (l *healthLog) record(at time.Duration, backend string, healthy bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	state := "down"
	if healthy {
		state = "up"
	}
	l.events = append(l.events, backend+" "+state)
}

func (l *healthLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.events, ", ")
}

func (l *healthLog) has(event string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e == event {
			return true
		}
	}
	return false
}

// countingBalancer is a fake that picks round-robin over the healthy
// backends and counts every call per ID, flagging a Started or Finished
// without a Pick before it.
type countingBalancer struct {
	mu                       sync.Mutex
	backends                 []algorithms.Backend
	next                     int
	picks, started, finished map[int]int
	open                     map[int]int // picked and not finished
	errs                     []string
}

func newCountingBalancer() *countingBalancer {
	return &countingBalancer{picks: map[int]int{}, started: map[int]int{}, finished: map[int]int{}, open: map[int]int{}}
}

func (b *countingBalancer) Update(now time.Duration, bs []algorithms.Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = append([]algorithms.Backend(nil), bs...)
}

func (b *countingBalancer) Pick(req algorithms.Request) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range b.backends {
		be := b.backends[b.next%len(b.backends)]
		b.next++
		if be.Healthy {
			b.picks[be.ID]++
			b.open[be.ID]++
			return be.ID, nil
		}
	}
	return -1, algorithms.ErrNoBackend
}

func (b *countingBalancer) Started(id int, now time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.started[id]++
	if b.started[id] > b.picks[id] {
		b.errs = append(b.errs, "Started without a Pick")
	}
}

func (b *countingBalancer) Finished(id int, now, latency time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finished[id]++
	if b.open[id]--; b.open[id] < 0 {
		b.errs = append(b.errs, "Finished without a Pick")
	}
	if latency < 0 {
		b.errs = append(b.errs, "negative latency")
	}
}

// balanced reports whether every Pick got its Started and Finished.
func (b *countingBalancer) balanced() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, n := range b.picks {
		if b.started[id] != n || b.finished[id] != n {
			return false
		}
	}
	return true
}

func (b *countingBalancer) totalPicks() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.picks {
		n += c
	}
	return n
}
