package leakcheck

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"testing"
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

func TestCheckReportsLeak(t *testing.T) {
	r := &recorder{TB: t}
	check(r, 50*time.Millisecond)
	stop := make(chan struct{})
	defer close(stop)
	go leaky(stop)
	r.finish()
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "1 goroutines left running") || !strings.Contains(r.errs[0], "leakcheck.leaky") {
		t.Errorf("a leaked goroutine reported as %q", r.errs)
	}
}

func leaky(stop chan struct{}) { <-stop }

// TestCheckWaits checks that goroutines that end within the grace period,
// those already running and the signal watcher are not reported.
func TestCheckWaits(t *testing.T) {
	stop := make(chan struct{})
	go leaky(stop) // already running: not a leak
	defer close(stop)
	r := &recorder{TB: t}
	check(r, 5*time.Second)
	signal.Notify(make(chan os.Signal, 1), os.Interrupt) // may start the watcher
	defer signal.Reset(os.Interrupt)
	done := make(chan struct{})
	go func() { time.Sleep(50 * time.Millisecond); close(done) }()
	r.finish()
	if len(r.errs) != 0 {
		t.Errorf("reported %q", r.errs)
	}
	<-done
}
