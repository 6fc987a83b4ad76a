// Package cli is the plumbing the fulcrum commands (cmd/sim, cmd/bench)
// share: dispatch to subcommands and help, exit statuses, flag parsing that
// allows flags after positional arguments, the run output directory, the
// reporting of scenario load errors, and the terminal progress bar. Each
// command keeps its own usage texts and subcommands.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/external"
)

// Exit statuses.
const (
	ExitOK          = 0
	ExitFailure     = 1 // the run itself failed
	ExitUsage       = 2 // bad command line, invalid scenario or configuration
	ExitInterrupted = 130
)

// A Command is one subcommand: its usage text, printed by help and -h, and
// the function that runs it with the arguments after its name and returns
// the exit status.
type Command struct {
	Usage string
	Run   func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// A Program is a command with subcommands: NAME COMMAND [ARGS], and
// NAME help [COMMAND] (or -h, -help, --help) for its usage or a command's.
type Program struct {
	Name     string             // as typed, e.g. "sim"; prefixes error messages
	Usage    string             // the program's usage text
	Commands map[string]Command // by name; "help" is built in
}

// RegisterStrategies registers, once, the strategies the commands offer
// beyond algorithms' built-ins: "external" (a strategy in any language, as
// a child process). Registration is explicit, never an init side effect;
// Program.Run calls it before anything reads a scenario.
var RegisterStrategies = sync.OnceValue(func() error {
	return algorithms.Register(external.Spec)
})

// Main runs the program on the process's arguments and exits with the
// status Run returns.
func (p *Program) Main() {
	os.Exit(p.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// Run runs the command named by args[0] with the rest of args, writing to
// stdout and stderr, and returns the exit status. No arguments or an
// unknown command print the usage to stderr and return ExitUsage.
func (p *Program) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if err := RegisterStrategies(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", p.Name, err)
		return ExitFailure
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, p.Usage)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return p.help(rest, stdout, stderr)
	}
	cmd, ok := p.Commands[name]
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n%s", p.Name, name, p.Usage)
		return ExitUsage
	}
	return cmd.Run(ctx, rest, stdout, stderr)
}

// help prints the program's usage, or with one argument that command's, to
// stdout.
func (p *Program) help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, p.Usage)
		return ExitOK
	}
	cmd, ok := p.Commands[args[0]]
	if !ok || len(args) > 1 {
		fmt.Fprintf(stderr, "%s: help: unknown command %q\n\n%s", p.Name, strings.Join(args, " "), p.Usage)
		return ExitUsage
	}
	fmt.Fprint(stdout, cmd.Usage)
	return ExitOK
}
