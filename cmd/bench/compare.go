package main

import (
	"context"
	"io"

	"github.com/fulcrum-lb/fulcrum/compare"
)

const compareUsage = `Usage: bench compare BASE NEW [--threshold LIST] [--alpha A] [--allow-missing] [--format F]

Compares two real runs of a scenario, BASE and NEW, each a summary.json or
the run directory holding it. Algorithms are matched by label; for each,
the table shows every figure's base and new value, the difference, the
relative change, the U test's p-value and the verdict. Exit status: 0 no
regression, 1 a regression or an algorithm on one side only, 2 usage error
or unreadable summary.

Real runs are noisy. When both were made with bench run --repeat N, each
figure's per-repetition values are compared by the Mann-Whitney U test, and
a change is a regression only if it goes beyond its threshold and p < A.
With fewer than 3 repetitions a side, or 3 and 3 (whose smallest p-value
is 0.1), the test cannot reach 0.05: the threshold alone decides and a
warning says so. Use --repeat 5 or more for a test that can.

  --threshold LIST  how far each figure may get worse, comma-separated
                    FIGURE=LIMIT: LIMIT a percentage of the base figure
                    (p99=5%) or a bare number in the figure's unit (ms,
                    req/s, a fraction of requests for errors, Jain's index
                    for jain); "all=LIMIT" for every figure not named.
                    Figures: mean p50 p90 p99 p999 max (latency, worse up),
                    throughput (req/s, worse down), errors (rejected +
                    failed + timed out over requests, worse up), jain
                    (worse down). max is not kept per repetition: its
                    threshold alone decides. Figures without a limit
                    are shown only.
                    Default: ` + compare.RealThresholds + `
  --alpha A         significance level of the U test; default 0.05
  --allow-missing   an algorithm on one side only is noted, not a failure
  --format F        text (the table, default), markdown (a GitHub table
                    for a pull-request comment, regressions marked) or
                    junit (JUnit XML, one test case per algorithm and
                    figure, a failure for each regression); the exit
                    status is the same in every format
`

func cmdCompare(_ context.Context, args []string, stdout, stderr io.Writer) int {
	c := compare.Command{Name: "bench compare", Usage: compareUsage, Thresholds: compare.RealThresholds}
	return c.Run(args, stdout, stderr)
}
