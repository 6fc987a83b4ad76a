package leakcheck

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is a testing.TB that keeps its cleanups and errors for the test
// to look at.
type recorder struct {
	testing.TB
	cleanups []func()
	errs     []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }

func (r *recorder) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// TestCheckReportsLeak: each goroutine started after Check and still
// running at the end is reported, with its stack; none is reported for a
// clean test. goleak prints one "Goroutine N in state ..." per leak.
func TestCheckReportsLeak(t *testing.T) {
	for _, leaks := range []int{0, 1, 2} {
		r := &recorder{TB: t}
		check(r, 50*time.Millisecond)
		stop := make(chan struct{})
		for range leaks {
			go leaky(stop)
		}
		r.finish()
		close(stop)
		if leaks == 0 {
			if len(r.errs) != 0 {
				t.Errorf("a clean test: reported %q", r.errs)
			}
			continue
		}
		if len(r.errs) != 1 || !strings.Contains(r.errs[0], "goroutines left running") ||
			strings.Count(r.errs[0], " in state ") != leaks || strings.Count(r.errs[0], "leakcheck.leaky") < leaks {
			t.Errorf("%d leaked goroutines reported as %q", leaks, r.errs)
		}
	}
}

func leaky(stop chan struct{}) { <-stop }

// TestCheckWaits checks that goroutines that end within the grace period
// and those already running are not reported, and that one that ends only
// after it is. In a synctest bubble, the grace period, goleak's own
// retries (about 0.4s) and the goroutines' sleeps are on the same fake
// clock, so which comes first is exact.
func TestCheckWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stop := make(chan struct{})
		go leaky(stop) // already running: not a leak
		defer close(stop)
		for _, tc := range []struct {
			grace, life time.Duration
			leak        bool
		}{
			{grace: 5 * time.Second, life: 50 * time.Millisecond},
			{grace: 5 * time.Second, life: 4 * time.Second},
			{grace: 1 * time.Second, life: 3 * time.Second, leak: true},
		} {
			r := &recorder{TB: t}
			check(r, tc.grace)
			done := make(chan struct{})
			go func() { time.Sleep(tc.life); close(done) }()
			r.finish()
			if tc.leak && (len(r.errs) != 1 || strings.Count(r.errs[0], " in state ") != 1) {
				t.Errorf("grace %v, a goroutine ending after %v: reported %q, want it", tc.grace, tc.life, r.errs)
			}
			if !tc.leak && len(r.errs) != 0 {
				t.Errorf("grace %v, a goroutine ending after %v: reported %q", tc.grace, tc.life, r.errs)
			}
			<-done
		}
	})
}

// TestCheckIgnoresSignalWatcher: the goroutine signal.Notify starts, once
// per process and for good, is not a leak. (Outside a bubble: in one, it
// would be the bubble's and never end.)
func TestCheckIgnoresSignalWatcher(t *testing.T) {
	r := &recorder{TB: t}
	check(r, Grace)
	signal.Notify(make(chan os.Signal, 1), os.Interrupt) // may start the watcher
	defer signal.Reset(os.Interrupt)
	r.finish()
	if len(r.errs) != 0 {
		t.Errorf("reported %q", r.errs)
	}
}
