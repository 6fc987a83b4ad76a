package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/fulcrum-lb/fulcrum/fit"
	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

const fitUsage = `Usage: sim fit TRACE -o SCENARIO [--name NAME] [--algorithms LIST]

Proposes a scenario for the traffic of a trace (see sim import): the
arrival process (Poisson, or a two-state MMPP when the counts in short
windows are overdispersed) and its rate over time (a profile, when the
counts in 20 bins are not those of a constant rate), the classes, the
clients' count and each server's service-time distribution, chosen among
exponential, lognormal, gamma, weibull and pareto by maximum likelihood
and BIC. It prints what it chose and how well each fit matches (its
Kolmogorov-Smirnov distance), and writes the scenario, with the same notes
as comments. A trace does not say how many workers a server has: each
gets the most requests it had in service at once (from their ends back by
their service times), or, without latencies, enough for its work at 70%
utilisation; check it against yours.

  -o SCENARIO        the scenario file to write
  --name NAME        the scenario's name (default: the trace's file name)
  --algorithms LIST  its algorithms, as the algorithms key writes them
                     (default [round-robin, least-connections, p2c])
`

func cmdFit(_ context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim fit", stderr)
	out := flags.String("o", "", "")
	name := flags.String("name", "", "")
	algs := flags.String("algorithms", "[round-robin, least-connections, p2c]", "")
	pos, code, ok := cli.ParseFlags(flags, fitUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 || *out == "" {
		fmt.Fprintf(stderr, "sim fit: want one TRACE and -o SCENARIO\n\n%s", fitUsage)
		return cli.ExitUsage
	}
	if *name == "" {
		base := strings.TrimSuffix(filepath.Base(pos[0]), filepath.Ext(pos[0]))
		*name = strings.Trim(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
				return r
			}
			return '-'
		}, base), "-_.")
		if *name == "" {
			*name = "fitted"
		}
	}
	f, err := fit.FitTrace(pos[0], fit.Options{Seed: 1})
	if err != nil {
		fmt.Fprintf(stderr, "sim fit: %v\n", err)
		return cli.ExitFailure
	}
	yaml := f.Scenario(*name, *algs)
	if _, err := scenarios.Parse(*out, yaml); err != nil {
		fmt.Fprintf(stderr, "sim fit: the proposed scenario does not load (--name or --algorithms?): %v\n", err)
		return cli.ExitUsage
	}
	if err := atomicfile.Write(*out, yaml); err != nil {
		fmt.Fprintf(stderr, "sim fit: %v\n", err)
		return cli.ExitFailure
	}
	// The notes are the scenario's leading comments.
	for _, line := range strings.Split(string(yaml), "\n") {
		if !strings.HasPrefix(line, "# ") {
			break
		}
		fmt.Fprintln(stdout, strings.TrimPrefix(line, "# "))
	}
	if f.NoService > 0 {
		fmt.Fprintf(stdout, "%d requests had no service time and are in the arrivals only.\n", f.NoService)
	}
	if f.ClientsCapped {
		fmt.Fprintln(stdout, "more than a million distinct clients: counted up to a million.")
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return cli.ExitOK
}
