package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/sim"
)

const runUsage = `Usage: sim run SCENARIO [--out DIR] [--seed N] [--requests N]

Simulates every algorithm of SCENARIO on the same traffic, prints a
comparison table and writes summary.json, summary.csv and run.json into
results/runs/<scenario name>/<UTC start time>/, or into --out DIR.
Flags may come before or after SCENARIO.

  --out DIR       write the results into DIR (created if missing)
  --seed N        seed for this run, instead of the scenario's
  --requests N    measured requests per algorithm, instead of the
                  scenario's (its duration, if any, still caps the run)

An interrupted run (Ctrl-C, SIGTERM) writes nothing and exits 130.
`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim run", stderr)
	rf := cli.NewRunFlags(flags)
	if code, ok := rf.Parse(runUsage, args, stdout, stderr); !ok {
		return code
	}
	sc := rf.Load(stderr)
	if sc == nil {
		return cli.ExitUsage
	}

	start := time.Now()
	info := report.NewRun(start, append([]string{"sim", "run"}, args...), sc.File)

	runCtx, stop := cli.NotifyContext(ctx)
	defer stop()
	bar := cli.StartProgress(stderr, sc.Name, cli.ExpectedArrivals(sc))
	summary, err := sim.Run(runCtx, sc, sim.Options{Progress: bar.Func()})
	bar.Stop()
	interrupted := runCtx.Err() != nil
	stop() // a second Ctrl-C now ends the process the usual way
	if interrupted {
		fmt.Fprintf(stderr, "sim run: %s: interrupted; nothing written\n", sc.Name)
		return cli.ExitInterrupted
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
	// WriteDir leaves the directory empty if it fails.
	write := func(dir string) error { return report.WriteDir(dir, summary, info) }
	rf.Report(summary, nil) // the charts get the in-memory quantile grid
	if err := rf.Save(stdout, sc.Name, start, "", write); err != nil {
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}
