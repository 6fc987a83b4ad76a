package sim

import (
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// closedLoop drives a closed loop's users (model.Users, DESIGN.md §7): each
// user's next request is an evUserSend event (a = the user), scheduled when
// its previous one finished (any outcome) plus a think draw. Open loops
// never touch it: their arrivals stay outside the heap (engine.run).
//
// e.live counts, besides the requests in flight, the users' scheduled sends
// and the pending end of the window at the duration, so that the run ends
// exactly when every user is done, nothing is in flight and the window has
// closed.
//
// With think constant 0s and every request refused at once (no backend at
// all), a user sends again at the same instant for ever: the run only ends
// by its request cap (or its context).
type closedLoop struct {
	users *model.Users
	next  []traffic.Arrival // each user's scheduled request

	endPending   bool // the window's end at the duration is scheduled (and counted in e.live)
	windowClosed bool

	// Requests issued and not finished, for tests: the most at once, and
	// their integral over the measured window (request-nanoseconds).
	inFlight, maxInFlight int
	inFlightInt           int64
	lastChange            time.Duration
}

// track adds the requests in flight since the last change to their
// integral over the measured window, up to now.
func (cl *closedLoop) track(now, warmup time.Duration) {
	if !cl.windowClosed {
		cl.inFlightInt += int64(cl.inFlight) * int64(max(now, warmup)-max(cl.lastChange, warmup))
	}
	cl.lastChange = now
}

// startUsers schedules each user's first request, and the end of the
// measured window at the duration.
func (e *engine) startUsers() error {
	us, err := model.NewUsers(e.sc)
	if err != nil {
		return err
	}
	cl := &closedLoop{users: us, next: make([]traffic.Arrival, us.Len())}
	e.cl = cl
	if d := e.sc.Duration; d > 0 {
		cl.endPending = true
		e.live++
		e.q.push(max(d, e.sc.Warmup), evWarmupEnd, 2, 0)
	}
	for u := range cl.next {
		if arr, ok := us.Start(u); ok {
			cl.next[u] = arr
			e.live++
			e.q.push(arr.At, evUserSend, int32(u), 0)
		}
	}
	return nil
}

// userSend issues user u's scheduled request, unless the request cap has
// been reached.
func (e *engine) userSend(u int32) {
	cl := e.cl
	e.live--
	arr := cl.next[u]
	measured, ok := cl.users.Issue(int(u), arr)
	if !ok {
		return
	}
	if e.sinceRep++; e.sinceRep == 1<<14 && e.progress != nil {
		e.progress(e.sinceRep)
		e.sinceRep = 0
	}
	e.rec.Arrival(arr.At, measured)
	ri := e.reqs.alloc()
	e.reqs.items[ri].reset(request{arrival: arr.At, key: arr.Key, client: u, u: arr.U, bal: int32(arr.Balancer), class: uint16(arr.Class), measured: measured})
	e.live++
	cl.track(e.q.now, e.windowStart)
	if cl.inFlight++; cl.inFlight > cl.maxInFlight {
		cl.maxInFlight = cl.inFlight
	}
	e.send(ri)
	if cl.users.Capped() && !cl.windowClosed {
		// The last measured request: the window ends at its issue, as an
		// open loop's at its last measured arrival.
		_, e.windowEnd = cl.users.Window()
		e.endClosedWindow()
	}
}

// userAnswered schedules user u's next request after the previous one
// finished now, if the user has one.
func (e *engine) userAnswered(u int32) {
	cl := e.cl
	cl.track(e.q.now, e.windowStart)
	cl.inFlight--
	if arr, ok := cl.users.Next(int(u), e.q.now); ok {
		cl.next[u] = arr
		e.live++
		e.q.push(arr.At, evUserSend, u, 0)
	}
}

// closedWindowEnd is the window's end at the duration (evWarmupEnd, a = 2),
// unless the request cap ended it earlier.
func (e *engine) closedWindowEnd() {
	if e.cl.windowClosed {
		return
	}
	e.windowEnd = max(e.sc.Duration, e.sc.Warmup)
	e.endClosedWindow()
}

func (e *engine) endClosedWindow() {
	cl := e.cl
	cl.track(e.q.now, e.windowStart)
	cl.windowClosed = true
	if cl.endPending {
		cl.endPending = false
		e.live--
	}
	e.closeWindow()
}
