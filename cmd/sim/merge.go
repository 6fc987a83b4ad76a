package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/sweep"
)

const mergeUsage = `Usage: sim merge DIR_OR_FILE... [--out DIR]

Joins the shards of one sweep (sim sweep --shard I/N), given as their
directories or sweep.json files in any order, into one sweep: the same
sweep.json as running it unsharded, with sweep.csv and the plots. Checks
that they are shards of the same sweep (scenario, parameter, values, seeds,
algorithms) and that together they hold every point exactly once. Writes
into results/runs/<scenario name>/<UTC time>-sweep/, or into --out DIR.

  --out DIR    write the merged sweep into DIR (created if missing)

Each shard keeps its own run.json; the merged directory has none.
`

func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "sim merge"
	flags := cli.NewFlagSet(name, stderr)
	out := flags.String("out", "", "")
	pos, code, ok := cli.ParseFlags(flags, mergeUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintf(stderr, "%s: want at least one shard's directory or sweep.json\n\n%s", name, mergeUsage)
		return cli.ExitUsage
	}
	if *out != "" {
		if fi, err := os.Stat(*out); err == nil && !fi.IsDir() {
			fmt.Fprintf(stderr, "%s: --out %s: exists and is not a directory\n", name, *out)
			return cli.ExitUsage
		}
	}
	parts := make([]*report.Sweep, len(pos))
	for i, p := range pos {
		sw, err := sweep.Read(p)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return cli.ExitUsage
		}
		parts[i] = sw
	}
	sw, err := sweep.Merge(parts...)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "sweep: merge: ")
		fmt.Fprintf(stderr, "%s: %s\nthe parts, in the order given:\n", name, msg)
		for i, p := range pos {
			shard := parts[i].Shard
			if shard == "" {
				shard = "whole"
			}
			fmt.Fprintf(stderr, "  %d: %s (shard %s)\n", i+1, p, shard)
		}
		return cli.ExitUsage
	}

	if err := sweep.WriteTable(stdout, sw); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return cli.ExitFailure
	}
	sigCtx, stop := cli.NotifyContext(ctx)
	defer stop()
	return saveSweep(sigCtx, name, stdout, stderr, *out, time.Now(), "-sweep", sw, nil, sweepPlots)
}
