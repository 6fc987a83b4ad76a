package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
	"github.com/fulcrum-lb/fulcrum/sweep"
	"github.com/fulcrum-lb/fulcrum/verdict"
)

const runUsage = `Usage: sim run SCENARIO [--out DIR] [--seed N] [--seeds K] [--requests N] [--algorithms LIST] [--no-plots] [--cpuprofile FILE]

Simulates every algorithm of SCENARIO on the same traffic, prints a
comparison table and a verdict (which algorithm to run and why; also in
summary.json and report.html) and writes summary.json, summary.csv, run.json, the
charts and each algorithm's latency histogram (latency-<label>.hlog, in
HdrHistogram's log format) into results/runs/<scenario name>/<UTC start
time>/, or into --out DIR. Flags may come before or after SCENARIO.

  --out DIR       write the results into DIR (created if missing)
  --seed N        seed for this run, instead of the scenario's
  --seeds K       run the whole scenario K times, with seeds N .. N+K-1,
                  and give each figure's mean and 95% confidence interval
                  over them (summary.json's ci95; the table's mean, p99
                  and jain); every other figure is the first seed's run.
                  Each seed's own figures are in summary.json's per_seed
                  and are a line each in summary.bench.txt, for benchstat.
                  Default 1
  --requests N    measured requests per algorithm, instead of the
                  scenario's (its duration, if any, still caps the run)
  --algorithms LIST
                  the algorithms to run, instead of the scenario's, as its
                  algorithms key writes them: a YAML list such as
                  '[p2c, {name: p2c, choices: 3, label: p3c}]'
  --no-plots      write the numbers only (summary.json, summary.csv,
                  run.json, summary.bench.txt, the latency logs): no
                  charts and no report.html
  --cpuprofile FILE
                  write a CPU profile of the whole command (simulating,
                  the charts and writing) to FILE, for go tool pprof; FILE's
                  directory must exist. Written whole at the end, and not
                  on an interrupted or failed run

An interrupted run (SIGINT, e.g. Ctrl-C, or SIGTERM) stops at once,
writes no result file and no run directory (--out DIR is left as it was)
and exits 130. The results are written into a hidden .NAME.partial-* directory beside the
run directory and renamed into place whole, so a signal while they are
written still exits 130 with nothing left; only a second signal ends the
process at once, and may leave that .partial-* directory.
`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim run", stderr)
	rf := cli.NewRunFlags(flags)
	seeds := cli.UintFlag{Value: 1}
	flags.Var(&seeds, "seeds", "")
	cpuprofile := flags.String("cpuprofile", "", "")
	if code, ok := rf.Parse(runUsage, args, stdout, stderr); !ok {
		return code
	}
	if seeds.Value < 1 || seeds.Value > maxSeeds {
		fmt.Fprintf(stderr, "sim run: --seeds %d: want 1 to %d\n", seeds.Value, maxSeeds)
		return cli.ExitUsage
	}
	sc := rf.Load(stderr)
	if sc == nil {
		return cli.ExitUsage
	}
	k := int(seeds.Value)
	if sc.Seed > math.MaxUint64-uint64(k-1) {
		fmt.Fprintf(stderr, "sim run: seeds from %d: %d seeds do not fit in 64 bits\n", sc.Seed, k)
		return cli.ExitUsage
	}
	prof, err := startProfile(*cpuprofile)
	if err != nil {
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return cli.ExitUsage
	}
	defer prof.abort() // a run that ends early writes no profile

	start := time.Now()
	info := report.NewRun(start, append([]string{"sim", "run"}, args...), sc.File)

	runCtx, stop := cli.NotifyContext(ctx)
	defer stop()
	bar := cli.StartProgress(stderr, sc.Name, cli.ExpectedArrivals(sc)*int64(k))
	summary, err := runSeeds(runCtx, sc, k, sim.Options{Progress: bar.Func()})
	bar.Stop()
	interrupted := func() int {
		fmt.Fprintf(stderr, "sim run: %s: interrupted; nothing written\n", sc.Name)
		return cli.ExitInterrupted
	}
	if runCtx.Err() != nil {
		return interrupted()
	}
	if err != nil {
		fmt.Fprintf(stderr, "sim run: %s: %v\n", sc.Name, err)
		return cli.ExitFailure
	}
	info.Finish(time.Now())

	if err := report.WriteTable(stdout, summary); err != nil {
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return cli.ExitFailure
	}
	fmt.Fprintln(stdout)
	if err := report.WriteVerdict(stdout, summary.Verdict); err != nil {
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return cli.ExitFailure
	}
	write := func(dir string) error { return report.WriteDir(dir, summary, info) }
	rf.Report(summary, nil) // the charts get the in-memory quantile grid
	// A signal while the results are written still stops the command: Save
	// then leaves no run directory.
	if err := rf.Save(runCtx, stdout, sc.Name, start, "", write); err != nil {
		if runCtx.Err() != nil {
			return interrupted()
		}
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return cli.ExitFailure
	}
	if err := prof.finish(); err != nil {
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// profile is a CPU profile in progress (--cpuprofile): kept in memory and
// written atomically at the end, so that a failed or interrupted run leaves
// no half-written file. nil when not asked for.
type profile struct {
	path string
	buf  bytes.Buffer
	done bool // stopped
}

// startProfile starts profiling into path; nil, nil for "". The path's
// directory must exist and path must not be a directory: checked now, not
// after a long run.
func startProfile(path string) (*profile, error) {
	if path == "" {
		return nil, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("--cpuprofile %s: is a directory", path)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("--cpuprofile %s: directory %s does not exist", path, filepath.Dir(path))
	}
	p := &profile{path: path}
	if err := pprof.StartCPUProfile(&p.buf); err != nil {
		return nil, fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return p, nil
}

// finish stops profiling and writes the profile.
func (p *profile) finish() error {
	if p == nil || p.done {
		return nil
	}
	p.done = true
	pprof.StopCPUProfile()
	if err := atomicfile.Write(p.path, p.buf.Bytes()); err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	return nil
}

// abort stops profiling without writing, if finish has not run.
func (p *profile) abort() {
	if p == nil || p.done {
		return
	}
	p.done = true
	pprof.StopCPUProfile()
}

// maxSeeds bounds --seeds, as sim sweep's.
const maxSeeds = 1 << 20

// runSeeds simulates sc k >= 1 times, with seeds sc.Seed .. sc.Seed+k-1,
// one after the other, and returns the first run's summary. With k >= 2 it
// adds the seeds (Summary.Seeds), each algorithm's figures over them
// (Algorithm.CI, by sweep.AggregateSeeds) and each seed's own figures
// (Algorithm.PerSeed); with k = 1 the summary is
// sim.Run's.
func runSeeds(ctx context.Context, sc *scenarios.Scenario, k int, opt sim.Options) (*report.Summary, error) {
	if k <= 1 {
		s, err := sim.Run(ctx, sc, opt)
		if err == nil {
			verdict.Attach(s, sc)
		}
		return s, err
	}
	var first *report.Summary
	runs := make([][]report.Algorithm, len(sc.Algorithms))
	for i := range k {
		s := sc.Clone()
		s.Seed = sc.Seed + uint64(i)
		sum, err := sim.Run(ctx, s, opt)
		if err != nil {
			return nil, fmt.Errorf("seed %d: %w", s.Seed, err)
		}
		if i == 0 {
			first = sum
		}
		for j, a := range sum.Algorithms {
			// Only what the figures need, not every run's timeline and
			// histogram.
			runs[j] = append(runs[j], report.Algorithm{
				Requests: a.Requests, Errors: a.Errors, ThroughputRPS: a.ThroughputRPS,
				Latency: a.Latency, Fairness: a.Fairness, WaitProbability: a.WaitProbability,
			})
		}
	}
	for i := range k {
		first.Seeds = append(first.Seeds, sc.Seed+uint64(i))
	}
	for j := range first.Algorithms {
		first.Algorithms[j].CI = sweep.AggregateSeeds(runs[j])
		for i := range runs[j] {
			first.Algorithms[j].PerSeed = append(first.Algorithms[j].PerSeed, report.FiguresOf(&runs[j][i]))
		}
	}
	verdict.Attach(first, sc) // again, now with every seed's figures
	return first, nil
}
