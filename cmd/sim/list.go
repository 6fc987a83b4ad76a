package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

const listUsage = `Usage: sim list

Lists, one per line, the balancing algorithms (with their parameters and
defaults), the service-time distributions, and the shipped scenarios, which
sim run and sim validate accept by name.
`

func cmdList(_ context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim list", stderr)
	pos, code, ok := cli.ParseFlags(flags, listUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "sim list: unexpected argument %q\n\n%s", pos[0], listUsage)
		return cli.ExitUsage
	}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "algorithms:")
	for _, a := range algorithms.List() {
		line := "  " + a.Name + "\t" + a.Summary
		if len(a.Params) > 0 {
			ps := make([]string, len(a.Params))
			for i, p := range a.Params {
				ps[i] = p.Name + "=" + p.Default
			}
			line += " [" + strings.Join(ps, ", ") + "]"
		}
		fmt.Fprintln(tw, line)
	}
	fmt.Fprintln(tw, "\ndistributions:")
	for _, name := range dist.Names() {
		fmt.Fprintf(tw, "  %s\t%s\n", name, dist.Describe(name))
	}
	fmt.Fprintln(tw, "\nscenarios:")
	for _, s := range scenarios.Shipped() {
		fmt.Fprintf(tw, "  %s\t%s\n", s.Name, s.Description)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "sim list: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}
