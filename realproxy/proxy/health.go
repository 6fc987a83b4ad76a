package proxy

// Active health checks and passive ejection: model.Health decides, as it
// does in the simulator; this file sends the real probes, feeds it the
// attempts' outcomes on the proxy's clock and runs the ejections' timers.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/model"
)

// health drives model.Health, the verdict both engines share, with real
// probes and attempts, and publishes its changes to the balancer (Update
// with the whole set) and to Config.OnHealth.
type health struct {
	p       *Proxy
	active  *HealthCheck // nil: no active checks
	passive bool         // passive ejection is on
	client  *http.Transport

	mu     sync.Mutex // guards the fields below and serialises Update and OnHealth
	model  *model.Health
	view   []algorithms.Backend
	timers []*time.Timer
	closed bool
	// member says which backends the discovery source lists (by ID); nil
	// without one: all of them. checks stops each member's checker.
	member []bool
	checks []context.CancelFunc
	ctx    context.Context // the checkers' parent, from start; nil before

	cancel context.CancelFunc // stops the checkers and their probes in flight
	wg     sync.WaitGroup     // the checkers
}

func newHealth(p *Proxy) *health {
	list := p.backendList()
	n := len(list)
	var rules model.HealthRules
	if a := p.cfg.Health; a != nil {
		rules.Rise, rules.Fall = a.Rise, a.Fall
	}
	if ps := p.cfg.Passive; ps != nil {
		rules.ConsecutiveFailures, rules.Ejection = ps.ConsecutiveFailures, ps.Ejection
	}
	h := &health{
		p:       p,
		active:  p.cfg.Health,
		passive: p.cfg.Passive != nil,
		model:   model.NewHealth(n, rules),
		view:    make([]algorithms.Backend, n),
		timers:  make([]*time.Timer, n),
	}
	for i, b := range list {
		h.view[i] = algorithms.Backend{ID: i, Name: b.Name, Weight: b.Weight, Healthy: true}
	}
	if h.active != nil {
		// A transport of their own, so checks neither wait for nor hold
		// the requests' pooled connections.
		h.client = newTransport(Config{MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: h.active.Timeout}, n)
	}
	if p.cfg.Discovery != nil {
		// The balancer's first Update lists the source's first set
		// (setMembers), so that slow start ramps what joins later.
		h.member = make([]bool, n)
		h.checks = make([]context.CancelFunc, n)
		return h
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
	defer h.mu.Unlock()
	h.cancel, h.ctx = cancel, ctx
	for i := range h.view {
		if h.member == nil {
			h.wg.Add(1)
			go h.check(ctx, i)
		} else if h.member[i] {
			h.startCheck(i)
		}
	}
}

// startCheck starts member i's checker, under h.mu, once start has run.
func (h *health) startCheck(i int) {
	if h.ctx == nil || h.closed {
		return
	}
	ctx, cancel := context.WithCancel(h.ctx)
	h.checks[i] = cancel
	h.wg.Add(1)
	go h.check(ctx, i)
}

// setMembers makes the backends of list for which member is true the set
// the balancer lists, under one Update: one that joins starts afresh
// (healthy, no counts, model.Health.Rejoin: a new member says nothing of
// an old one) with a checker of its own, one that leaves loses its
// checker, and weights follow list's.
func (h *health) setMembers(list []*backend, member []bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.model.Grow(len(list))
	for i := len(h.view); i < len(list); i++ {
		h.view = append(h.view, algorithms.Backend{ID: i, Name: list[i].Name})
		h.timers = append(h.timers, nil)
		h.member = append(h.member, false)
		h.checks = append(h.checks, nil)
	}
	for i, b := range list {
		h.view[i].Weight = b.Weight
		switch {
		case member[i] && !h.member[i]:
			h.model.Rejoin(i)
			h.view[i].Healthy = true
			h.member[i] = true
			b.obs.Health(true)
			b.obs.Member(true)
			if h.active != nil {
				h.startCheck(i)
			}
		case !member[i] && h.member[i]:
			h.member[i] = false
			b.obs.Member(false)
			if c := h.checks[i]; c != nil {
				c()
				h.checks[i] = nil
			}
		}
	}
	h.p.bal.Update(h.p.now(), h.listed())
}

// listed is the list the balancer gets: the whole view, or with a
// discovery source its members. h.mu is held.
func (h *health) listed() []algorithms.Backend {
	if h.member == nil {
		return h.view
	}
	out := make([]algorithms.Backend, 0, len(h.view))
	for i, b := range h.view {
		if h.member[i] {
			out = append(out, b)
		}
	}
	return out
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
	req, err := http.NewRequestWithContext(ctx, h.active.Method, h.p.backend(i).health, nil)
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

// probeResult delivers one check's verdict on backend i.
func (h *health) probeResult(i int, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	up := h.model.Up(i)
	changed := h.model.Probe(i, ok)
	if up && !h.model.Up(i) {
		h.p.backend(i).obs.Ejected(false)
	}
	if changed {
		h.publish(i)
	}
}

// attempt tells passive ejection how an attempt on backend i ended.
func (h *health) attempt(i int, ok bool) {
	if !h.passive {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	changed, ejected := h.model.Attempt(i, ok, h.p.now())
	if ejected {
		h.p.backend(i).obs.Ejected(true)
		if t := h.timers[i]; t != nil {
			t.Stop()
		}
		// The timer fires no earlier than the ejection's end on the
		// proxy's clock, which model.Health checks.
		until := h.model.EjectedUntil(i)
		h.timers[i] = time.AfterFunc(until-h.p.now(), func() { h.ejectionEnd(i) })
	}
	if changed {
		h.publish(i)
	}
}

func (h *health) ejectionEnd(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if h.model.EjectionEnd(i, h.p.now()) {
		h.timers[i] = nil
		h.publish(i)
	}
}

// publish tells the balancer and OnHealth of backend i's health, which
// changed. h.mu is held.
func (h *health) publish(i int) {
	h.view[i].Healthy = h.model.Healthy(i)
	h.p.backend(i).obs.Health(h.view[i].Healthy)
	now := h.p.now()
	h.p.bal.Update(now, h.listed())
	if f := h.p.cfg.OnHealth; f != nil {
		f(now, h.view[i].Name, h.view[i].Healthy)
	}
}

// healthy reports the balancer's view of backend i (for tests).
func (h *health) healthy(i int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.view[i].Healthy
}
