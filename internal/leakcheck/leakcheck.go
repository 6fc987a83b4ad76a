// Package leakcheck finds the goroutines a test leaves running, for the
// tests of the packages that start servers, proxies and load generators
// (realproxy and its parts, cmd/bench). Import it from _test.go files only.
//
// It is go.uber.org/goleak with this project's rules: goroutines are told
// apart by their IDs, not counted, so a goroutine that ends cannot hide one
// that leaks; the ones running at the start of the test are never reported
// (goleak.IgnoreCurrent); and the signal package's watcher, started once
// per process by the first signal.Notify and never stopped, is not a leak.
// goleak waits a fixed ~0.4s for stragglers; Check waits up to Grace, so
// that a loaded machine's slow connection teardown is not a failure.
package leakcheck

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Grace is how long Check lets new goroutines wind down (closed
// connections' goroutines take a moment to return) before it reports them.
const Grace = 5 * time.Second

// Check records the goroutines running now and, once the test and the
// cleanups it registers after this call have run, fails t if others are
// still running after Grace, printing their stacks. Call it first in a
// test, so that its cleanup runs last. Tests that use it must not run in
// parallel: it sees every goroutine of the process.
func Check(t testing.TB) {
	t.Helper()
	check(t, Grace)
}

// ignore is what is never a leak, beside goleak's defaults (the testing
// package's own goroutines): the signal watcher, whichever of its
// functions the stack shows. The caller's goroutine is skipped by goleak.
var ignore = []goleak.Option{
	goleak.IgnoreAnyFunction("os/signal.signal_recv"),
	goleak.IgnoreAnyFunction("os/signal.loop"),
}

func check(t testing.TB, grace time.Duration) {
	t.Helper()
	opts := append([]goleak.Option{goleak.IgnoreCurrent()}, ignore...)
	t.Cleanup(func() {
		deadline := time.Now().Add(grace)
		for {
			// Find itself retries for about 0.4s before it reports.
			err := goleak.Find(opts...)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("goroutines left running %v after the test: %v", grace, err)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
