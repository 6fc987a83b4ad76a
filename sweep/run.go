// Package sweep runs every algorithm of a scenario at each value of one
// numeric parameter (a load, a server count, a service time), each point
// with K seeds, and aggregates the figures over the seeds: their mean and a
// 95% confidence interval by Student's t. A sweep can be split into shards
// run on different machines and joined again with Merge; the result is
// report.Sweep, written as sweep.json and sweep.csv.
//
// Where the swept scenario is a queueing model with a closed form (random
// and round-robin routing to identical exponential servers), the sweep
// carries theory's curves beside the simulated ones.
package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"

	"golang.org/x/sync/errgroup"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
)

// Figures are the keys of the figures of every SweepPoint, in the order of
// sweep.csv's columns (report.SweepFigures).
var Figures = report.Keys(report.SweepFigures)

// Options say what to sweep. The same scenario and Options (but Progress
// and Parallelism) give the same Sweep.
type Options struct {
	Param  string    // a numeric field's path in the scenario file, e.g. "arrivals.load"
	Values []float64 // in seconds for a duration field
	// Seeds is K >= 1: every point runs with seeds sc.Seed .. sc.Seed+K-1.
	Seeds int
	// Shard and Shards select a part of the sweep: the points whose index
	// (value index x number of labels + label index) is Shard modulo
	// Shards. Shards 0 or 1 is the whole sweep.
	Shard, Shards int
	// Progress, if set, is called from the simulating goroutines with the
	// number of arrivals processed since the last call.
	Progress func(arrivals int64)
	// Parallelism bounds how many runs go at once; 0 = GOMAXPROCS. Each
	// run is one algorithm at one value with one seed, on one core.
	Parallelism int
}

// Scenarios returns sc with param set to each value (seconds for a
// duration field), each loaded and validated as a file would be. The error
// names the param and the value: "arrivals.load = 0: must be > 0 ...".
func Scenarios(sc *scenarios.Scenario, param string, values []float64) ([]*scenarios.Scenario, error) {
	if _, _, err := sc.Number(param); err != nil {
		return nil, err
	}
	out := make([]*scenarios.Scenario, len(values))
	for i, v := range values {
		s, err := sc.WithNumber(param, v)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// InShard reports whether point i of a sweep belongs to shard of shards.
func InShard(i, shard, shards int) bool { return shards <= 1 || i%shards == shard }

// Run runs the points of opt's shard of the sweep, every (value, algorithm,
// seed) on its own core, and aggregates them per point.
func Run(ctx context.Context, sc *scenarios.Scenario, opt Options) (*report.Sweep, error) {
	sw, scs, err := plan(sc, opt)
	if err != nil {
		return nil, err
	}
	nl, k := len(sw.Labels), len(sw.Seeds)
	type job struct{ point, seed int }
	var jobs []job
	for p := range len(sw.Values) * nl {
		if InShard(p, opt.Shard, opt.Shards) {
			for s := range k {
				jobs = append(jobs, job{p, s})
			}
		}
	}
	results := make([]run, len(jobs))
	errs := make([]error, len(jobs))

	par := opt.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	// At most par runs at once; the first failure cancels the others, and
	// those not yet started return at once with the cancellation.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	for j := range jobs {
		g.Go(func() error {
			if errs[j] = gctx.Err(); errs[j] != nil {
				return errs[j]
			}
			vi, li := jobs[j].point/nl, jobs[j].point%nl
			s := scs[vi].Clone()
			s.Seed = sw.Seeds[jobs[j].seed]
			a, err := sim.RunAlgorithm(gctx, s, li, opt.Progress)
			if err != nil {
				errs[j] = fmt.Errorf("%s = %v, %s, seed %d: %w", sw.Param, sw.Values[vi], sw.Labels[li], s.Seed, err)
				return errs[j]
			}
			results[j] = figures(a)
			return nil
		})
	}
	failed := g.Wait() != nil
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if failed {
		// The first failure, not the runs it cancelled.
		var first error
		for _, err := range errs {
			if err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
				first = err
			}
		}
		return nil, first
	}

	for j := 0; j < len(jobs); j += k {
		p := jobs[j].point
		sw.Points = append(sw.Points, aggregate(sw.Values[p/nl], sw.Labels[p%nl], results[j:j+k]))
	}
	return sw, nil
}

// plan checks opt and returns the sweep's description, without points, and
// the scenario at each value.
func plan(sc *scenarios.Scenario, opt Options) (*report.Sweep, []*scenarios.Scenario, error) {
	switch {
	case opt.Param == "":
		return nil, nil, errors.New("sweep: no parameter to sweep")
	case len(opt.Values) == 0:
		return nil, nil, errors.New("sweep: no values")
	case opt.Seeds < 1:
		return nil, nil, fmt.Errorf("sweep: %d seeds; want at least 1", opt.Seeds)
	case opt.Shards > 1 && (opt.Shard < 0 || opt.Shard >= opt.Shards):
		return nil, nil, fmt.Errorf("sweep: shard %d/%d; want 0 <= shard < shards", opt.Shard, opt.Shards)
	case sc.Seed > math.MaxUint64-uint64(opt.Seeds-1):
		return nil, nil, fmt.Errorf("sweep: seeds from %d: %d seeds do not fit in 64 bits", sc.Seed, opt.Seeds)
	}
	_, duration, err := sc.Number(opt.Param)
	if err != nil {
		return nil, nil, err
	}
	scs, err := Scenarios(sc, opt.Param, opt.Values)
	if err != nil {
		return nil, nil, err
	}
	resolved, err := json.Marshal(sc.Resolved())
	if err != nil {
		return nil, nil, err
	}
	sw := &report.Sweep{
		Scenario:         sc.Name,
		Engine:           "sim",
		Param:            opt.Param,
		Values:           append([]float64(nil), opt.Values...),
		Points:           []report.SweepPoint{}, // [], not null, for an empty shard
		Theory:           theoryCurves(scs),
		ScenarioResolved: resolved,
	}
	if duration {
		sw.Unit = "s"
	}
	for i := range opt.Seeds {
		sw.Seeds = append(sw.Seeds, sc.Seed+uint64(i))
	}
	for _, a := range sc.Algorithms {
		sw.Labels = append(sw.Labels, a.Label)
	}
	if opt.Shards > 1 {
		sw.Shard = FormatShard(opt.Shard, opt.Shards)
	}
	return sw, scs, nil
}

// run is what a point keeps of one run: its figures in the order of
// Figures, and the mean's own batch-means half-width.
type run struct {
	fig     []float64
	meanCI  float64
	herding *float64 // the run's herding index, where it has one (load_info)
}

func figures(a report.Algorithm) run {
	r := run{fig: make([]float64, len(report.SweepFigures)), meanCI: a.Latency.MeanCI95, herding: a.Herding}
	for i, f := range report.SweepFigures {
		r.fig[i] = f.Value(&a)
	}
	return r
}

// SeedFigures are the keys of the figures `sim run --seeds K` gives over
// its seeds (report.Algorithm.CI, report.SeedFigures): Figures and the
// fairness's max_over_mean and cov.
var SeedFigures = report.Keys(report.SeedFigures)

// Aggregate is the mean of xs, one figure's values in K = len(xs) >= 2
// runs, and the half-width of its 95% confidence interval by Student's t
// with K-1 degrees of freedom:
//
//	ci95 = t(0.975; K-1) s / sqrt(K),  s the runs' sample standard deviation
//
// With one value the half-width is 0; with none, the Stat is zero.
func Aggregate(xs []float64) report.Stat {
	k := len(xs)
	switch k {
	case 0:
		return report.Stat{}
	case 1:
		return report.Stat{Mean: xs[0], N: 1}
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(k - 1)}.Quantile(0.975)
	m, sd := stat.MeanStdDev(xs, nil)
	return report.Stat{Mean: m, CI95: t * sd / math.Sqrt(float64(k)), N: k}
}

// AggregateSeeds is every one of SeedFigures over runs, one algorithm's
// runs with different seeds, by Aggregate; nil with fewer than 2 runs,
// which have no spread to measure.
func AggregateSeeds(runs []report.Algorithm) map[string]report.Stat {
	if len(runs) < 2 {
		return nil
	}
	out := make(map[string]report.Stat, len(report.SeedFigures))
	xs := make([]float64, len(runs))
	for _, f := range report.SeedFigures {
		for i := range runs {
			xs[i] = f.Value(&runs[i])
		}
		out[f.Key] = Aggregate(xs)
	}
	return out
}

// aggregate makes a point from its runs, one per seed. With K >= 2 runs,
// each figure is their mean and confidence interval by Aggregate. With one
// run there is no spread to measure: mean_ms keeps the run's own
// batch-means interval (latency_ms.mean_ci95) and the rest 0.
func aggregate(value float64, label string, runs []run) report.SweepPoint {
	k := len(runs)
	pt := report.SweepPoint{Value: value, Label: label, Figures: make(map[string]report.Stat, len(Figures))}
	xs := make([]float64, k)
	for f, name := range Figures {
		for i, r := range runs {
			xs[i] = r.fig[f]
		}
		st := Aggregate(xs)
		if k == 1 && name == "mean_ms" {
			st.CI95 = runs[0].meanCI
		}
		pt.Figures[name] = st
	}
	// The herding index, where every run has one (a scenario with
	// load_info): a point's figures are otherwise those of Figures only.
	hs := make([]float64, 0, k)
	for _, r := range runs {
		if r.herding != nil {
			hs = append(hs, *r.herding)
		}
	}
	if k > 0 && len(hs) == k {
		pt.Figures[HerdingFigure] = Aggregate(hs)
	}
	return pt
}

// HerdingFigure is the key of a point's herding index (report.Algorithm's
// herding), present in sweeps of scenarios with load_info.
const HerdingFigure = "herding"
