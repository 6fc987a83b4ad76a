package proxy

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/model"
	be "github.com/fulcrum-lb/fulcrum/realproxy/backend"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// hedgePool is three emulated backends of 1ms and one of slow (one worker
// each), all stopping a job whose client leaves when cancel is set.
func hedgePool(t *testing.T, cancel bool, slow time.Duration) []*be.Server {
	t.Helper()
	var out []*be.Server
	for i, service := range []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond, slow} {
		d, err := dist.New(dist.Spec{Dist: "constant", Value: service})
		if err != nil {
			t.Fatal(err)
		}
		s, err := be.Start("127.0.0.1:0", be.Config{Name: "web-" + string(rune('0'+i)), Concurrency: 1, Service: d, Seed: 1, Cancel: cancel})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Crash() // the slow one's jobs would hold Close up
			ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
			defer stop()
			_ = s.Close(ctx)
		})
		out = append(out, s)
	}
	return out
}

// Hedging cuts the tail: behind round-robin a request sent first to the
// 1s backend is hedged after 20ms to another and answered by it, so no
// request takes the 1s (without hedging every fourth does); the hedges the
// responses report (X-Fulcrum-Tries) are those the proxy counted, won <=
// sent; with cancel: true the slow backend drops every job the proxy gave
// up on (its stats: cancelled, none served, little busy time); and every
// Pick, the hedges' and the handed-back ones' included, gets its Started
// and Finished. Latency is asserted only against the 1s the slow backend
// takes, so a busy machine does not fail it.
func TestHedgeCutsTheTail(t *testing.T) {
	const n = 16
	pool := hedgePool(t, true, time.Second)
	bal := newCountingBalancer()
	p := startWithBalancer(t, Config{Backends: emulatedBackends(pool), Hedge: &Hedge{After: 20 * time.Millisecond, Max: 1}}, bal)
	c := newClient(t)
	var worst time.Duration
	var sum model.Tries
	won := 0
	for range n {
		t0 := time.Now()
		r := get(t, c, "http://"+p.Addr()+"/")
		worst = max(worst, time.Since(t0))
		if r.status != http.StatusOK || r.backend == "web-3" {
			t.Fatalf("status %d from %q", r.status, r.backend)
		}
		tr, ok := model.ParseTries(r.header.Get(wire.Tries))
		if !ok {
			t.Fatalf("X-Fulcrum-Tries %q", r.header.Get(wire.Tries))
		}
		sum.HedgesSent += tr.HedgesSent
		if tr.HedgeWon {
			won++
		}
	}
	sent, pwon := p.HedgeCounts()
	t.Logf("worst %v; hedges sent %d, won %d (headers %d, %d)", worst, sent, pwon, sum.HedgesSent, won)
	if worst >= time.Second {
		t.Errorf("a request took %v: the slow backend answered it", worst)
	}
	if sent < 1 || pwon < 1 || pwon > sent || int64(sum.HedgesSent) != sent || int64(won) != pwon {
		t.Errorf("proxy counted %d sent, %d won; the responses report %d sent, %d won", sent, pwon, sum.HedgesSent, won)
	}
	slow := pool[3]
	eventually(t, "the slow backend drops the abandoned jobs", func() bool {
		st := slow.Stats()
		return st.Requests > 0 && st.Cancelled == st.Requests
	})
	if st := slow.Stats(); st.Served != 0 || st.Busy >= time.Duration(st.Requests)*time.Second/2 {
		t.Errorf("slow backend %+v: want nothing served and its jobs cut short", st)
	}
	eventually(t, "every pick finished", bal.balanced)
}

// Without hedging, a request round-robin sends to the 1s backend takes
// its 1s; and without cancel a backend keeps working on a job the proxy
// closed (a hedge won): an hour-long one is still in service after the
// answer, not counted cancelled.
func TestNoHedgeNoCancel(t *testing.T) {
	p := startProxy(t, Config{Backends: emulatedBackends(hedgePool(t, false, time.Second)), Algorithm: "round-robin"})
	c := newClient(t)
	var worst time.Duration
	for range 4 {
		t0 := time.Now()
		get(t, c, "http://"+p.Addr()+"/")
		worst = max(worst, time.Since(t0))
	}
	if worst < time.Second {
		t.Errorf("worst %v without hedging; the slow backend takes 1s", worst)
	}
	pool := hedgePool(t, false, time.Hour)
	h := startProxy(t, Config{Backends: emulatedBackends(pool), Algorithm: "round-robin", Hedge: &Hedge{After: 20 * time.Millisecond, Max: 1}})
	for range 4 {
		get(t, c, "http://"+h.Addr()+"/")
	}
	if sent, _ := h.HedgeCounts(); sent < 1 {
		t.Fatalf("no hedge sent")
	}
	time.Sleep(20 * time.Millisecond) // a chance to (wrongly) let go
	st := pool[3].Stats()
	if st.Cancelled != 0 || st.Requests == 0 || st.Served != 0 {
		t.Errorf("slow backend without cancel: %+v; want the abandoned job still running", st)
	}
}

// The retry budget in the proxy: backends that always answer 500, 3
// retries, a budget of ratio 0.5 and no floor. Requests deposit 1 each and
// a retry costs 1 against 0.5 per request: over 10 requests 5 retries are
// allowed in all (exact: nothing leaves the 10s window), and each request
// stops at its first refusal, so 10 are denied, as the responses'
// X-Fulcrum-Tries report.
func TestRetryBudget(t *testing.T) {
	a, b := newTestBackend(t, "a"), newTestBackend(t, "b")
	for _, x := range []*testBackend{a, b} {
		x.setHandler(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	}
	p := startProxy(t, Config{Backends: backendsOf(a, b), Retries: 3, RetryBudget: &RetryBudget{Ratio: 0.5}})
	c := newClient(t)
	var sum model.Tries
	for range 10 {
		r := get(t, c, "http://"+p.Addr()+"/")
		tr, ok := model.ParseTries(r.header.Get(wire.Tries))
		if r.status != http.StatusInternalServerError || !ok {
			t.Fatalf("status %d, tries %q", r.status, r.header.Get(wire.Tries))
		}
		sum.RetriesSent += tr.RetriesSent
		sum.RetriesDenied += tr.RetriesDenied
	}
	if sum.RetriesSent != 5 || sum.RetriesDenied != 10 {
		t.Errorf("retries sent %d, denied %d; want 5 and 10", sum.RetriesSent, sum.RetriesDenied)
	}
	if got := a.hits.Load() + b.hits.Load(); got != 15 {
		t.Errorf("%d attempts reached the backends, want 10 + 5 retries", got)
	}
}
