package cli

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Progress display timing: nothing is shown for runs shorter than
// progressDelay, and the bar is redrawn at most every progressTick.
const (
	progressDelay = time.Second
	progressTick  = 100 * time.Millisecond
)

// Progress shows a run's progress on a terminal. The engine reports what it
// has done (the simulator its arrivals, the real engine its answered
// requests) from its goroutines through Func, which only adds to a counter;
// one goroutine of Progress's own draws the bar, so the bar is never
// touched concurrently.
type Progress struct {
	count atomic.Int64
	done  chan struct{}
	wg    sync.WaitGroup
	bar   *progressbar.ProgressBar // owned by the drawing goroutine until it ends
}

// StartProgress starts a progress display on w, if w is a terminal, for a
// run titled name that is expected to report total in all (see
// ExpectedArrivals); otherwise it returns nil, whose Func is nil and Stop a
// no-op. A total of 0 or less, unknown, makes a spinner with a count.
func StartProgress(w io.Writer, name string, total int64) *Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return newProgress(f, name, total, progressDelay)
}

// newProgress starts drawing a bar on w, titled name, once delay has passed.
// A total of 0 or less makes a spinner.
func newProgress(w io.Writer, name string, total int64, delay time.Duration) *Progress {
	p := &Progress{done: make(chan struct{})}
	p.wg.Add(1)
	go p.draw(w, name, total, delay)
	return p
}

// Func returns the function for the engine's Progress option
// (sim.Options.Progress, realproxy.Options.Progress): nil when there is no
// display, so the engine does not even count.
func (p *Progress) Func() func(n int64) {
	if p == nil {
		return nil
	}
	return func(n int64) { p.count.Add(n) }
}

// Stop ends the display and clears the bar from the terminal, so that what
// is printed next starts on a clean line.
func (p *Progress) Stop() {
	if p == nil {
		return
	}
	close(p.done)
	p.wg.Wait()
	if p.bar != nil {
		p.bar.Finish() // with OptionClearOnFinish, this erases the line
	}
}

func (p *Progress) draw(w io.Writer, name string, total int64, delay time.Duration) {
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

// ExpectedArrivals estimates how many requests one run of sc reports
// through its Progress option over all its algorithms (model's estimate
// per algorithm, times the algorithms), or returns 0 if it cannot tell.
func ExpectedArrivals(sc *scenarios.Scenario) int64 {
	return model.ExpectedArrivals(sc) * int64(len(sc.Algorithms))
}
