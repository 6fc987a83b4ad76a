package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/logimport"
)

const importUsage = `Usage: sim import --format F LOG... -o TRACE [--strict] [--reorder D]
       sim import --formats | --nginx-format

Reads access logs (plain or gzip, rotated ones oldest first) and writes
their requests as a trace (DESIGN.md §8): arrival times from the first
request, clients, servers, service times and outcomes, in arrival order.
Lines it cannot read are counted and the first few printed with their line
numbers; the import goes on unless --strict. The trace appears only when
the import succeeds.

  --format F      haproxy | nginx | envoy | envoy-json | vegeta | trace
  -o TRACE        the trace to write
  --strict        stop at the first line that cannot be read
  --reorder D     how far out of arrival order the log may be (balancers
                  log a request when it ends); default 60s
  --formats       say how each format's fields become the trace's
  --nginx-format  print the log_format to add to nginx.conf
`

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim import", stderr)
	format := flags.String("format", "", "")
	out := flags.String("o", "", "")
	strict := flags.Bool("strict", false, "")
	reorder := flags.Duration("reorder", 0, "")
	list := flags.Bool("formats", false, "")
	nginx := flags.Bool("nginx-format", false, "")
	pos, code, ok := cli.ParseFlags(flags, importUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	switch {
	case *nginx:
		fmt.Fprintln(stdout, logimport.NginxLogFormat)
		return cli.ExitOK
	case *list:
		for _, n := range logimport.FormatNames() {
			fmt.Fprintf(stdout, "%s: %s\n\n", n, logimport.Formats[n].Derives)
		}
		return cli.ExitOK
	}
	var problems []string
	if *format == "" {
		problems = append(problems, "--format is required ("+strings.Join(logimport.FormatNames(), ", ")+")")
	} else if logimport.Formats[*format] == nil {
		problems = append(problems, fmt.Sprintf("--format %q: not a format (%s)", *format, strings.Join(logimport.FormatNames(), ", ")))
	}
	if *out == "" {
		problems = append(problems, "-o TRACE is required")
	}
	if len(pos) == 0 {
		problems = append(problems, "no LOG to import")
	}
	if *reorder < 0 {
		problems = append(problems, "--reorder must not be negative")
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "sim import: %s\n\n%s", strings.Join(problems, "; "), importUsage)
		return cli.ExitUsage
	}
	rep, err := logimport.Import(*format, pos, *out, logimport.Options{Strict: *strict, Reorder: *reorder})
	if rep != nil {
		for _, s := range rep.Examples {
			fmt.Fprintf(stderr, "sim import: skipped %s\n", s)
		}
		if rep.Skipped > len64(rep.Examples) {
			fmt.Fprintf(stderr, "sim import: ... and %d more skipped\n", rep.Skipped-len64(rep.Examples))
		}
		for _, p := range rep.Truncated {
			fmt.Fprintf(stderr, "sim import: %s was cut short (a truncated gzip?): what came before the cut is imported\n", p)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "sim import: %v\n", err)
		return cli.ExitFailure
	}
	fmt.Fprintf(stdout, "imported %d requests over %v from %d lines (%d skipped) into %s\n",
		rep.Written, rep.Span, rep.Lines, rep.Skipped, *out)
	fmt.Fprintf(stdout, "how %s fields become the trace: %s\n", *format, logimport.Formats[*format].Derives)
	return cli.ExitOK
}

func len64[T any](s []T) int64 { return int64(len(s)) }
