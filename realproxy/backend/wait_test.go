package backend

import (
	"testing"
	"time"
)

// TestWaitCancel: a long wait ends at once when cancelled, and a short one
// ends near its deadline (sanity bounds only).
func TestWaitInterrupt(t *testing.T) {
	c := newClock()
	for name, sl := range map[string]sleeper{"default": newSleeper(), "timer": newTimeSleeper()} {
		for _, d := range []time.Duration{0, 100 * time.Microsecond, 3 * time.Millisecond} {
			t0 := time.Now()
			if !c.until(sl, c.now()+d) {
				t.Errorf("%s: wait of %v returned false", name, d)
			}
			if el := time.Since(t0); el < d-maxLead || el > d+time.Second {
				t.Errorf("%s: wait of %v took %v", name, d, el)
			}
		}
		go func() { time.Sleep(20 * time.Millisecond); sl.interrupt() }()
		t0 := time.Now()
		if c.until(sl, c.now()+time.Hour) {
			t.Errorf("%s: an hour's wait returned true when interrupted", name)
		}
		if el := time.Since(t0); el > 2*time.Second {
			t.Errorf("%s: interrupted wait took %v", name, el)
		}
		if c.until(sl, c.now()+time.Hour) {
			t.Errorf("%s: an interrupted sleeper slept again before reuse", name)
		}
		sl.reuse()
		if !c.until(sl, c.now()+time.Millisecond) {
			t.Errorf("%s: a reused sleeper was still interrupted", name)
		}
		sl.close()
	}
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
