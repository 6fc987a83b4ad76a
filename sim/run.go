package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Options tune a run without changing its results.
type Options struct {
	// Progress, if set, is called from the simulating goroutines with the
	// number of arrivals processed since the last call (in batches).
	Progress func(arrivals int64)
	// Parallelism bounds how many algorithms run at once; 0 = GOMAXPROCS.
	Parallelism int
}

// Run simulates every algorithm of sc, in parallel across cores, each on the
// same traffic, and returns the summary. The same scenario and seed give the
// same Summary, whatever Options say.
func Run(ctx context.Context, sc *scenarios.Scenario, opt Options) (*report.Summary, error) {
	n := len(sc.Algorithms)
	if n == 0 {
		return nil, fmt.Errorf("sim: scenario %s lists no algorithms", sc.Name)
	}
	if err := sc.Unsupported("sim", model.Supports); err != nil {
		return nil, err
	}
	// Someone else's servers (urls) are simulated only through a fitted
	// model of them: the file's service for their group.
	if err := sc.Unsimulated("sim"); err != nil {
		return nil, err
	}
	par := opt.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	// At most par at once; the first failure cancels the others, and those
	// not yet started return at once with the cancellation.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	out := make([]report.Algorithm, n)
	errs := make([]error, n)
	for i := range n {
		g.Go(func() error {
			if errs[i] = gctx.Err(); errs[i] != nil {
				return errs[i]
			}
			out[i], errs[i] = RunAlgorithm(gctx, sc, i, opt.Progress)
			return errs[i]
		})
	}
	if g.Wait() != nil {
		return nil, firstFailure(errs)
	}
	return &report.Summary{
		Scenario:         sc.Name,
		Engine:           "sim",
		Seed:             sc.Seed,
		Algorithms:       out,
		ScenarioResolved: sc.Resolved(),
	}, nil
}

// firstFailure returns the error of the lowest index that is not a
// cancellation (one that another's failure caused), or the first error if
// all are: the same report whatever order the goroutines ran in.
func firstFailure(errs []error) error {
	var first error
	for _, err := range errs {
		if err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	return first
}

// RunAlgorithm simulates algorithm i of sc alone. progress may be nil.
func RunAlgorithm(ctx context.Context, sc *scenarios.Scenario, i int, progress func(int64)) (report.Algorithm, error) {
	if i < 0 || i >= len(sc.Algorithms) {
		return report.Algorithm{}, fmt.Errorf("sim: no algorithm %d in scenario %s", i, sc.Name)
	}
	e, err := newEngine(sc, i, progress)
	if err != nil {
		return report.Algorithm{}, err
	}
	defer e.close()
	if err := e.run(ctx); err != nil {
		return report.Algorithm{}, err
	}
	return e.result(i), nil
}

// result assembles the figures of a finished run: the recorder's, with the
// servers' busy time over the measured window.
func (e *engine) result(i int) report.Algorithm {
	e.rec.Window(e.windowStart, e.windowEnd)
	if model.HasCrashes(e.sc) {
		e.rec.Availability(e.faults.Availability(e.windowStart, e.windowEnd))
	}
	for si := range e.servers {
		s := &e.servers[si]
		e.rec.Busy(si, time.Duration(s.busyEnd-s.busyStart))
	}
	return e.rec.Result(e.sc.Algorithms[i])
}

// close releases what the balancers hold (an external strategy's process):
// those that are io.Closers are closed.
func (e *engine) close() {
	if e.arrivals != nil {
		e.arrivals.Close() // a trace's file, if the run ended before it did
	}
	for j := range e.bals {
		if c, ok := e.bals[j].b.(io.Closer); ok {
			c.Close()
		}
	}
}
