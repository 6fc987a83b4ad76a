package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as a backend process, as the
// command's own executable does.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(serveBackend(spec))
	}
	os.Exit(m.Run())
}

// TestKillBackend kills one of four backend processes (SIGKILL) mid-run
// and starts it again. With retries no client sees an error; without, the
// only failures are requests the kill explains (in flight on the dead
// backend, or sent to it before the proxy saw it down). Either way the
// proxy's descriptors and goroutines come back to where they were. None of
// it depends on the machine's speed: a busy machine only moves the events.
func TestKillBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes and sends requests for seconds")
	}
	for _, retries := range []int{2, 0} {
		o := Options{Requests: 900, Rate: 300, Backends: 4, Retries: retries, Interval: 200 * time.Millisecond,
			Service: 500 * time.Microsecond, KillAt: time.Second, RestartAt: 2 * time.Second,
			Settle: 60 * time.Second, Slack: 8,
			// One request at a time, so that a retry never comes back to
			// the dead backend however the machine's load bunches them.
			MaxWorkers: 1}
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatalf("retries %d: %v", retries, err)
		}
		var out strings.Builder
		rep.write(&out)
		t.Logf("retries %d:\n%s", retries, out.String())
		if rep.Sent != o.Requests {
			t.Errorf("retries %d: sent %d, want %d", retries, rep.Sent, o.Requests)
		}
		if rep.Failed+rep.ByStatus["200"] != rep.Sent {
			t.Errorf("retries %d: %d failed + %d ok != %d sent", retries, rep.Failed, rep.ByStatus["200"], rep.Sent)
		}
		if len(rep.Problems) > 0 {
			t.Errorf("retries %d: %s", retries, strings.Join(rep.Problems, "; "))
		}
		// The proxy saw the dead backend go down, and come back.
		var down, up bool
		for _, h := range rep.Health {
			down = down || strings.HasSuffix(h, " down")
			up = up || down && strings.HasSuffix(h, " up")
		}
		if !down || !up {
			t.Errorf("retries %d: health events %q, want b1 down then up", retries, rep.Health)
		}
	}
}
