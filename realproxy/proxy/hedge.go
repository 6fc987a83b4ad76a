package proxy

// Hedged requests and the retry budget in the proxy (DESIGN.md §7), the
// same rules as the simulator's (sim/hedge.go): a hedge after the delay
// with no answer, to a backend the request has not tried (at most
// model.HedgePicks picks), within the budget; the first good answer wins
// and the other attempts' requests are closed (their contexts cancelled):
// an emulated backend then stops the job if the scenario says cancel: true.
// Only requests without a body that may be retried are hedged (a hedge is
// a replay, sent while the first may still be acting).

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// newResilience builds the proxy's hedge delay and retry budget from cfg.
func (p *Proxy) newResilience() {
	if h := p.cfg.Hedge; h != nil {
		p.hedge = model.NewHedgeDelay(&scenarios.Hedge{After: h.After, Percentile: h.Percentile, Max: h.Max})
	}
	if b := p.cfg.RetryBudget; b != nil {
		p.budget = model.NewBudget(&scenarios.RetryBudget{Ratio: b.Ratio, MinPerSecond: b.MinPerSecond})
	}
}

// newTries is a request's tally of hedges and retries, or nil when the
// proxy is configured with neither hedging (even max 0) nor a budget: then
// it sends no wire.Tries.
func (p *Proxy) newTries() *model.Tries {
	if p.cfg.Hedge == nil && p.budget == nil {
		return nil
	}
	return &model.Tries{}
}

// HedgeCounts returns the hedges the proxy has sent, and those whose
// answer was the request's, since New.
func (p *Proxy) HedgeCounts() (sent, won int64) { return p.hedgesSent.Load(), p.hedgesWon.Load() }

// allowRetry asks the budget for a retry, and counts it.
func (p *Proxy) allowRetry(t *model.Tries) bool {
	if p.budget != nil && !p.budget.TryWithdraw(p.now()) {
		t.RetriesDenied++
		p.obs.BudgetRefused(false)
		return false
	}
	if t != nil {
		t.RetriesSent++
	}
	p.obs.Retried()
	return true
}

// triesError carries a failed request's tally to the error handler.
type triesError struct {
	err   error
	tries model.Tries
}

func (e *triesError) Error() string { return e.err.Error() }
func (e *triesError) Unwrap() error { return e.err }

func withTries(err error, t *model.Tries) error {
	if t == nil {
		return err
	}
	return &triesError{err: err, tries: *t}
}

// hedgeAttempt is one attempt of a hedged request, and then its outcome.
type hedgeAttempt struct {
	id     int
	start  time.Duration
	hedge  bool
	out    *http.Request
	cancel context.CancelFunc // closes the attempt's request
	resp   *http.Response
	err    error
}

// roundTripHedged is RoundTrip for a request the proxy hedges.
func (p *Proxy) roundTripHedged(req *http.Request, key uint64, t *model.Tries) (*http.Response, error) {
	parent := req.Context()
	arrival := p.now()
	results := make(chan *hedgeAttempt, 1+p.cfg.Hedge.Max+p.cfg.Retries)
	var (
		launched []*hedgeAttempt
		tried    []int
		inflight int
	)
	launch := func(id int, start time.Duration, hedge bool) {
		be := p.backend(id)
		be.obs.Started()
		if p.countInflight {
			be.inflight.Add(1) // p.finished takes it out, as for every attempt
		}
		ctx, cancelCtx := context.WithCancel(parent)
		out, cancelTimeout, err := p.attemptRequest(req.WithContext(ctx), be, len(launched))
		a := &hedgeAttempt{id: id, start: start, hedge: hedge, out: out, cancel: func() { cancelTimeout(); cancelCtx() }}
		if hedge {
			out.Header = out.Header.Clone()
			if u, err := strconv.ParseFloat(req.Header.Get(wire.Quantile), 64); err == nil && u >= 0 && u < 1 {
				out.Header.Set(wire.Quantile, strconv.FormatFloat(model.HedgeQuantile(u, t.HedgesSent), 'g', -1, 64))
			}
		}
		launched = append(launched, a)
		tried = append(tried, id)
		inflight++
		if err != nil {
			a.err = err
			results <- a
			return
		}
		go func() {
			a.resp, a.err = p.transport.RoundTrip(out)
			results <- a
		}()
	}
	pick := func() (int, time.Duration, error) {
		start := p.now()
		id, err := p.bal.Pick(algorithms.Request{Now: start, Key: key})
		if err != nil {
			if !errors.Is(err, algorithms.ErrNoBackend) {
				return 0, 0, p.strategyFailed(err)
			}
			return 0, 0, errNoBackend
		}
		p.signals.picked(start)
		p.bal.Started(id, start)
		p.backend(id).obs.Picked()
		return id, start, nil
	}

	id, start, err := pick()
	if err != nil {
		return nil, withTries(err, t)
	}
	if p.budget != nil {
		p.budget.Deposit(start)
	}
	launch(id, start, false)
	var timer *time.Timer
	var timerC <-chan time.Time
	arm := func() {
		if d, ok := p.hedge.Delay(); ok {
			timer = time.NewTimer(d)
			timerC = timer.C
		}
	}
	arm()
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-timerC:
			timerC = nil
			if inflight == 0 || parent.Err() != nil {
				continue
			}
			id, start, ok := p.pickUntried(key, tried, arrival)
			if !ok {
				continue // no untried backend: no more hedges
			}
			if p.budget != nil && !p.budget.TryWithdraw(start) {
				p.unpick(id, arrival)
				t.HedgesDenied++
				p.obs.BudgetRefused(true)
				continue
			}
			t.HedgesSent++
			p.hedgesSent.Add(1)
			p.obs.Hedged()
			launch(id, start, true)
			if t.HedgesSent < p.cfg.Hedge.Max {
				arm()
			}
		case a := <-results:
			inflight--
			if a.err == nil && a.resp.StatusCode < http.StatusInternalServerError {
				t.HedgeWon = a.hedge
				if a.hedge {
					p.hedgesWon.Add(1)
					p.obs.HedgeWon()
				}
				p.hedge.Observe(p.now() - a.start)
				p.abandon(launched, a, results, inflight)
				return p.answer(a, parent, t), nil
			}
			final := inflight == 0 && !(len(launched)-t.HedgesSent <= p.cfg.Retries && parent.Err() == nil && p.allowRetry(t))
			if final && a.err == nil {
				return p.answer(a, parent, t), nil // the backend's 5xx, as without hedging
			}
			timeout := a.err != nil && parent.Err() == nil && isTimeout(a.err, a.out)
			o := errorOutcome(parent, timeout)
			if a.resp != nil {
				o = statusOutcome(a.resp.StatusCode)
				io.CopyN(io.Discard, a.resp.Body, drainLimit)
				a.resp.Body.Close()
			}
			a.cancel()
			p.finished(a.id, a.start, o, parent.Err() == nil && (a.err == nil || !localExhaustion(a.err)))
			if final {
				return nil, withTries(&attemptError{backend: p.backend(a.id), timeout: timeout, err: a.err}, t)
			}
			if inflight > 0 {
				continue // another attempt is out: its answer may yet do
			}
			id, start, err := pick()
			if err != nil {
				return nil, withTries(err, t)
			}
			launch(id, start, false)
		}
	}
}

// answer is the response of attempt a, the request's answer: its body
// reports Finished when read or closed, as RoundTrip's last attempt's.
func (p *Proxy) answer(a *hedgeAttempt, parent context.Context, t *model.Tries) *http.Response {
	resp := a.resp
	if p.cfg.OnRequest != nil {
		noteBackend(parent, p.backend(a.id)) // the winner, not the last hedge sent
	}
	if p.cfg.ExposeBackend {
		resp.Header.Set(wire.Server, p.backend(a.id).URL)
	}
	if t != nil {
		resp.Header.Set(wire.Tries, t.Format())
	}
	resp.Body = &trackedBody{rc: resp.Body, p: p, id: a.id, start: a.start, status: resp.StatusCode, parent: parent, out: a.out, cancel: a.cancel}
	return resp
}

// abandon closes the requests of every attempt but the winner and, in the
// background, collects the n still out: each gets its Finished (not
// against the backend's health: the proxy gave up on it).
func (p *Proxy) abandon(launched []*hedgeAttempt, winner *hedgeAttempt, results chan *hedgeAttempt, n int) {
	for _, a := range launched {
		if a != winner {
			a.cancel()
		}
	}
	if n == 0 {
		return
	}
	go func() {
		for range n {
			a := <-results
			if a.resp != nil {
				a.resp.Body.Close()
			}
			p.finished(a.id, a.start, OutcomeCancelled, false)
		}
	}()
}

// pickUntried picks a backend the request has not tried, handing back the
// picks that name tried ones (model.HedgePicks).
func (p *Proxy) pickUntried(key uint64, tried []int, arrival time.Duration) (int, time.Duration, bool) {
	var held [model.HedgePicks]int
	n := 0
	id, found := -1, time.Duration(0)
	for range model.HedgePicks {
		now := p.now()
		got, err := p.bal.Pick(algorithms.Request{Now: now, Key: key})
		if err != nil {
			break
		}
		p.backend(got).obs.Picked()
		if !slices.Contains(tried, got) {
			id, found = got, now
			break
		}
		held[n] = got
		n++
	}
	for _, h := range held[:n] {
		p.unpick(h, arrival)
	}
	if id < 0 {
		return 0, 0, false
	}
	p.signals.picked(found)
	p.bal.Started(id, found)
	return id, found, true
}

// unpick hands back an unused pick (model.HedgePicks).
func (p *Proxy) unpick(id int, arrival time.Duration) {
	now := p.now()
	p.bal.Started(id, now)
	p.bal.Finished(id, now, now-arrival, true)
}
