package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// launch sends requests to /req/0 .. /req/(n-1) with quantiles us[k], each
// only once the server holds the one before, so they arrive in order; it
// returns once all are held, with a function that waits for the replies.
// Nothing may leave the server before the last is sent, however slow the
// machine: give the requests hour-long services (uniform1h) and end them
// with a crash or a forced Close. Tests of the model's timing run in a
// synctest bubble instead (bubbleServer, launchLocal).
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
// order, the first c without waiting and the rest after exactly the service
// times ahead of them, on the model's clock.
func TestFIFO(t *testing.T) {
	for _, c := range []int{1, 3} {
		t.Run(fmt.Sprintf("c=%d", c), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := uniform1s(t)
				s := bubbleServer(t, Config{Concurrency: c, Service: d})
				var mu sync.Mutex
				var order []string
				s.setTrace(func(p string) { mu.Lock(); order = append(order, p); mu.Unlock() })
				// The first c hold their workers 200ms; the rest, which
				// all arrive at once behind them, take 2ms each.
				long, short := d.Quantile(0.2), d.Quantile(0.002)
				us := make([]float64, 3*c+2)
				for k := range us {
					us[k] = 0.002
					if k < c {
						us[k] = 0.2
					}
				}
				replies := launchLocal(s, us)()
				var want []string
				for k, r := range replies {
					want = append(want, fmt.Sprintf("/req/%d", k))
					if r.err != nil || r.status != http.StatusOK {
						t.Fatalf("request %d: %d %v", k, r.status, r.err)
					}
					// Request k >= c waits for a long one, then for the
					// short ones ahead of it on its worker: (k-c)/c of them.
					wantQ, wantS := time.Duration(0), long
					if k >= c {
						wantQ, wantS = long+time.Duration((k-c)/c)*short, short
					}
					if r.queue != roundUS(wantQ) || r.service != roundUS(wantS) || r.elapsed != wantQ+wantS {
						t.Errorf("request %d: queue %v, service %v, answered after %v; want %v, %v, %v",
							k, r.queue, r.service, r.elapsed, roundUS(wantQ), roundUS(wantS), wantQ+wantS)
					}
				}
				if !slices.Equal(order, want) {
					t.Errorf("service order %v, want arrival order %v", order, want)
				}
			})
		})
	}
}

// TestQueueLimit: beyond QueueLimit waiting requests, 503 at once.
func TestQueueLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleServer(t, Config{Concurrency: 1, QueueLimit: 2, Service: uniform1s(t)})
		wait := launchLocal(s, []float64{0.3, 0.001, 0.001})
		r := s.call("/req/3", 0.001)
		if r.elapsed != 0 || s.inflight() != 3 {
			t.Errorf("the 503 came after %v, with %d held; want at once, with 3 held", r.elapsed, s.inflight())
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
	})
}

// TestQuantileHeader: the header's u sets the service time Quantile(u);
// without a usable header the server draws u from its own seeded stream.
// Over loopback, with the real timerfd waits.
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
				// The wait aims at most maxLead early and never wakes
				// before its aim (how late it wakes is the machine's
				// business; BenchmarkSleep measures it).
				if r.elapsed < want-maxLead {
					t.Errorf("u=%v: answered after %v, earlier than its service time %v less the lead cap %v", u, r.elapsed, want, maxLead)
				}
			}
			// Requests without a usable header draw from PCG(seed,
			// StreamID("backend/web-3")), in order.
			rng := rand.New(rand.NewPCG(seed, traffic.StreamID("backend/web-3")))
			for _, h := range []string{"", "abc", "1", "1.5", "-0.1", "NaN"} {
				req, _ := http.NewRequest(http.MethodPost, s.URL()+"/x", nil)
				if h != "" {
					req.Header.Set(wire.Quantile, h)
				}
				r := send(c, req)
				if want := tc.d.Quantile(rng.Float64()); r.err != nil || r.service != roundUS(want) {
					t.Errorf("header %q: service %v (%v), want the drawn %v", h, r.service, r.err, want)
				}
			}
		})
	}
}

// TestHealthAndProbeNotQueued: /health and /probe answer at once while the
// only worker is busy and a request waits, /health ignores an errors fault,
// and /probe reports what is held and the EWMA of queue+service times.
func TestHealthAndProbeNotQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := uniform1s(t)
		s := bubbleServer(t, Config{Concurrency: 1, Service: d})
		wait := launchLocal(s, []float64{0.4, 0.001})
		s.SetErrorRate(1)
		h := s.call(wire.Health, -1)
		p := s.call(wire.Probe, -1)
		if h.elapsed != 0 || p.elapsed != 0 || s.inflight() != 2 {
			t.Errorf("/health and /probe answered after %v and %v, with %d held; want at once, with 2", h.elapsed, p.elapsed, s.inflight())
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
		// Latencies 400ms, then 400ms + 1ms: the EWMA moves 0.2 of the way.
		// The average is kept in whole ns (model.ProbeEWMA), shown in µs.
		l1 := float64(d.Quantile(0.4))
		l2 := float64(d.Quantile(0.4) + d.Quantile(0.001))
		wantLat := math.Round(float64(time.Duration(0.8*l1+0.2*l2))/1e3*10) / 10
		p = s.call(wire.Probe, -1)
		if err := json.Unmarshal([]byte(p.body), &probe); err != nil || probe.Inflight != 0 || probe.LatencyUS != wantLat {
			t.Errorf("/probe after the requests: %q %v, want inflight 0 and latency %vµs", p.body, err, wantLat)
		}
		if st := s.Stats(); st.Requests != 2 {
			t.Errorf("stats count %d requests, want 2 (health and probe are not requests)", st.Requests)
		}
	})
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

// TestCrashDropsAtOnce: a crash fails the queued and the in-service request
// at once, on the model's clock, without waiting for their service.
func TestCrashDropsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleServer(t, Config{Concurrency: 1, Service: uniform1s(t)})
		wait := launchLocal(s, []float64{0.9, 0.9})
		t0 := time.Now()
		s.Crash()
		if !s.Crashed() {
			t.Errorf("Crashed() = false after Crash")
		}
		for k, r := range wait() {
			if !errors.Is(r.err, errAborted) {
				t.Errorf("request %d held at the crash: %d %v, want its connection reset", k, r.status, r.err)
			}
		}
		if el := time.Since(t0); el != 0 {
			t.Errorf("held requests failed %v after the crash, want at once", el)
		}
		if st := s.Stats(); st.Dropped != 2 || st.Served != 0 || st.Busy != 0 {
			t.Errorf("stats %+v, want 2 dropped, none served, no busy time", st)
		}
	})
}

// TestCrashRecover: over loopback, a crash fails queued and in-service
// requests and refuses new ones; Recover serves again on the same address.
func TestCrashRecover(t *testing.T) {
	checkLeaks(t)
	s := start(t, Config{Concurrency: 1, Service: uniform1h(t)})
	addr := s.Addr()
	c := newClient(t)
	// Half an hour each: only the crash can end them.
	wait := launch(t, s, c, []float64{0.5, 0.5})
	s.Crash()
	if !s.Crashed() {
		t.Errorf("Crashed() = false after Crash")
	}
	for k, r := range wait() {
		var ne net.Error
		switch {
		case r.err == nil:
			t.Errorf("request %d held at the crash: %d, want a broken connection", k, r.status)
		case errors.As(r.err, &ne) && ne.Timeout():
			t.Errorf("request %d held at the crash ended only by the client's %v timeout: %v", k, hangGuard, r.err)
		}
	}
	if r := get(c, s.URL()+"/", 0); r.err == nil {
		t.Errorf("request to a crashed server: %d, want a refused connection", r.status)
	}
	if r := get(c, s.URL()+wire.Health, -1); r.err == nil {
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
	if r := get(c, s.URL()+"/", 0); r.err != nil || r.status != http.StatusOK || r.queue != 0 {
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
// window that ResetStats starts, on the model's clock.
func TestStats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		s := bubbleServer(t, Config{Concurrency: 2, Service: constant(t, 5*ms)})
		// Ten at once on two workers: each serves five back to back.
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() { s.call("/", 0) })
		}
		wg.Wait()
		st := s.Stats()
		if st.Requests != 10 || st.Served != 10 || st.Busy != 50*ms || st.Window != 25*ms {
			t.Errorf("stats %+v, want 10 served, 50ms busy in a 25ms window", st)
		}
		s.ResetStats()
		if st := s.Stats(); st.Requests != 0 || st.Served != 0 || st.Busy != 0 || st.Window != 0 {
			t.Errorf("stats after ResetStats: %+v", st)
		}
		// A request in service at the reset counts only its part after it.
		d := uniform1s(t)
		s2 := bubbleServer(t, Config{Name: "web-1", Concurrency: 1, Service: d})
		done := make(chan reply, 1)
		go func() { done <- s2.call("/", 0.2) }()
		synctest.Wait()
		time.Sleep(20 * ms)
		s2.ResetStats()
		<-done
		if st, want := s2.Stats(), d.Quantile(0.2)-20*ms; st.Busy != want || st.Window != want || st.Served != 1 {
			t.Errorf("stats %+v across a reset 20ms into a 200ms service, want %v busy in a %v window and 1 served", st, want, want)
		}
	})
}

// TestCloseDropsAndLeaksNothing: Close with an expired context drops held
// requests and returns with every goroutine ended; a graceful Close lets
// them finish.
func TestCloseDropsAndLeaksNothing(t *testing.T) {
	checkLeaks(t)
	c := newClient(t)
	for _, graceful := range []bool{false, true} {
		s, err := Start("127.0.0.1:0", Config{Name: "web-0", Concurrency: 1, Service: uniform1h(t)})
		if err != nil {
			t.Fatal(err)
		}
		var wait func() []reply
		ctx, cancel := context.WithCancel(context.Background())
		if graceful {
			// 3.6ms each. Close must find them accepted, not necessarily
			// still held.
			var wg sync.WaitGroup
			replies := make([]reply, 3)
			for k := range replies {
				wg.Go(func() { replies[k] = get(c, s.URL()+"/", 1e-6) })
			}
			wait = func() []reply { wg.Wait(); return replies }
			waitFor(t, "3 requests to reach the server", func() bool { return s.Stats().Requests == 3 })
		} else {
			// Half an hour each: all three are held when Close drops them.
			wait = launch(t, s, c, []float64{0.5, 0.5, 0.5})
			cancel()
		}
		closed := make(chan error, 1)
		go func() { closed <- s.Close(ctx) }()
		select {
		case err = <-closed:
		case <-time.After(hangGuard):
			t.Fatalf("graceful=%v: Close has not returned after %v", graceful, hangGuard)
		}
		cancel()
		replies := wait()
		ok := 0
		for _, r := range replies {
			if r.err == nil && r.status == http.StatusOK {
				ok++
			}
		}
		if graceful && (err != nil || ok != 3 || s.Stats().Dropped != 0) {
			t.Errorf("graceful Close: %v, %d of 3 served, %d dropped", err, ok, s.Stats().Dropped)
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
	req.Header.Set(wire.Quantile, "0.5")
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
	req.Header.Set(wire.Quantile, "0.5")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.handle(lf, w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
