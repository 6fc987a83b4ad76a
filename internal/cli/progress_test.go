package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// TestProgress feeds a bar from several goroutines, as an engine does,
// and checks that it drew something and cleared its line when stopped.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "tiny", 1000, 0)
	add := p.Func()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				add(1)
			}
		})
	}
	wg.Wait()
	time.Sleep(3 * progressTick)
	add(5000) // more than the estimate: the bar must not finish early
	time.Sleep(4 * progressTick)
	p.Stop()
	out := buf.String()
	if !strings.Contains(out, "tiny") || !strings.Contains(out, "(999/1000") {
		t.Errorf("bar never showed 999/1000:\n%q", out)
	}
	if !strings.HasSuffix(out, "\033[2K\r") {
		t.Errorf("bar not cleared at the end:\n%q", out)
	}
}

func TestProgressNil(t *testing.T) {
	var p *Progress // not a terminal
	if p.Func() != nil {
		t.Error("nil progress has a Func")
	}
	p.Stop()
}

func TestProgressQuickRunShowsNothing(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "tiny", 1000, time.Hour)
	p.Func()(10)
	time.Sleep(2 * progressTick)
	p.Stop()
	if buf.Len() != 0 {
		t.Errorf("a run shorter than the delay drew %q", buf.String())
	}
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
