package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestProgress feeds a bar from several goroutines, as the simulator does,
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
	var p *progress // not a terminal
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
