package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

const validateUsage = `Usage: sim validate SCENARIO...

Loads and checks each scenario without running it. Prints
"ok: FILE (N servers, M algorithms, rate R req/s)" for each valid one and
the errors of the others, with file:line. Exits 2 if any is invalid.
`

func cmdValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("validate", stderr)
	pos, code, ok := parseFlags(flags, validateUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintf(stderr, "sim validate: want at least one SCENARIO\n\n%s", validateUsage)
		return exitUsage
	}
	status := exitOK
	for _, arg := range pos {
		sc, err := scenarios.Open(arg)
		if err != nil {
			printLoadError(stderr, "sim validate", err)
			status = exitUsage
			continue
		}
		file := sc.File
		if file == "" {
			file = arg
		}
		fmt.Fprintf(stdout, "ok: %s (%d servers, %d algorithms, rate %s req/s)\n",
			file, len(sc.ServerList()), len(sc.Algorithms), formatRate(sc.ArrivalRate()))
	}
	return status
}

// formatRate writes a rate in req/s to two decimals at most: 2000, 1234.57.
func formatRate(r float64) string {
	return strconv.FormatFloat(math.Round(r*100)/100, 'f', -1, 64)
}
