package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// launch sends requests to /req/0 .. /req/(n-1) with quantiles us[k], each
// only once the server holds the one before, so they arrive in order; it
// returns once all are held, with a function that waits for the replies.
func launch(t *testing.T, s *Server, c *http.Client, us []float64) (wait func() []reply) {
	t.Helper()
	out := make([]reply, len(us))
	var wg sync.WaitGroup
	for k, u := range us {
		held := s.inflight()
		wg.Go(func() { out[k] = get(c, fmt.Sprintf("%s/req/%d", s.URL(), k), u) })
		waitInflight(t, s, held+1)
	}
	return func() []reply { wg.Wait(); return out }
}

// TestFIFO: with c workers busy, waiting requests start service in arrival
// order, the first c without waiting and the rest after a wait.
func TestFIFO(t *testing.T) {
	for _, c := range []int{1, 3} {
		t.Run(fmt.Sprintf("c=%d", c), func(t *testing.T) {
			checkLeaks(t)
			s := start(t, Config{Concurrency: c, Service: uniform1s(t)})
			var mu sync.Mutex
			var order []string
			s.setTrace(func(p string) { mu.Lock(); order = append(order, p); mu.Unlock() })
			// The first c hold their workers 200ms, long enough for the
			// others to queue; the rest take 2ms.
			us := make([]float64, 3*c+2)
			for k := range us {
				us[k] = 0.002
				if k < c {
					us[k] = 0.2
				}
			}
			replies := launch(t, s, newClient(t), us)()
			var want []string
			for k, r := range replies {
				want = append(want, fmt.Sprintf("/req/%d", k))
				if r.err != nil || r.status != http.StatusOK {
					t.Fatalf("request %d: %d %v", k, r.status, r.err)
				}
				if k < c && r.queue != 0 {
					t.Errorf("request %d found a free worker but waited %v", k, r.queue)
				}
				if k >= c && r.queue <= 0 {
					t.Errorf("request %d arrived with every worker busy but waited %v", k, r.queue)
				}
			}
			if !slices.Equal(order, want) {
				t.Errorf("service order %v, want arrival order %v", order, want)
			}
		})
	}
}

// TestQueueLimit: beyond QueueLimit waiting requests, 503 at once.
func TestQueueLimit(t *testing.T) {
	checkLeaks(t)
	s := start(t, Config{Concurrency: 1, QueueLimit: 2, Service: uniform1s(t)})
	c := newClient(t)
	wait := launch(t, s, c, []float64{0.3, 0.001, 0.001})
	r := get(c, s.URL()+"/req/3", 0.001)
	if s.inflight() != 3 {
		t.Errorf("the 503 came after the queue drained")
	}
	if r.err != nil || r.status != http.StatusServiceUnavailable || r.body != "queue full\n" || r.backend != "web-0" {
		t.Errorf("request beyond the queue limit: %d %q %q %v, want 503 \"queue full\"", r.status, r.body, r.backend, r.err)
	}
	for k, r := range wait() {
		if r.err != nil || r.status != http.StatusOK {
			t.Errorf("request %d: %d %v, want 200", k, r.status, r.err)
		}
	}
	st := s.Stats()
	if st.Requests != 4 || st.Served != 3 || st.Rejected503 != 1 || st.Errors500 != 0 {
		t.Errorf("stats %+v, want 4 requests, 3 served, 1 rejected", st)
	}
}

// TestQuantileHeader: the header's u sets the service time Quantile(u);
// without a usable header the server draws u from its own seeded stream.
func TestQuantileHeader(t *testing.T) {
	checkLeaks(t)
	exp := mustDist(t, dist.Spec{Dist: "exponential", Mean: 10 * time.Millisecond})
	const seed = 7
	for _, tc := range []struct {
		name string
		d    dist.Dist
		us   []float64
	}{
		{"constant", constant(t, 3*time.Millisecond), []float64{0, 0.5, 0.99}},
		{"exponential", exp, []float64{0.05, 0.5, 0.9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Config{Name: "web-3", Concurrency: 1, Service: tc.d, Seed: seed})
			c := newClient(t)
			for _, u := range tc.us {
				want := tc.d.Quantile(u)
				r := get(c, s.URL()+"/", u)
				if r.err != nil || r.status != http.StatusOK {
					t.Fatalf("u=%v: %d %v", u, r.status, r.err)
				}
				if r.service != roundUS(want) {
					t.Errorf("u=%v: service %v, want Quantile(u) = %v", u, r.service, want)
				}
				// Sanity bounds only: the wait aims at most maxLead early,
				// and a loaded machine may be late.
				if r.elapsed < want-maxLead || r.elapsed > want+time.Second {
					t.Errorf("u=%v: answered after %v for a service time of %v", u, r.elapsed, want)
				}
			}
			// Requests without a usable header draw from PCG(seed,
			// StreamID("backend/web-3")), in order.
			rng := rand.New(rand.NewPCG(seed, traffic.StreamID("backend/web-3")))
			for _, h := range []string{"", "abc", "1", "1.5", "-0.1", "NaN"} {
				req, _ := http.NewRequest(http.MethodPost, s.URL()+"/x", nil)
				if h != "" {
					req.Header.Set(HeaderQuantile, h)
				}
				r := send(c, req)
				if want := tc.d.Quantile(rng.Float64()); r.err != nil || r.service != roundUS(want) {
					t.Errorf("header %q: service %v (%v), want the drawn %v", h, r.service, r.err, want)
				}
			}
		})
	}
}

// TestHealthAndProbeNotQueued: /health and /probe answer while the only
// worker is busy and a request waits, and /health ignores an errors fault.
func TestHealthAndProbeNotQueued(t *testing.T) {
	checkLeaks(t)
	s := start(t, Config{Concurrency: 1, Service: uniform1s(t)})
	c := newClient(t)
	wait := launch(t, s, c, []float64{0.4, 0.001})
	s.SetErrorRate(1)
	h := get(c, s.URL()+PathHealth, -1)
	p := get(c, s.URL()+PathProbe, -1)
	if s.inflight() != 2 {
		t.Errorf("/health and /probe answered only after the queue drained")
	}
	if h.err != nil || h.status != http.StatusOK || h.body != "ok\n" {
		t.Errorf("/health: %d %q %v, want 200 ok", h.status, h.body, h.err)
	}
	var probe struct {
		Inflight  int     `json:"inflight"`
		LatencyUS float64 `json:"latency_us"`
	}
	if err := json.Unmarshal([]byte(p.body), &probe); err != nil || p.status != http.StatusOK || probe.Inflight != 2 {
		t.Errorf("/probe: %d %q %v, want inflight 2", p.status, p.body, err)
	}
	s.SetErrorRate(0)
	for _, r := range wait() {
		if r.status != http.StatusOK {
			t.Errorf("queued request: %d %v", r.status, r.err)
		}
	}
	p = get(c, s.URL()+PathProbe, -1)
	if err := json.Unmarshal([]byte(p.body), &probe); err != nil || probe.Inflight != 0 || probe.LatencyUS <= 0 {
		t.Errorf("/probe after the requests: %q %v, want inflight 0 and a latency", p.body, err)
	}
	if st := s.Stats(); st.Requests != 2 {
		t.Errorf("stats count %d requests, want 2 (health and probe are not requests)", st.Requests)
	}
}

// TestErrorsFault: p=1 answers every request 500 taking no worker; p=0 none.
func TestErrorsFault(t *testing.T) {
	checkLeaks(t)
	s := start(t, Config{Concurrency: 1, Service: constant(t, 0)})
	c := newClient(t)
	const n = 20
	s.SetErrorRate(1)
	for range n {
		if r := get(c, s.URL()+"/", 0.5); r.status != http.StatusInternalServerError || r.backend != "web-0" {
			t.Fatalf("errors p=1: %d %v, want 500", r.status, r.err)
		}
	}
	if st := s.Stats(); st.Requests != n || st.Errors500 != n || st.Served != 0 || st.Busy != 0 {
		t.Errorf("stats after errors: %+v", st)
	}
	s.SetErrorRate(0)
	for range n {
		if r := get(c, s.URL()+"/", 0.5); r.status != http.StatusOK {
			t.Fatalf("errors p=0: %d %v, want 200", r.status, r.err)
		}
	}
	if st := s.Stats(); st.Requests != 2*n || st.Errors500 != n || st.Served != n {
		t.Errorf("stats: %+v", st)
	}
}

// TestCrashRecover: a crash fails queued and in-service requests and
// refuses new ones; Recover serves again on the same address.
func TestCrashRecover(t *testing.T) {
	checkLeaks(t)
	s := start(t, Config{Concurrency: 1, Service: uniform1s(t)})
	addr := s.Addr()
	c := newClient(t)
	wait := launch(t, s, c, []float64{0.9, 0.9})
	t0 := time.Now()
	s.Crash()
	if !s.Crashed() {
		t.Errorf("Crashed() = false after Crash")
	}
	for k, r := range wait() {
		if r.err == nil {
			t.Errorf("request %d held at the crash: %d, want a broken connection", k, r.status)
		}
	}
	if el := time.Since(t0); el > 500*time.Millisecond {
		t.Errorf("held requests failed %v after the crash, want at once", el)
	}
	if r := get(c, s.URL()+"/", 0); r.err == nil {
		t.Errorf("request to a crashed server: %d, want a refused connection", r.status)
	}
	if r := get(c, s.URL()+PathHealth, -1); r.err == nil {
		t.Errorf("/health of a crashed server: %d, want a refused connection", r.status)
	}
	s.Crash() // no-op
	if err := s.Recover(); err != nil {
		t.Fatal(err)
	}
	if err := s.Recover(); err != nil { // no-op
		t.Fatal(err)
	}
	if s.Addr() != addr || s.Crashed() {
		t.Errorf("after Recover: %s crashed=%v, want %s", s.Addr(), s.Crashed(), addr)
	}
	if r := get(c, s.URL()+"/", 0.001); r.err != nil || r.status != http.StatusOK || r.queue != 0 {
		t.Errorf("after Recover: %d queue %v %v, want 200 from an empty queue", r.status, r.queue, r.err)
	}
	if st := s.Stats(); st.Dropped != 2 || st.Served != 1 || st.Requests != 3 {
		t.Errorf("stats %+v, want 3 requests, 2 dropped, 1 served", st)
	}
}

// TestSlowdown: the factor multiplies the service time of requests that
// start after it is set.
func TestSlowdown(t *testing.T) {
	checkLeaks(t)
	s := start(t, Config{Concurrency: 1, Service: constant(t, 2*time.Millisecond)})
	c := newClient(t)
	for _, tc := range []struct {
		f    float64
		want time.Duration
	}{{3, 6 * time.Millisecond}, {0.5, time.Millisecond}, {1, 2 * time.Millisecond}, {-1, 2 * time.Millisecond}} {
		s.SetSlowdown(tc.f)
		if r := get(c, s.URL()+"/", 0); r.status != http.StatusOK || r.service != tc.want {
			t.Errorf("slowdown %v: service %v (%d %v), want %v", tc.f, r.service, r.status, r.err, tc.want)
		}
	}
}

// TestStats: counts, busy time as the sum of service periods, and the
// window that ResetStats starts.
func TestStats(t *testing.T) {
	checkLeaks(t)
	s := start(t, Config{Concurrency: 2, Service: constant(t, 5*time.Millisecond)})
	c := newClient(t)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { get(c, s.URL()+"/", 0) })
	}
	wg.Wait()
	st := s.Stats()
	if st.Requests != 10 || st.Served != 10 || st.Busy != 50*time.Millisecond {
		t.Errorf("stats %+v, want 10 served and 50ms busy", st)
	}
	if st.Window <= 0 || float64(st.Busy)/float64(st.Window*2) > 1 {
		t.Errorf("window %v for busy %v on 2 workers", st.Window, st.Busy)
	}
	s.ResetStats()
	if st := s.Stats(); st.Requests != 0 || st.Served != 0 || st.Busy != 0 {
		t.Errorf("stats after ResetStats: %+v", st)
	}
	// A request in service at the reset counts only its part after it.
	s2 := start(t, Config{Name: "web-1", Concurrency: 1, Service: uniform1s(t)})
	done := make(chan reply, 1)
	go func() { done <- get(c, s2.URL()+"/", 0.2) }()
	waitInflight(t, s2, 1)
	time.Sleep(20 * time.Millisecond)
	s2.ResetStats()
	<-done
	if st := s2.Stats(); st.Busy <= 0 || st.Busy >= 200*time.Millisecond || st.Served != 1 {
		t.Errorf("busy %v across the reset of a 200ms service, want in (0, 200ms)", st.Busy)
	}
}

// TestCloseDropsAndLeaksNothing: Close with an expired context drops held
// requests and returns with every goroutine ended; a graceful Close lets
// them finish.
func TestCloseDropsAndLeaksNothing(t *testing.T) {
	checkLeaks(t)
	c := newClient(t)
	for _, graceful := range []bool{false, true} {
		s, err := Start("127.0.0.1:0", Config{Name: "web-0", Concurrency: 1, Service: uniform1s(t)})
		if err != nil {
			t.Fatal(err)
		}
		wait := launch(t, s, c, []float64{0.05, 0.05, 0.05})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if !graceful {
			cancel()
		}
		err = s.Close(ctx)
		cancel()
		replies := wait()
		ok := 0
		for _, r := range replies {
			if r.err == nil && r.status == http.StatusOK {
				ok++
			}
		}
		if graceful && (err != nil || ok != 3) {
			t.Errorf("graceful Close: %v, %d of 3 served", err, ok)
		}
		if !graceful && (!errors.Is(err, context.Canceled) || ok != 0 || s.Stats().Dropped != 3) {
			t.Errorf("forced Close: %v, %d served, %d dropped; want 0 served, 3 dropped", err, ok, s.Stats().Dropped)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := s.Recover(); !errors.Is(err, ErrClosed) {
			t.Errorf("Recover after Close: %v, want ErrClosed", err)
		}
	}
}

func TestStartErrors(t *testing.T) {
	d := constant(t, 0)
	for _, cfg := range []Config{{Concurrency: 0, Service: d}, {Concurrency: 1, QueueLimit: -1, Service: d}, {Concurrency: 1}} {
		if s, err := Start("127.0.0.1:0", cfg); err == nil {
			s.Close(context.Background())
			t.Errorf("Start(%+v) succeeded", cfg)
		}
	}
}

func TestFIFORing(t *testing.T) {
	var q fifo
	next, want := 0, 0
	for round := range 50 {
		for range round % 7 {
			q.push(&job{arrival: time.Duration(next)})
			next++
		}
		for range round % 5 {
			if q.len() == 0 {
				break
			}
			if j := q.pop(); j.arrival != time.Duration(want) {
				t.Fatalf("popped %v, want %d", j.arrival, want)
			}
			want++
		}
	}
	if q.len() != next-want {
		t.Fatalf("len %d, want %d", q.len(), next-want)
	}
}

// BenchmarkRequest: one request through a zero-service backend over a
// keep-alive loopback connection (client and server costs together).
func BenchmarkRequest(b *testing.B) {
	s := start(b, Config{Concurrency: 1, Service: constant(b, 0)})
	c := newClient(b)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/", nil)
	req.Header.Set(HeaderQuantile, "0.5")
	b.ReportAllocs()
	for b.Loop() {
		if r := send(c, req); r.status != http.StatusOK {
			b.Fatal(r.status, r.err)
		}
	}
}

// BenchmarkHandler: the server's own cost of one request with zero service
// time, without the network or a client.
func BenchmarkHandler(b *testing.B) {
	s := start(b, Config{Concurrency: 1, Service: constant(b, 0)})
	s.mu.Lock()
	lf := s.life
	s.mu.Unlock()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(HeaderQuantile, "0.5")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.handle(lf, w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
