package backend

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestWaitInterrupt, on the real sleepers (a timerfd on Linux, a Go timer):
// a wait ends no earlier than its deadline less the lead cap; an interrupt
// ends an hour's wait, whether it comes during the sleep or before it, and
// sticks until reuse.
func TestWaitInterrupt(t *testing.T) {
	c := newClock()
	for name, sl := range map[string]sleeper{"default": newSleeper(), "timer": newTimeSleeper()} {
		for _, d := range []time.Duration{0, 100 * time.Microsecond, 3 * time.Millisecond} {
			t0 := time.Now()
			if !c.until(sl, c.now()+d) {
				t.Errorf("%s: wait of %v returned false", name, d)
			}
			// How late it wakes is the machine's business (BenchmarkSleep).
			if el := time.Since(t0); el < d-maxLead {
				t.Errorf("%s: wait of %v took %v, less than the lead cap %v early", name, d, el, maxLead)
			}
		}
		hour := func() <-chan bool {
			woke := make(chan bool, 1)
			go func() { woke <- c.until(sl, c.now()+time.Hour) }()
			return woke
		}
		// During the sleep.
		woke := hour()
		waitAsleep(t, sl)
		sl.interrupt()
		if waitResult(t, woke, name+": an hour's wait interrupted during its sleep") {
			t.Errorf("%s: an hour's wait returned true when interrupted", name)
		}
		if waitResult(t, hour(), name+": an interrupted sleeper's next wait") {
			t.Errorf("%s: an interrupted sleeper slept again before reuse", name)
		}
		sl.reuse()
		if !c.until(sl, c.now()+time.Millisecond) {
			t.Errorf("%s: a reused sleeper was still interrupted", name)
		}
		// Before the sleep.
		sl.interrupt()
		if waitResult(t, hour(), name+": an hour's wait interrupted before its sleep") {
			t.Errorf("%s: an hour's wait interrupted before it began returned true", name)
		}
		sl.reuse()
		sl.close()
	}
}

// waitResult waits for a wait's result and returns it, failing t if none
// comes within the hang guard.
func waitResult(t *testing.T, woke <-chan bool, what string) bool {
	t.Helper()
	select {
	case ok := <-woke:
		return ok
	case <-time.After(hangGuard):
		t.Fatalf("%s has not ended after %v", what, hangGuard)
		return false
	}
}

// waitAsleep waits until a goroutine is parked in sl's sleep: a timerfd
// read in the netpoller ("IO wait"), a Go timer's select.
func waitAsleep(t *testing.T, sl sleeper) {
	t.Helper()
	frame := fmt.Sprintf("%T", sl) // *backend.timerfdSleeper
	frame = "backend.(*" + strings.TrimPrefix(frame, "*backend.") + ").sleep("
	buf := make([]byte, 1<<20)
	waitFor(t, "a goroutine asleep in "+frame, func() bool {
		for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			parked := strings.Contains(g, " [IO wait") || strings.Contains(g, " [select")
			if parked && strings.Contains(g, frame) {
				return true
			}
		}
		return false
	})
}

// TestUntilInBubble: on a Go timer in a synctest bubble, where wake-ups
// are punctual, until wakes exactly at its deadline less the lead, learns
// from each wake-up, returns at once for a past deadline, and an interrupt
// ends a sleep at once.
func TestUntilInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClock()
		sl := newTimeSleeper()
		defer sl.close()
		us := time.Microsecond
		for _, tc := range []struct {
			lead, d, want, leadAfter time.Duration
		}{
			{0, 3 * time.Millisecond, 3 * time.Millisecond, 0},
			// A punctual wake-up pulls the lead 1/32 of the way to 0.
			{100 * us, 3 * time.Millisecond, 2900 * us, 96875 * time.Nanosecond},
			// A deadline already past: no sleep, nothing learnt.
			{0, -time.Millisecond, 0, 0},
		} {
			c.lead.Store(int64(tc.lead))
			t0 := time.Now()
			if !c.until(sl, c.now()+tc.d) {
				t.Errorf("lead %v, wait %v: returned false", tc.lead, tc.d)
			}
			if el := time.Since(t0); el != tc.want || c.Lead() != tc.leadAfter {
				t.Errorf("lead %v, wait %v: woke after %v with lead %v, want %v and %v", tc.lead, tc.d, el, c.Lead(), tc.want, tc.leadAfter)
			}
		}
		t0 := time.Now()
		woke := make(chan bool, 1)
		go func() { woke <- c.until(sl, c.now()+time.Hour) }()
		synctest.Wait()
		select {
		case <-woke:
			t.Fatal("an hour's wait ended without an interrupt")
		default:
		}
		sl.interrupt()
		if <-woke || time.Since(t0) != 0 {
			t.Errorf("interrupted wait: returned true or took %v", time.Since(t0))
		}
	})
}

func TestLeadEstimate(t *testing.T) {
	w := newClock()
	for range 1000 {
		w.learn(80 * time.Microsecond)
	}
	if l := w.Lead(); l < 75*time.Microsecond || l > 80*time.Microsecond {
		t.Errorf("lead after steady 80µs lateness: %v", l)
	}
	for range 1000 {
		w.learn(time.Second)
	}
	if l := w.Lead(); l != maxLead {
		t.Errorf("lead after huge lateness: %v, want the cap %v", l, maxLead)
	}
	for range 1000 {
		w.learn(0)
	}
	if l := w.Lead(); l != 0 {
		t.Errorf("lead after punctual wake-ups: %v, want 0", l)
	}
}
