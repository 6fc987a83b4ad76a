package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// TestProgress feeds a bar from several goroutines, as an engine does, and
// checks what each redraw shows and that it cleared its line when stopped.
// In a synctest bubble the ticker fires on the fake clock, so each
// time.Sleep(progressTick) is exactly one redraw, whatever the machine's
// speed.
func TestProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf lockedBuffer
		p := newProgress(&buf, "tiny", 1000, 0)
		add := p.Func()
		seen := 0
		redraw := func() string { // what the next tick draws
			time.Sleep(progressTick)
			synctest.Wait() // the drawing goroutine is back waiting for its ticker
			out := buf.String()[seen:]
			seen += len(out)
			return out
		}
		if out := redraw(); !strings.Contains(out, "tiny") || !strings.Contains(out, "(0/1000") {
			t.Errorf("first tick drew %q, want a blank bar named tiny", out)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 100 {
					add(1)
				}
			})
		}
		wg.Wait()
		if out := redraw(); !strings.Contains(out, "(400/1000") {
			t.Errorf("after 400 reported, the tick drew %q", out)
		}
		if out := redraw(); out != "" {
			t.Errorf("with nothing new reported, the tick drew %q", out)
		}
		add(5000) // more than the estimate: the bar must not finish early
		if out := redraw(); !strings.Contains(out, "(999/1000") {
			t.Errorf("past the estimate, the tick drew %q, want 999/1000", out)
		}
		p.Stop()
		if out := buf.String()[seen:]; out != "\033[2K\r" {
			t.Errorf("Stop wrote %q, want the line cleared", out)
		}
	})
}

// lockedBuffer is a bytes.Buffer the drawing goroutine writes while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

func TestProgressNil(t *testing.T) {
	var p *Progress // not a terminal
	if p.Func() != nil {
		t.Error("nil progress has a Func")
	}
	p.Stop()
}

// TestProgressDelay: nothing is drawn before progressDelay has passed, so a
// quick run shows nothing; the first tick after it draws the bar.
func TestProgressDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf lockedBuffer
		p := newProgress(&buf, "tiny", 1000, progressDelay)
		p.Func()(10)
		time.Sleep(progressDelay - progressTick)
		synctest.Wait()
		if buf.Len() != 0 {
			t.Errorf("a run shorter than the delay drew %q", buf.String())
		}
		time.Sleep(progressTick)
		synctest.Wait()
		if out := buf.String(); !strings.Contains(out, "tiny") {
			t.Errorf("at the delay, drew %q, want the bar", out)
		}
		p.Stop()
	})
}

// TestProgressQuickRunShowsNothing: stopped before the delay, nothing at
// all is written, not even the clearing of a line.
func TestProgressQuickRunShowsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf lockedBuffer
		p := newProgress(&buf, "tiny", 1000, progressDelay)
		p.Func()(10)
		time.Sleep(progressDelay - progressTick)
		p.Stop()
		if buf.Len() != 0 {
			t.Errorf("a run shorter than the delay drew %q", buf.String())
		}
	})
}

func TestExpectedArrivals(t *testing.T) {
	for _, tc := range []struct {
		extra string
		want  int64
	}{
		{"requests: 3000\n", 2 * 3000},
		{"requests: 3000\nwarmup: 500ms\n", 2 * 4000},
		{"requests: 3000\nduration: 1s\n", 2 * 2000}, // the duration caps the run
		{"duration: 2s\n", 2 * 4000},
	} {
		sc, err := scenarios.Parse("x.yaml", []byte(`name: x
arrivals: {process: poisson, rate: 2000}
servers:
  - {name: web, service: {dist: exponential, mean: 1ms}}
algorithms: [round-robin, random]
`+tc.extra))
		if err != nil {
			t.Fatalf("%q: %v", tc.extra, err)
		}
		if got := ExpectedArrivals(sc); got != tc.want {
			t.Errorf("%q: ExpectedArrivals = %d, want %d", tc.extra, got, tc.want)
		}
	}
}
