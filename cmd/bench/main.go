// Command bench runs Fulcrum's scenarios on the real engine: a real HTTP
// reverse proxy in front of real local backends, driven by vegeta
// (DESIGN.md §1), and serves the proxy and the backends on their own.
//
//	bench run SCENARIO [--out DIR] [--seed N] [--requests N] [--repeat N] [--compare-sim]
//	bench proxy --config FILE
//	bench backend --addr HOST:PORT --name NAME [--concurrency C] [--queue-limit Q] [--service SPEC]
//	bench help [COMMAND]
//
// SCENARIO is a scenario file or the name of a shipped scenario. Exit status:
// 0 on success (and when proxy or backend stop on SIGINT or SIGTERM), 2 for
// a usage error, an invalid scenario or configuration, 1 when a run fails,
// 130 when a run is interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1 // the run itself failed
	exitUsage       = 2 // bad command line, invalid scenario or configuration
	exitInterrupted = 130
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the whole program, minus the process: it parses args, writes to
// stdout and stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is run with a parent context, so that tests can cancel a run
// or stop a server as a signal would.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(rest, stdout, stderr)
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "bench: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	return cmd.run(ctx, rest, stdout, stderr)
}

type command struct {
	usage string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands map[string]command

func init() {
	// Assigned here rather than in the declaration: help refers to commands.
	commands = map[string]command{
		"run":     {runUsage, cmdRun},
		"proxy":   {proxyUsage, cmdProxy},
		"backend": {backendUsage, cmdBackend},
	}
}

const usage = `Usage: bench COMMAND [ARGS]

Commands:
  run SCENARIO [--out DIR] [--seed N] [--requests N] [--repeat N] [--compare-sim]
                        measure every algorithm of a scenario on a real
                        proxy and real backends, print a table and write
                        summary.json, summary.csv, run.json, vegeta-*.bin
  proxy --config FILE   serve the reverse proxy until SIGINT or SIGTERM
  backend --addr HOST:PORT --name NAME [--concurrency C] [--queue-limit Q] [--service SPEC]
                        serve one emulated backend until SIGINT or SIGTERM
  help [COMMAND]        show this help, or a command's

SCENARIO is a scenario file (YAML) or the name of a shipped scenario
(see sim list). Exit status: 0 ok, 1 run failed, 2 usage error or
invalid scenario or configuration, 130 interrupted.
`

func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok || len(args) > 1 {
		fmt.Fprintf(stderr, "bench: help: unknown command %q\n\n%s", strings.Join(args, " "), usage)
		return exitUsage
	}
	fmt.Fprint(stdout, cmd.usage)
	return exitOK
}

// newFlagSet returns a flag set for a command. The flag package reports
// errors to stderr; parseFlags prints the usage.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs
}

// parseInterleaved parses args with fs, allowing flags before, between and
// after the positional arguments (the flag package stops at the first
// positional). Everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseFlags runs parseInterleaved and turns its outcome into an exit status:
// -h prints the command's usage to stdout and exits 0; another error, already
// reported by the flag package, prints the usage to stderr and exits 2. ok is
// true if the command goes on.
func parseFlags(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) (positional []string, code int, ok bool) {
	positional, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return nil, exitOK, false
	}
	if err != nil {
		fmt.Fprint(stderr, usage)
		return nil, exitUsage, false
	}
	return positional, 0, true
}

// lockedWriter serialises writes to w: servers log from many goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
