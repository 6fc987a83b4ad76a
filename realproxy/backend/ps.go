package backend

import (
	"net/http"
	"strconv"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// Processor sharing (Config.PS, servers[].discipline: ps).
//
// The discipline is model.PS, the simulator's: a virtual clock and a heap of
// the jobs' finish values, driven here on the server's clock (the model's
// time, as FIFO's deadlines are) instead of by events. No request sleeps
// for its own service time, since that changes with every arrival and
// departure: one scheduler goroutine per server, running while it holds
// jobs, sleeps on a sleeper (a timerfd, aimed early by the clock's lead, as
// FIFO's workers do) until model.PS's next completion, completes the jobs
// due then and releases their handlers, and computes the next one. An
// arrival, a removal, a slowdown or a crash changes the jobs under mu and
// interrupts the sleep, so the scheduler recomputes.
//
// Times are the model's: each change happens at max(its clock time, the
// latest change's), completions at exactly the times model.PS predicted,
// however late the scheduler woke. A late wake-up delays those responses,
// never the other jobs' progress, so busy time, the order of completions
// and the headers' values are the model's. An arrival that the scheduler's
// early aim (the lead, at most 250µs) lets a completion overtake is taken
// to arrive with it, at most that much later than it came.
//
// Busy time is min(n, c) workers while n jobs are in service, as in the
// simulator. X-Fulcrum-Service is the job's full-speed service time (its
// draw; a slowdown stretches its time in service, not its demand);
// X-Fulcrum-Queue is 0 for a job that arrived to find fewer than c jobs,
// else the time it lost to sharing (at least 1µs), so that the real engine
// counts wait_probability as the simulator does. queue_limit bounds n - c.
type psState struct {
	q       *model.PS[*psJob]
	last    time.Duration // model time of the latest change
	wake    sleeper       // the scheduler's; nil until it first runs
	running bool          // the scheduler goroutine is running
	done    []*psJob      // reused by the scheduler
}

// psJob is a request in service at a PS server.
type psJob struct {
	arrival time.Duration
	size    time.Duration // full-speed service time
	shared  bool          // it found n >= c
	end     chan time.Duration
}

// psRequest serves j on a PS server: 503 when n - c >= QueueLimit, else in
// service at once until model.PS completes it. Called with mu held (the
// errors fault already drawn); it unlocks.
func (s *Server) psRequest(lf *life, w http.ResponseWriter, r *http.Request, j *job) {
	p := s.ps
	s.psCatchUp(j.arrival)
	if p.q.Full(s.cfg.QueueLimit) {
		s.st.Rejected503++
		s.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(fullBody)
		return
	}
	pj := &psJob{arrival: j.arrival, size: s.demand(j), shared: p.q.Shared(), end: make(chan time.Duration, 1)}
	s.psChange(max(j.arrival, p.last))
	p.q.Add(p.last, pj, pj.size)
	s.inService++
	if s.trace != nil {
		s.trace(j.path)
	}
	s.psKick()
	s.mu.Unlock()

	var left <-chan struct{} // nil: a client going away changes nothing
	if s.cfg.Cancel {
		left = r.Context().Done()
	}
	var end time.Duration
	select {
	case end = <-pj.end:
	case <-lf.drop:
		panic(http.ErrAbortHandler)
	case <-left:
		s.mu.Lock()
		if s.life == lf {
			s.psCatchUp(s.clk.now())
		}
		if s.life == lf && p.q.Remove(max(s.clk.now(), p.last), pj) {
			s.psLeft()
		}
		s.mu.Unlock()
		panic(http.ErrAbortHandler)
	}
	h := w.Header()
	h[wire.Service] = []string{strconv.FormatInt(int64((pj.size+500)/time.Microsecond), 10)}
	lost := time.Duration(0)
	if pj.shared {
		lost = max(end-pj.arrival-pj.size, time.Microsecond)
	}
	h[wire.Queue] = []string{strconv.FormatInt(int64((lost+500)/time.Microsecond), 10)}
	h[wire.Response] = []string{strconv.FormatInt(int64((end-pj.arrival+500)/time.Microsecond), 10)}
	_, _ = w.Write(okBody)
}

// psChange moves the model to time t (>= the latest change), counting the
// busy workers' time up to it. Called with mu held, before each change.
func (s *Server) psChange(t time.Duration) {
	p := s.ps
	s.busyAcc += time.Duration(p.q.Busy()) * (t - p.last)
	p.last = t
}

// psBusyPending is the busy time since the latest change, up to now (which
// may be a little before it: a completion aimed early). Called with mu held.
func (s *Server) psBusyPending(now time.Duration) time.Duration {
	return time.Duration(s.ps.q.Busy()) * (now - s.ps.last)
}

// psKick tells the scheduler the jobs changed, starting it if it is not
// running. Called with mu held.
func (s *Server) psKick() {
	p := s.ps
	if p.running {
		p.wake.interrupt()
		return
	}
	if p.q.Len() == 0 {
		return
	}
	if p.wake == nil {
		if n := len(s.sleepers); n > 0 {
			p.wake = s.sleepers[n-1]
			s.sleepers = s.sleepers[:n-1]
			p.wake.reuse()
		} else {
			p.wake = newSleeper()
		}
	}
	p.running = true
	s.psRunning.Add(1)
	go s.psSchedule()
}

// psLeft accounts for a job removed because its client went away. Called
// with mu held, after model.PS.Remove.
func (s *Server) psLeft() {
	s.inService--
	s.st.Cancelled++
	s.psKick()
	if s.inService == 0 {
		s.announceIdle()
	}
}

// psSchedule is the scheduler goroutine: it runs until the server is empty.
func (s *Server) psSchedule() {
	defer s.psRunning.Done()
	p := s.ps
	for {
		s.mu.Lock()
		p.wake.reuse() // a change from here on interrupts the wait below
		at, ok := p.q.Next(p.last)
		if !ok {
			p.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if !s.clk.until(p.wake, at) {
			continue // the jobs changed: predict again
		}
		s.mu.Lock()
		if now, ok := p.q.Next(p.last); !ok || now != at {
			s.mu.Unlock()
			continue // changed between the wake-up and the lock
		}
		s.psComplete(at)
		s.mu.Unlock()
	}
}

// psComplete ends the jobs model.PS completes at at, the model's next
// completion. Called with mu held.
func (s *Server) psComplete(at time.Duration) {
	p := s.ps
	s.psChange(at)
	p.done = p.q.Done(at, p.done[:0])
	for i, pj := range p.done {
		s.inService--
		s.st.Served++
		s.latency.Add(at - pj.arrival)
		pj.end <- at
		p.done[i] = nil
	}
	if s.inService == 0 {
		s.announceIdle()
	}
}

// psCatchUp completes, at their own times, the jobs the model has done by
// t that the scheduler goroutine has not yet ended (it wakes late on a
// busy machine), so that a change at t (an arrival, a departure, a
// slowdown, a crash) applies to the jobs really there and the busy time
// never counts a finished job. Called with mu held.
func (s *Server) psCatchUp(t time.Duration) {
	p := s.ps
	for {
		at, ok := p.q.Next(p.last)
		if !ok || at > t {
			return
		}
		s.psComplete(at)
	}
}

// psSlowdown sets the slowdown factor of the jobs in service from now.
// Called with mu held.
func (s *Server) psSlowdown(f float64) {
	p := s.ps
	s.psCatchUp(s.clk.now())
	s.psChange(max(s.clk.now(), p.last))
	p.q.SetSlow(p.last, f)
	s.psKick()
}

// psEnd drops every job at a crash or a forced close (end counts them).
// Called with mu held.
func (s *Server) psEnd(now time.Duration) {
	p := s.ps
	s.psCatchUp(now)
	s.psChange(max(now, p.last))
	p.q.Clear(p.last)
	s.psKick() // the scheduler finds nothing and ends
}
