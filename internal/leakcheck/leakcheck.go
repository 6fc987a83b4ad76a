// Package leakcheck finds the goroutines a test leaves running, for the
// tests of the packages that start servers, proxies and load generators
// (realproxy and its parts, cmd/bench). Import it from _test.go files only.
//
// Goroutines are told apart by their IDs, not counted, so a goroutine that
// ends cannot hide one that leaks; the ones seen at the start of the test
// are never reported. The signal package's watcher, started once per
// process by the first signal.Notify and never stopped, is not a leak.
package leakcheck

import (
	"runtime"
	"strings"
	"testing"
	"time"
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

func check(t testing.TB, grace time.Duration) {
	t.Helper()
	before := goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(grace)
		for {
			var leaked []string
			for id, stack := range goroutines() {
				if _, ok := before[id]; !ok {
					leaked = append(leaked, stack)
				}
			}
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines left running:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// goroutines returns the stacks of the running goroutines by their
// "goroutine N" header, leaving out the caller's and the signal watcher.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || strings.Contains(g, "os/signal.signal_recv") || strings.Contains(g, "os/signal.loop") {
			continue // the first is the caller's
		}
		id, _, _ := strings.Cut(g, " [")
		out[id] = g
	}
	return out
}
