package main

import (
	"context"
	"io"

	"github.com/fulcrum-lb/fulcrum/compare"
)

const compareUsage = `Usage: sim compare BASE NEW [--threshold LIST] [--allow-missing] [--alpha A] [--format F]

Compares two runs of a scenario, BASE (e.g. a committed baseline) and NEW,
each a summary.json or the run directory holding it. Algorithms are matched
by label; for each, the table shows every figure's base and new value, the
difference, the relative change and the verdict. Exit status: 0 no
regression, 1 a regression or an algorithm on one side only, 2 usage error
or unreadable summary.

  --threshold LIST  how far each figure may get worse, comma-separated
                    FIGURE=LIMIT: LIMIT a percentage of the base figure
                    (p99=5%) or a bare number in the figure's unit (ms,
                    req/s, a fraction of requests for errors, Jain's index
                    for jain); "all=LIMIT" for every figure not named.
                    Figures: mean p50 p90 p99 p999 max (latency, worse up),
                    throughput (req/s, worse down), errors (rejected +
                    failed + timed out over requests, worse up), jain
                    (worse down). Figures without a limit are shown only.
                    Default: ` + compare.SimThresholds + `
  --allow-missing   an algorithm on one side only is noted, not a failure
  --alpha A         significance level of the Mann-Whitney U test for real
                    runs with repetitions (see bench compare); default 0.05
  --format F        text (the table, default), markdown (a GitHub table
                    for a pull-request comment, regressions marked) or
                    junit (JUnit XML, one test case per algorithm and
                    figure, a failure for each regression); the exit
                    status is the same in every format

The simulator is deterministic: the same code, scenario and seed give the
same figures, so any change is the code's or the scenario's.
`

func cmdCompare(_ context.Context, args []string, stdout, stderr io.Writer) int {
	c := compare.Command{Name: "sim compare", Usage: compareUsage, Thresholds: compare.SimThresholds}
	return c.Run(args, stdout, stderr)
}
