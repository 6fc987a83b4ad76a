package sim

import (
	"context"
	"errors"

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
	return nil, errors.New("sim: not implemented yet")
}
