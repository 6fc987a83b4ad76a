package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/plots"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sweep"
)

const sweepUsage = `Usage: sim sweep SCENARIO --param PATH --values SPEC [--seeds K]
                 [--shard I/N|auto|auto/N] [--out DIR] [--seed N]
                 [--requests N] [--no-plots]

Runs every algorithm of SCENARIO at each value of one numeric field, K
seeds per point, and prints the mean and p99 latency per value (the mean
over the seeds with a 95% confidence interval, and theory's curve where the
scenario is a model with one). Writes sweep.json, sweep.csv, run.json and
the plots into results/runs/<scenario name>/<UTC start time>-sweep/, or
into --out DIR. Flags may come before or after SCENARIO.

  --param PATH    the field, by its path in the scenario file:
                  arrivals.load, arrivals.rate, servers[0].count,
                  servers[1].service.mean, algorithms[2].choices, ...
  --values SPEC   START:END:STEP (0.5:0.95:0.05, END included) or a list
                  (0.5,0.7,0.9); for a duration field, durations (5ms:20ms:5ms)
                  or seconds
  --seeds K       seeds per point, from the scenario's (or --seed's): K >= 2
                  gives Student's t intervals; K = 1 the run's own
                  interval for the mean (default 1)
  --shard I/N     run only shard I of N (0 <= I < N), for spreading a sweep
                  over machines; join the shards with sim merge
  --shard auto    the shard from the task's index in a job array:
                  SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT (sbatch
                  --array=0-3), or with auto/N, N given, SLURM_ARRAY_TASK_ID
                  or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)
  --out DIR       write the results into DIR (created if missing)
  --seed N        the first seed, instead of the scenario's
  --requests N    measured requests per run, instead of the scenario's
  --no-plots      write no plots (a shard's: sim merge draws the whole)

An interrupted sweep (SIGINT, e.g. Ctrl-C, or SIGTERM) stops every run
at once, writes no result file and no run directory (--out DIR is left as
it was) and exits 130. The results are written into a hidden .NAME.partial-* directory beside the
run directory and renamed into place whole, so a signal while they are
written still exits 130 with nothing left; only a second signal ends the
process at once, and may leave that .partial-* directory.
See docs/cluster.md for sweeps on Slurm and Kubernetes.
`

// sweepPlots draws a sweep's plots into its directory and returns the
// files it wrote (a variable, so tests can make it fail).
var sweepPlots = plots.Sweep

// sweepFlags are sim sweep's flags beyond cli.RunFlags'.
type sweepFlags struct {
	param, values, shard string
	seeds                cli.UintFlag
}

func newSweepFlags(fs *flag.FlagSet) *sweepFlags {
	f := &sweepFlags{seeds: cli.UintFlag{Value: 1}}
	fs.StringVar(&f.param, "param", "", "")
	fs.StringVar(&f.values, "values", "", "")
	fs.StringVar(&f.shard, "shard", "", "")
	fs.Var(&f.seeds, "seeds", "")
	return f
}

// sweepCmd is a sim sweep command line, parsed and checked: everything
// needed to run it.
type sweepCmd struct {
	sc      *scenarios.Scenario   // the scenario, with --seed, --requests and --algorithms
	scs     []*scenarios.Scenario // its scenario at each value, checked
	opt     sweep.Options
	out     string // --out, or "" for the default
	noPlots bool
}

// parseSweep parses and checks sim sweep's arguments, loads the scenario
// and resolves --shard (from the environment with --shard auto), without
// running anything. On a problem, or for -h, it reports to stderr (the
// usage to stdout) and returns nil and the exit status.
func parseSweep(args []string, stdout, stderr io.Writer) (*sweepCmd, int) {
	const name = "sim sweep"
	flags := cli.NewFlagSet(name, stderr)
	rf := cli.NewRunFlags(flags)
	sf := newSweepFlags(flags)
	if code, ok := rf.Parse(sweepUsage, args, stdout, stderr); !ok {
		return nil, code
	}
	usageErr := func(format string, a ...any) (*sweepCmd, int) {
		fmt.Fprintf(stderr, name+": "+format+"\n", a...)
		return nil, cli.ExitUsage
	}
	switch {
	case sf.param == "":
		return usageErr("want --param PATH, the field to sweep (e.g. --param arrivals.load)")
	case sf.values == "":
		return usageErr("want --values SPEC (e.g. --values 0.5:0.95:0.05 or --values 0.5,0.7,0.9)")
	case sf.seeds.Value < 1 || sf.seeds.Value > 1<<20:
		return usageErr("--seeds %d: want 1 to %d", sf.seeds.Value, 1<<20)
	}
	c := &sweepCmd{
		opt:     sweep.Options{Param: sf.param, Seeds: int(sf.seeds.Value)},
		out:     flags.Lookup("out").Value.String(),
		noPlots: flags.Lookup("no-plots").Value.String() == "true",
	}
	switch {
	case isAutoShard(sf.shard):
		shard, shards, from, err := autoShard(sf.shard, os.LookupEnv)
		if err != nil {
			return usageErr("--shard %v", err)
		}
		c.opt.Shard, c.opt.Shards = shard, shards
		// The task's log says which part it ran and why, before the run.
		fmt.Fprintf(stderr, "%s: shard %s (%s)\n", name, sweep.FormatShard(shard, shards), from)
	case sf.shard != "":
		var err error
		if c.opt.Shard, c.opt.Shards, err = sweep.ParseShard(sf.shard); err != nil {
			return usageErr("--shard %v", err)
		}
	}
	if c.sc = rf.Load(stderr); c.sc == nil {
		return nil, cli.ExitUsage
	}
	var code int
	if c.scs, code = sweepScenarios(c.sc, sf, &c.opt, stderr); c.scs == nil {
		return nil, code
	}
	return c, cli.ExitOK
}

func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "sim sweep"
	c, code := parseSweep(args, stdout, stderr)
	if c == nil {
		return code
	}
	sc, opt := c.sc, c.opt

	start := time.Now()
	info := report.NewRun(start, append([]string{"sim", "sweep"}, args...), sc.File)
	runCtx, stop := cli.NotifyContext(ctx)
	defer stop()
	bar := cli.StartProgress(stderr, sc.Name+" sweep", expectedArrivals(c.scs, opt))
	opt.Progress = bar.Func()
	sw, err := sweep.Run(runCtx, sc, opt)
	bar.Stop()
	if runCtx.Err() != nil {
		fmt.Fprintf(stderr, "%s: %s: interrupted; nothing written\n", name, sc.Name)
		return cli.ExitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", name, sc.Name, err)
		return cli.ExitFailure
	}
	info.Finish(time.Now())

	if err := sweep.WriteTable(stdout, sw); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return cli.ExitFailure
	}
	suffix := "-sweep"
	if opt.Shards > 1 {
		suffix = fmt.Sprintf("-sweep-shard-%d-of-%d", opt.Shard, opt.Shards)
	}
	draw := sweepPlots
	if c.noPlots {
		draw = nil
	}
	return saveSweep(runCtx, name, stdout, stderr, c.out, start, suffix, sw, info, draw)
}

// sweepScenarios reads --values as numbers or durations, as the --param
// field is, and checks the scenario at each value. On a problem it reports
// it and returns nil and the exit status.
func sweepScenarios(sc *scenarios.Scenario, sf *sweepFlags, opt *sweep.Options, stderr io.Writer) ([]*scenarios.Scenario, int) {
	_, duration, err := sc.Number(sf.param)
	if err != nil {
		fmt.Fprintf(stderr, "sim sweep: --param %v\n", err)
		return nil, cli.ExitUsage
	}
	parse := sweep.Values
	if duration {
		parse = sweep.DurationValues
	}
	if opt.Values, err = parse(sf.values); err != nil {
		fmt.Fprintf(stderr, "sim sweep: --values %v\n", err)
		return nil, cli.ExitUsage
	}
	scs, err := sweep.Scenarios(sc, sf.param, opt.Values)
	if err != nil {
		fmt.Fprintf(stderr, "sim sweep: --param %v\n", err)
		return nil, cli.ExitUsage
	}
	return scs, 0
}

// expectedArrivals estimates the arrivals the shard's runs report, for the
// progress bar: each of its points runs one algorithm K times.
func expectedArrivals(scs []*scenarios.Scenario, opt sweep.Options) int64 {
	var total int64
	for vi, sc := range scs {
		nl := len(sc.Algorithms)
		per := cli.ExpectedArrivals(sc) / int64(max(nl, 1))
		for li := range nl {
			if sweep.InShard(vi*nl+li, opt.Shard, opt.Shards) {
				total += per * int64(opt.Seeds)
			}
		}
	}
	return total
}

// saveSweep writes a sweep's files and its plots (by draw; none if draw
// is nil) into out, or into OutputDir's default for suffix, prints
// "results: DIR" and returns the exit status. If the files cannot be written, a directory it created is
// removed again. The plots come after the data: if they fail, the data
// stay and the status is 1.
func saveSweep(ctx context.Context, name string, stdout, stderr io.Writer, out string, start time.Time, suffix string,
	sw *report.Sweep, info *report.Run, draw func(string, *report.Sweep) ([]string, error)) int {
	// Staged as sim run's results are (cli.StageDir): the sweep's directory
	// is whole or absent, and a signal before it is in place leaves none.
	st, err := cli.StageDir(out, sw.Scenario, start, suffix)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return cli.ExitFailure
	}
	defer st.Abort()
	if err := sweep.WriteDir(st.Dir(), sw, info); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return cli.ExitFailure
	}
	var plotErr error
	if draw != nil && ctx.Err() == nil {
		_, plotErr = draw(st.Dir(), sw)
	}
	dir, err := st.Commit(ctx)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "%s: %s: interrupted; nothing written\n", name, sw.Scenario)
		return cli.ExitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return cli.ExitFailure
	case plotErr != nil:
		fmt.Fprintf(stdout, "\nresults (without plots): %s\n", dir)
		fmt.Fprintf(stderr, "%s: plots: %v\n", name, plotErr)
		return cli.ExitFailure
	}
	fmt.Fprintf(stdout, "\nresults: %s\n", dir)
	return cli.ExitOK
}
