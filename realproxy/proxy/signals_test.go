package proxy

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	be "github.com/fulcrum-lb/fulcrum/realproxy/backend"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// startEmulated starts n emulated backends with a constant service time.
func startEmulated(t *testing.T, n int, service time.Duration) []*be.Server {
	t.Helper()
	d, err := dist.New(dist.Spec{Dist: "constant", Value: service})
	if err != nil {
		t.Fatal(err)
	}
	var out []*be.Server
	for i := range n {
		s, err := be.Start("127.0.0.1:0", be.Config{Name: "web-" + string(rune('0'+i)), Concurrency: 1, Service: d, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Close(ctx)
		})
		out = append(out, s)
	}
	return out
}

func emulatedBackends(ss []*be.Server) []Backend {
	out := make([]Backend, len(ss))
	for i, s := range ss {
		out[i] = Backend{Name: s.Name(), URL: s.URL()}
	}
	return out
}

// probingBalancer is a countingBalancer that probes every backend after
// each pick and records the answers.
type probingBalancer struct {
	*countingBalancer
	pmu     sync.Mutex
	results map[int]int
	lastLat map[int]time.Duration
	bad     []string
}

func (b *probingBalancer) ProbeTargets(now time.Duration, dst []int) []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, be := range b.backends {
		dst = append(dst, be.ID)
	}
	return dst
}

func (b *probingBalancer) ProbeResult(id int, now time.Duration, inflight int, latency time.Duration) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	b.results[id]++
	b.lastLat[id] = latency
	if inflight < 0 || inflight > 100 || latency < 0 {
		b.bad = append(b.bad, "bad answer")
	}
}

func (b *probingBalancer) snapshot() (map[int]int, map[int]time.Duration, []string) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	r, l := map[int]int{}, map[int]time.Duration{}
	for k, v := range b.results {
		r[k] = v
	}
	for k, v := range b.lastLat {
		l[k] = v
	}
	return r, l, append([]string(nil), b.bad...)
}

func TestProbes(t *testing.T) {
	checkLeaks(t)
	ss := startEmulated(t, 3, 2*time.Millisecond)
	bal := &probingBalancer{countingBalancer: newCountingBalancer(), results: map[int]int{}, lastLat: map[int]time.Duration{}}
	p := startWithBalancer(t, Config{Backends: emulatedBackends(ss)}, bal)
	c := newClient(t)
	for range 9 {
		if r := get(t, c, p.URL()+"/x"); r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
	}
	eventually(t, "every backend has answered probes, with a latency", func() bool {
		r, l, _ := bal.snapshot()
		for id := range 3 {
			if r[id] == 0 || l[id] < time.Millisecond {
				return false
			}
		}
		return true
	})
	if _, _, bad := bal.snapshot(); len(bad) > 0 {
		t.Errorf("bad probe answers: %v", bad)
	}
	// A probe to a crashed backend delivers nothing. One already answered
	// when the crash came may still land: wait for every probe sent before
	// it to have landed or failed, then count.
	ss[0].Crash()
	eventually(t, "the probes sent before the crash have landed", func() bool {
		return p.signals.pending.Load() == 0
	})
	before, _, _ := bal.snapshot()
	for range 6 {
		get(t, c, p.URL()+"/x")
	}
	eventually(t, "live backends answer", func() bool {
		r, _, _ := bal.snapshot()
		return r[1] > before[1] && r[2] > before[2]
	})
	if r, _, _ := bal.snapshot(); r[0] != before[0] {
		t.Errorf("crashed backend answered %d probes", r[0]-before[0])
	}
}

func TestPrequalServes(t *testing.T) {
	checkLeaks(t)
	ss := startEmulated(t, 3, time.Millisecond)
	p := startProxy(t, Config{Backends: emulatedBackends(ss), Algorithm: "prequal"})
	c := newClient(t)
	for range 30 {
		if r := get(t, c, p.URL()+"/x"); r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
	}
}

// idleBalancer is a countingBalancer that records idle announcements.
type idleBalancer struct {
	*countingBalancer
	imu  sync.Mutex
	idle map[int]int
}

func (b *idleBalancer) Idle(id int, now time.Duration) {
	b.imu.Lock()
	defer b.imu.Unlock()
	b.idle[id]++
}

func (b *idleBalancer) count(id int) int {
	b.imu.Lock()
	defer b.imu.Unlock()
	return b.idle[id]
}

func TestIdleAnnounce(t *testing.T) {
	checkLeaks(t)
	ss := startEmulated(t, 2, 2*time.Millisecond)
	bal := &idleBalancer{countingBalancer: newCountingBalancer(), idle: map[int]int{}}
	p := startWithBalancer(t, Config{Backends: emulatedBackends(ss)}, bal)
	if !p.TracksIdle() {
		t.Fatal("TracksIdle is false for an IdleTracker")
	}
	for _, s := range ss {
		s.SetIdleAnnounce([]string{p.URL() + "/"}, p.ControlToken())
	}
	eventually(t, "each backend announces itself at start", func() bool { return bal.count(0) == 1 && bal.count(1) == 1 })
	c := newClient(t)
	for range 4 {
		get(t, c, p.URL()+"/x") // round-robin: two each, one after the other
	}
	eventually(t, "each backend announces after each request", func() bool { return bal.count(0) == 3 && bal.count(1) == 3 })
	time.Sleep(20 * time.Millisecond)
	if a, b := bal.count(0), bal.count(1); a != 3 || b != 3 {
		t.Errorf("announcements %d, %d; want 3, 3", a, b)
	}
	if ss[0].Stats().Requests != 2 || ss[1].Stats().Requests != 2 {
		t.Errorf("announcements reached the backends: %+v %+v", ss[0].Stats(), ss[1].Stats())
	}
	// A client without the token (or with a wrong one) cannot announce a
	// backend idle and herd the traffic onto it; with it: unknown backend,
	// wrong method.
	for _, tok := range []string{"", "guess"} {
		req := mustReq(t, http.MethodPost, p.URL()+wire.Idle+"?backend=web-0")
		if tok != "" {
			req.Header.Set(wire.Token, tok)
		}
		if r := do(t, c, req); r.status != http.StatusForbidden {
			t.Errorf("announcement with token %q: %d, want 403", tok, r.status)
		}
	}
	if a, b := bal.count(0), bal.count(1); a != 3 || b != 3 {
		t.Errorf("announcements %d, %d after the refused ones; want 3, 3", a, b)
	}
	withToken := func(method, url string) *http.Request {
		req := mustReq(t, method, url)
		req.Header.Set(wire.Token, p.ControlToken())
		return req
	}
	if r := do(t, c, withToken(http.MethodPost, p.URL()+wire.Idle+"?backend=nope")); r.status != http.StatusNotFound {
		t.Errorf("unknown backend: %d", r.status)
	}
	if r := do(t, c, withToken(http.MethodGet, p.URL()+wire.Idle+"?backend=web-0")); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.status)
	}
}

func TestIdlePathWithoutTracker(t *testing.T) {
	checkLeaks(t)
	ss := startEmulated(t, 1, time.Millisecond)
	p := startProxy(t, Config{Backends: emulatedBackends(ss)})
	if p.TracksIdle() {
		t.Fatal("round-robin tracks idle")
	}
	c := newClient(t)
	req := mustReq(t, http.MethodPost, p.URL()+wire.Idle+"?backend=web-0")
	req.Header.Set(wire.Token, p.ControlToken())
	if r := do(t, c, req); r.status != http.StatusNotFound || !strings.Contains(r.body, "not found") {
		t.Errorf("status %d %q", r.status, r.body)
	}
	if n := ss[0].Stats().Requests; n != 0 {
		t.Errorf("forwarded: %d requests", n)
	}
}

func mustReq(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
