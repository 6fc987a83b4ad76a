package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

const validateUsage = `Usage: sim validate SCENARIO...

Loads and checks each scenario without running it. Prints
"ok: FILE (N servers, M algorithms, rate R req/s)" for each valid one and
the errors of the others, with file:line. Exits 2 if any is invalid. A
file whose servers[].urls lack a fitted service is valid for bench run
only, and its line says so.
`

func cmdValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim validate", stderr)
	pos, code, ok := cli.ParseFlags(flags, validateUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintf(stderr, "sim validate: want at least one SCENARIO\n\n%s", validateUsage)
		return cli.ExitUsage
	}
	status := cli.ExitOK
	for _, arg := range pos {
		sc, err := scenarios.Open(arg)
		if err != nil {
			cli.PrintLoadError(stderr, "sim validate", err)
			status = cli.ExitUsage
			continue
		}
		file := sc.File
		if file == "" {
			file = arg
		}
		// A valid file may still be bench run's only: someone else's
		// servers (urls) without a fitted service. Say so here rather
		// than at sim run.
		only := ""
		if sc.Unsimulated("sim") != nil {
			only = "; bench run only: a group of urls has no fitted service for the simulator"
		}
		fmt.Fprintf(stdout, "ok: %s (%d servers, %d algorithms, rate %s req/s%s)\n",
			file, len(sc.ServerList()), len(sc.Algorithms), formatRate(sc.ArrivalRate()), only)
	}
	return status
}

// formatRate writes a rate in req/s to two decimals at most: 2000, 1234.57.
func formatRate(r float64) string {
	return strconv.FormatFloat(math.Round(r*100)/100, 'f', -1, 64)
}
