package main

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Progress display timing: nothing is shown for runs shorter than
// progressDelay, and the bar is redrawn at most every progressTick.
const (
	progressDelay = time.Second
	progressTick  = 100 * time.Millisecond
)

// progress shows a run's progress on a terminal. The engine reports
// answered requests through Func, which only adds to a counter;
// one goroutine of progress's own draws the bar, so the bar is never touched
// concurrently.
type progress struct {
	count atomic.Int64
	done  chan struct{}
	wg    sync.WaitGroup
	bar   *progressbar.ProgressBar // owned by the drawing goroutine until it ends
}

// startProgress starts a progress display on w for a real run of sc with
// repeat repetitions, if w is a terminal; otherwise it returns nil, whose
// Func is nil and Stop a no-op.
//
// The bar counts answered requests over every algorithm and repetition. Its
// total is the expected number of arrivals: the measured requests plus
// those of the warm-up when requests are set, else rate x duration. If
// neither can be known it is a spinner with a count.
func startProgress(w io.Writer, sc *scenarios.Scenario, repeat int) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return newProgress(f, sc.Name, expectedArrivals(sc)*int64(max(repeat, 1)), progressDelay)
}

// newProgress starts drawing a bar on w, titled name, once delay has passed.
// A total of 0 or less makes a spinner.
func newProgress(w io.Writer, name string, total int64, delay time.Duration) *progress {
	p := &progress{done: make(chan struct{})}
	p.wg.Add(1)
	go p.draw(w, name, total, delay)
	return p
}

// Func returns the function for realproxy.Options.Progress: nil when there
// is no display, so the engine does not even count.
func (p *progress) Func() func(answered int64) {
	if p == nil {
		return nil
	}
	return func(answered int64) { p.count.Add(answered) }
}

// Stop ends the display and clears the bar from the terminal, so that what
// is printed next starts on a clean line.
func (p *progress) Stop() {
	if p == nil {
		return
	}
	close(p.done)
	p.wg.Wait()
	if p.bar != nil {
		p.bar.Finish() // with OptionClearOnFinish, this erases the line
	}
}

func (p *progress) draw(w io.Writer, name string, total int64, delay time.Duration) {
	defer p.wg.Done()
	start := time.Now()
	tick := time.NewTicker(progressTick)
	defer tick.Stop()
	var shown int64
	for {
		select {
		case <-p.done:
			return
		case <-tick.C:
		}
		if p.bar == nil {
			if time.Since(start) < delay {
				continue
			}
			p.bar = newBar(w, name, total)
		}
		n := p.count.Load()
		if total > 0 {
			// The total is an estimate; never let the bar reach it, which
			// would finish it before the run has.
			n = min(n, total-1)
		}
		if n > shown {
			p.bar.Add64(n - shown)
			shown = n
		}
	}
}

func newBar(w io.Writer, name string, total int64) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionSetItsString("req"),
		progressbar.OptionShowIts(),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(progressTick),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionSetRenderBlankState(true),
	}
	if total <= 0 {
		total = -1 // unknown: a spinner
		opts = append(opts, progressbar.OptionSpinnerType(14))
	}
	return progressbar.NewOptions64(total, opts...)
}

// expectedArrivals estimates how many requests a run of sc reports through
// Progress over all its algorithms (once each), or returns 0 if it cannot
// tell.
func expectedArrivals(sc *scenarios.Scenario) int64 {
	rate := sc.ArrivalRate()
	var per float64
	switch {
	case sc.Requests > 0:
		per = float64(sc.Requests) + rate*sc.Warmup.Seconds()
		if sc.Duration > 0 && rate > 0 {
			per = min(per, rate*sc.Duration.Seconds())
		}
	case sc.Duration > 0 && rate > 0:
		per = rate * sc.Duration.Seconds()
	}
	return int64(per) * int64(len(sc.Algorithms))
}
