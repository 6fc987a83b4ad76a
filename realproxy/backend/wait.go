package backend

import (
	"sync/atomic"
	"time"
)

const (
	// maxLead caps how early a wait aims; leadSampleCap clips one lateness
	// sample so a rare scheduling stall does not drag the estimate.
	maxLead       = 250 * time.Microsecond
	leadSampleCap = 400 * time.Microsecond
	// leadShift sets the EWMA's weight: 1/32 per sample.
	leadShift = 5
)

// sleeper is one reusable timer a worker sleeps on. sleep and reuse are
// called by its one user at a time; interrupt may come from any goroutine.
type sleeper interface {
	// sleep blocks for d; false if interrupted (before or during it).
	sleep(d time.Duration) bool
	// interrupt ends the current or next sleep early, until reuse.
	interrupt()
	// reuse clears an interrupt, for the sleeper's next user.
	reuse()
	close()
}

// timeSleeper is a sleeper on a Go timer: cheap, but Go's timers wake
// through epoll_wait's millisecond timeout, so up to about 1ms late (see the
// package doc). It is the fallback where there is no timerfd.
type timeSleeper struct {
	t    *time.Timer
	intr chan struct{} // buffered 1
}

func newTimeSleeper() *timeSleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &timeSleeper{t: t, intr: make(chan struct{}, 1)}
}

func (s *timeSleeper) sleep(d time.Duration) bool {
	s.t.Reset(d)
	select {
	case <-s.t.C:
		return true
	case <-s.intr:
		s.t.Stop()
		s.interrupt() // stay interrupted until reuse
		return false
	}
}

func (s *timeSleeper) interrupt() {
	select {
	case s.intr <- struct{}{}:
	default:
	}
}

func (s *timeSleeper) reuse() {
	select {
	case <-s.intr:
	default:
	}
}

func (s *timeSleeper) close() { s.t.Stop() }

// clock is a server's time, as durations since an epoch, and its waits
// for deadlines on it. It aims each wait early by its running estimate of
// how late a sleeper wakes. It is safe for concurrent use.
type clock struct {
	epoch time.Time
	lead  atomic.Int64 // ns: EWMA of the lateness of wake-ups
}

func newClock() *clock { return &clock{epoch: time.Now()} }

// now is the time since the epoch (monotonic).
func (c *clock) now() time.Duration { return time.Since(c.epoch) }

// Lead is the current estimate of a wake-up's lateness.
func (c *clock) Lead() time.Duration { return time.Duration(c.lead.Load()) }

// until sleeps on sl until about deadline, aiming Lead() early; false if
// sl was interrupted.
func (c *clock) until(sl sleeper, deadline time.Duration) bool {
	target := deadline - c.Lead()
	for {
		rem := target - c.now()
		if rem <= 0 {
			return true
		}
		if !sl.sleep(rem) {
			return false
		}
		if late := c.now() - target; late >= 0 {
			c.learn(late)
			return true
		}
	}
}

// learn folds one lateness sample into the lead estimate:
//
//	lead += (min(late, leadSampleCap) - lead) / 32, then lead <= maxLead
func (c *clock) learn(late time.Duration) {
	late = min(late, leadSampleCap)
	for {
		old := c.lead.Load()
		n := old + (int64(late)-old)>>leadShift
		n = min(max(n, 0), int64(maxLead))
		if c.lead.CompareAndSwap(old, n) {
			return
		}
	}
}
