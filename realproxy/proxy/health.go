package proxy

// Active health checks and passive ejection, as the simulator does them
// (sim/health.go): a backend is healthy for the balancer iff its active
// checks hold it up and passive ejection does not hold it out.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// health holds every backend's health and publishes changes to the
// balancer (Update with the whole set) and to Config.OnHealth.
type health struct {
	p      *Proxy
	active *HealthCheck // nil: no active checks
	pass   *Passive     // nil: no passive ejection
	client *http.Transport
	consec []atomic.Int32 // consecutive failed attempts, by ID (outside mu: every attempt touches it)

	mu      sync.Mutex // guards the fields below and serialises Update and OnHealth
	view    []algorithms.Backend
	up      []bool // the active checks' verdict
	rise    []int  // consecutive successes while down
	fall    []int  // consecutive failures while up
	ejected []bool
	ejGen   []uint32 // ejection generation, so a stale timer does nothing
	timers  []*time.Timer
	closed  bool

	cancel context.CancelFunc // stops the checkers and their probes in flight
	wg     sync.WaitGroup     // the checkers
}

func newHealth(p *Proxy) *health {
	n := len(p.backends)
	h := &health{
		p:       p,
		active:  p.cfg.Health,
		pass:    p.cfg.Passive,
		consec:  make([]atomic.Int32, n),
		view:    make([]algorithms.Backend, n),
		up:      make([]bool, n),
		rise:    make([]int, n),
		fall:    make([]int, n),
		ejected: make([]bool, n),
		ejGen:   make([]uint32, n),
		timers:  make([]*time.Timer, n),
	}
	for i, b := range p.backends {
		h.view[i] = algorithms.Backend{ID: i, Name: b.Name, Weight: b.Weight, Healthy: true}
		h.up[i] = true
	}
	if h.active != nil {
		// A transport of their own, so checks neither wait for nor hold
		// the requests' pooled connections.
		h.client = newTransport(Config{MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: h.active.Timeout}, n)
	}
	p.bal.Update(p.now(), h.view)
	return h
}

// start starts one checker per backend, each probing at once and then
// every interval (no jitter, as in the simulator).
func (h *health) start() {
	if h.active == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.mu.Lock()
	h.cancel = cancel
	h.mu.Unlock()
	for i := range h.p.backends {
		h.wg.Add(1)
		go h.check(ctx, i)
	}
}

// stop stops the checkers and the ejection timers and waits for the
// checkers to return. Health changes are no longer published.
func (h *health) stop() {
	h.mu.Lock()
	h.closed = true
	cancel := h.cancel
	for i, t := range h.timers {
		if t != nil {
			t.Stop()
			h.timers[i] = nil
		}
	}
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	h.wg.Wait()
	if h.client != nil {
		h.client.CloseIdleConnections()
	}
}

func (h *health) check(ctx context.Context, i int) {
	defer h.wg.Done()
	t := time.NewTicker(h.active.Interval)
	defer t.Stop()
	for {
		ok, known := h.probe(ctx, i)
		if ctx.Err() != nil {
			return
		}
		if known {
			h.probeResult(i, ok)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// probe sends one check to backend i: healthy iff 200 within the timeout.
// known is false when the check could not be sent for want of the proxy's
// own resources (no descriptor for a socket): that says nothing of the
// backend, and counting it took every backend out at once when an overload
// used up the proxy's descriptors, turning a slow proxy into one that
// answered 503 to everything.
func (h *health) probe(ctx context.Context, i int) (ok, known bool) {
	ctx, cancel := context.WithTimeout(ctx, h.active.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, h.active.Method, h.p.backends[i].health, nil)
	if err != nil {
		return false, true
	}
	req.Header.Set("User-Agent", "fulcrum-health-check")
	resp, err := h.client.RoundTrip(req)
	if err != nil {
		return false, !localExhaustion(err)
	}
	io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, true
}

// localExhaustion reports whether err is the proxy's own want of resources
// (descriptors, socket buffers) rather than anything the backend did.
func localExhaustion(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS)
}

// probeResult applies rise/fall hysteresis: Fall consecutive failures take
// an up backend down, Rise consecutive successes bring it back (with a
// clean slate for passive ejection's count).
func (h *health) probeResult(i int, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if h.up[i] {
		if ok {
			h.fall[i] = 0
			return
		}
		if h.fall[i]++; h.fall[i] >= h.active.Fall {
			h.up[i], h.fall[i], h.rise[i] = false, 0, 0
			h.publish(i)
		}
		return
	}
	if !ok {
		h.rise[i] = 0
		return
	}
	if h.rise[i]++; h.rise[i] >= h.active.Rise {
		h.up[i], h.rise[i], h.fall[i] = true, 0, 0
		h.consec[i].Store(0)
		h.publish(i)
	}
}

// attempt records the outcome of an attempt on backend i for passive
// ejection: ConsecutiveFailures failures in a row eject it for Ejection.
func (h *health) attempt(i int, ok bool) {
	if h.pass == nil {
		return
	}
	c := &h.consec[i]
	if ok {
		if c.Load() != 0 { // spare the cache line the common case
			c.Store(0)
		}
		return
	}
	if int(c.Add(1)) < h.pass.ConsecutiveFailures {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.ejected[i] {
		return
	}
	h.ejected[i] = true
	h.ejGen[i]++
	gen := h.ejGen[i]
	h.timers[i] = time.AfterFunc(h.pass.Ejection, func() { h.ejectionEnd(i, gen) })
	h.publish(i)
}

func (h *health) ejectionEnd(i int, gen uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || !h.ejected[i] || h.ejGen[i] != gen {
		return
	}
	h.ejected[i], h.timers[i] = false, nil
	h.consec[i].Store(0)
	h.publish(i)
}

// publish tells the balancer and OnHealth of backend i's health, if the
// balancer's view of it changed. h.mu is held.
func (h *health) publish(i int) {
	healthy := h.up[i] && !h.ejected[i]
	if h.view[i].Healthy == healthy {
		return
	}
	h.view[i].Healthy = healthy
	now := h.p.now()
	h.p.bal.Update(now, h.view)
	if f := h.p.cfg.OnHealth; f != nil {
		f(now, h.view[i].Name, healthy)
	}
}

// healthy reports the balancer's view of backend i (for tests).
func (h *health) healthy(i int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.view[i].Healthy
}
