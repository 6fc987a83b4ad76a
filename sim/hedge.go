package sim

import (
	"errors"
	"fmt"
	"slices"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/model"
)

// Hedged requests, cancellation and retry budgets (DESIGN.md §7).
//
// A request's first attempt arms a hedge timer (evHedge) one hedge delay
// later (model.HedgeDelay: fixed, or a percentile of the balancer's recent
// latencies; none while a percentile warms up). When it fires with the
// request still unanswered, the balancer picks again, at most hedgePicks
// times, until it names a server the request has not tried; the picks that
// named tried servers are handed back (see unpick). With an untried server
// and the retry budget's leave, the hedge goes out and, while the request
// has hedged fewer than hedge.max times, the timer is armed again one delay
// later (grpc's hedging policy: hedgingDelay between attempts). A hedge
// that finds no untried server, or that the budget refuses, is not sent,
// and the request hedges no more.
//
// The first good answer wins: the request ends, and its other attempts are
// abandoned (Finished for the balancer, not counted against the server's
// health or in its per-server figures); with cancel they also leave their
// server (cancelAttempt). A failed attempt while another is out waits for
// that one; when the last one fails, the request retries as before.

// hedgePicks is model.HedgePicks, shared with the real proxy.
const hedgePicks = model.HedgePicks

// reset makes the slot hold n, keeping what outlives a request in the
// slot: its generation and its slices' storage.
func (r *request) reset(n request) {
	gen, tried, atts := r.gen, r.tried[:0], r.atts[:0]
	*r = n
	r.gen, r.tried, r.atts = gen, tried, atts
}

// armHedge sets request ri's hedge timer, if its balancer has a delay.
func (e *engine) armHedge(ri int32) {
	r := &e.reqs.items[ri]
	if d, ok := e.bals[r.bal].hedge.Delay(); ok {
		e.q.push(e.q.now+d, evHedge, ri, int32(r.gen))
	}
}

// hedgeFired sends a hedge of request ri, if it is still the request the
// timer was set for.
func (e *engine) hedgeFired(ri int32, gen uint32) {
	r := &e.reqs.items[ri]
	if r.gen != gen || r.inflight == 0 {
		return
	}
	bs := &e.bals[r.bal]
	now := e.q.now
	id := -1
	var held [hedgePicks]int
	nheld := 0
	for range hedgePicks {
		got, err := bs.b.Pick(algorithms.Request{Now: now, Key: r.key})
		if err != nil {
			if e.failed == nil && !errors.Is(err, algorithms.ErrNoBackend) {
				e.failed = fmt.Errorf("sim: algorithm %s failed at %v: %w", e.sc.Algorithms[e.alg].Label, now, err)
			}
			break
		}
		if !slices.Contains(r.tried, int32(got)) {
			id = got
			break
		}
		held[nheld] = got
		nheld++
	}
	for _, h := range held[:nheld] {
		e.unpick(bs, h, r)
	}
	if id < 0 {
		return
	}
	if bs.budget != nil && !bs.budget.TryWithdraw(now) {
		e.unpick(bs, id, r)
		r.tally.HedgesDenied++
		return
	}
	r.tally.HedgesSent++
	e.launch(ri, id, true)
	if int32(r.tally.HedgesSent) < e.maxHedges {
		e.armHedge(ri)
	}
}

// unpick hands back a pick that was not used: the contract wants a Started
// and a Finished for it. It finishes with the time the request has waited
// so far, a true lower bound of what an attempt there would have taken
// (not 0, which would flatter the server in latency-aware strategies).
func (e *engine) unpick(bs *balancerState, id int, r *request) {
	now := e.q.now
	bs.b.Started(id, now)
	bs.b.Finished(id, now, now-r.arrival, true)
}

// attemptOver takes attempt ai out of request ri's attempts in flight.
func (e *engine) attemptOver(ri, ai int32) {
	r := &e.reqs.items[ri]
	if k := slices.Index(r.atts, ai); k >= 0 {
		r.atts = slices.Delete(r.atts, k, k+1)
	}
}

// abandonOthers gives up request ri's attempts still in flight: its answer
// came from another one.
func (e *engine) abandonOthers(ri int32) {
	r := &e.reqs.items[ri]
	now := e.q.now
	bs := &e.bals[r.bal]
	for _, ai := range r.atts {
		a := &e.attempts.items[ai]
		a.orphan = true
		bs.b.Finished(int(a.server), now, now-a.sent, false)
		if e.load != nil {
			e.loadOwn(int(r.bal), int(a.server), -1)
		}
		if e.cancel {
			e.cancelAttempt(ai)
		}
	}
	r.inflight -= int32(len(r.atts))
	r.atts = r.atts[:0]
}

// cancelAttempt takes attempt ai, which the balancer gave up on, away from
// its server (cancel: true, the server sees the client leave): out of the
// queue, or out of service, freeing the worker for the next queued job. On
// the wire to the server, it is dropped when it gets there (reachServer);
// answered, its answer is dropped when it arrives (response). The server
// learns at once: the cancellation's own network delay is not modelled.
// On a PS server it leaves the shared processors (psRemove).
func (e *engine) cancelAttempt(ai int32) {
	a := &e.attempts.items[ai]
	si := int(a.server)
	s := &e.servers[si]
	switch a.state {
	case atQueued:
		s.queue.remove(ai)
		a.state = atAnswered // a freed slot is never in service (crash walks them)
		e.freeAttempt(ai)
		e.leftServer(si)
		e.loadServerChanged()
	case atInService:
		if s.ps != nil {
			e.psRemove(ai)
			a.state = atAnswered
			e.freeAttempt(ai)
			e.leftServer(si)
			e.loadServerChanged()
			return
		}
		e.flushBusy(si)
		s.busy--
		a.state = atAnswered
		e.freeAttempt(ai) // its evServiceDone is now stale
		e.leftServer(si)
		e.loadServerChanged()
		if s.queue.len() > 0 {
			e.startService(s.queue.pop())
		} else if e.sig != nil && e.sig.idle && s.busy == 0 {
			e.announceIdle(si)
		}
	}
}
