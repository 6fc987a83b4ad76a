package backend

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
)

// With Cancel a job whose client leaves gives its worker up: one worker,
// jobs of an hour (never done by themselves); A in service and B queued
// both leave, and C, sent after, is served at once in its place. Without
// Cancel A keeps the worker: C waits behind it.
func TestCancelFreesWorker(t *testing.T) {
	for _, cancel := range []bool{true, false} {
		s := start(t, Config{Concurrency: 1, Service: constant(t, time.Hour), Cancel: cancel})
		c := newClient(t)
		ctxA, leaveA := context.WithCancel(context.Background())
		ctxB, leaveB := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for k, ctx := range []context.Context{ctxA, ctxB} {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/", nil)
			wg.Go(func() { send(c, req) })
			// A (k = 0) in service, then B queued behind it: the count
			// to wait for is fixed before the request can land, or a fast
			// arrival would make it wait for one more than was sent.
			waitInflight(t, s, k+1)
		}
		leaveB()
		leaveA()
		wg.Wait()
		if cancel {
			waitInflight(t, s, 0)
			if st := s.Stats(); st.Cancelled != 2 || st.Served != 0 {
				t.Errorf("cancel: stats %+v, want 2 cancelled, none served", st)
			}
			// The worker is free: a short job goes straight into service.
			s.SetSlowdown(1e-9) // an hour x 1e-9 = 3.6us
			if r := get(c, s.URL()+"/", 0.5); r.status != http.StatusOK || r.queue != 0 {
				t.Errorf("cancel: after the leavers, status %d queued %v, want 200 at once", r.status, r.queue)
			}
			continue
		}
		// Without cancel both stay: A in service, B queued.
		time.Sleep(20 * time.Millisecond) // a chance to (wrongly) let go
		if n := s.inflight(); n != 2 || s.Stats().Cancelled != 0 {
			t.Errorf("no cancel: %d jobs held after the clients left, %d cancelled; want 2 and 0", n, s.Stats().Cancelled)
		}
		s.Crash() // the hour-long jobs would hold Close up
	}
}

// Many clients leaving at random moments never lose a worker: afterwards
// the server is idle with every worker free, and every job that reached it
// was served or cancelled.
func TestCancelKeepsWorkers(t *testing.T) {
	s := start(t, Config{Concurrency: 2, Service: mustDist(t, distSpecExp2ms), Cancel: true})
	c := newClient(t)
	var wg sync.WaitGroup
	const n = 300
	for i := range n {
		ctx, leave := context.WithTimeout(context.Background(), time.Duration(i%7)*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/", nil)
		wg.Go(func() { defer leave(); send(c, req) })
		if i%10 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	waitInflight(t, s, 0)
	waitFor(t, "every worker free", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.free) == 2 && s.inService == 0
	})
	waitFor(t, "every job counted", func() bool {
		st := s.Stats()
		return st.Served+st.Cancelled == st.Requests
	})
	if st := s.Stats(); st.Cancelled == 0 || st.Served == 0 {
		t.Errorf("stats %+v: want some served and some cancelled", st)
	}
	// The workers still serve: a job of the median goes in at once, or
	// within the lead by which a worker's sleep is aimed early (a
	// completion is at its model time, up to maxLead after the wake-up
	// that freed the worker on a busy machine), never after another job.
	if r := get(c, s.URL()+"/", 0.5); r.status != http.StatusOK || r.queue > maxLead {
		t.Errorf("after the storm: status %d queued %v", r.status, r.queue)
	}
}

var distSpecExp2ms = dist.Spec{Dist: "exponential", Mean: 2 * time.Millisecond}
