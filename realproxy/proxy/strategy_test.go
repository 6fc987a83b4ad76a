package proxy

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// brokenBalancer's Pick fails for a reason of its own, as an external
// strategy whose process died does; it counts its Close calls.
type brokenBalancer struct {
	err    error
	closed atomic.Int32
}

func (b *brokenBalancer) Update(time.Duration, []algorithms.Backend)       {}
func (b *brokenBalancer) Pick(algorithms.Request) (int, error)             { return 0, b.err }
func (b *brokenBalancer) Started(int, time.Duration)                       {}
func (b *brokenBalancer) Finished(int, time.Duration, time.Duration, bool) {}
func (b *brokenBalancer) Close() error                                     { b.closed.Add(1); return nil }

// TestStrategyFailure: a Pick error other than ErrNoBackend is the
// strategy's failure: 500 with X-Fulcrum-Error: strategy-failed (not the
// 503 of an empty pool), StrategyError reports the first one, and Shutdown
// closes a balancer that is an io.Closer.
func TestStrategyFailure(t *testing.T) {
	checkLeaks(t)
	b := newTestBackend(t, "b")
	bal := &brokenBalancer{err: errors.New("the strategy process exited (status 3)")}
	p := startWithBalancer(t, Config{Backends: backendsOf(b)}, bal)
	c := newClient(t)
	for range 3 {
		r := get(t, c, p.URL())
		if r.status != http.StatusInternalServerError || r.header.Get(wire.Error) != wire.ErrorStrategy {
			t.Errorf("answer %d %q (%s), want 500 %s", r.status, r.body, r.header.Get(wire.Error), wire.ErrorStrategy)
		}
	}
	if err := p.StrategyError(); err == nil || !strings.Contains(err.Error(), "exited (status 3)") || !errors.Is(err, bal.err) {
		t.Errorf("StrategyError = %v", err)
	}
	shutdown(t, p)
	if n := bal.closed.Load(); n != 1 {
		t.Errorf("balancer closed %d times, want 1", n)
	}
}

// TestNoBackendIsNotAFailure: ErrNoBackend stays the 503 of an empty pool
// and no strategy failure.
func TestNoBackendIsNotAFailure(t *testing.T) {
	checkLeaks(t)
	b := newTestBackend(t, "b")
	p := startWithBalancer(t, Config{Backends: backendsOf(b)}, &brokenBalancer{err: algorithms.ErrNoBackend})
	r := get(t, newClient(t), p.URL())
	if r.status != http.StatusServiceUnavailable || r.header.Get(wire.Error) != wire.ErrorNoBackend || p.StrategyError() != nil {
		t.Errorf("answer %d %s, strategy error %v; want 503 no-backend, none", r.status, r.header.Get(wire.Error), p.StrategyError())
	}
}
