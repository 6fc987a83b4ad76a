// Package clitest runs a cli.Program in-process for the tests of the
// fulcrum commands, and checks the contract every command keeps: usage
// errors exit 2 with a message on stderr, help goes to stdout.
package clitest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
)

// Run runs p with args and returns its exit status and what it wrote to
// stdout and stderr.
func Run(p *cli.Program, args ...string) (code int, stdout, stderr string) {
	return RunContext(context.Background(), p, args...)
}

// RunContext is Run under ctx, for tests that cancel a run or stop a
// server as a signal would.
func RunContext(ctx context.Context, p *cli.Program, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = p.Run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// UsageErrors fails t unless p refuses each command line as a usage error:
// exit status cli.ExitUsage, a message on stderr, nothing on stdout. It
// tries those every Program refuses too: no command, an unknown one, and
// help for an unknown one.
func UsageErrors(t testing.TB, p *cli.Program, cmdlines [][]string) {
	t.Helper()
	for _, args := range append([][]string{{}, {"bogus"}, {"help", "bogus"}}, cmdlines...) {
		code, stdout, stderr := Run(p, args...)
		if code != cli.ExitUsage {
			t.Errorf("%s %q: exit %d, want %d\nstderr: %s", p.Name, args, code, cli.ExitUsage, stderr)
		}
		if stderr == "" {
			t.Errorf("%s %q: nothing on stderr", p.Name, args)
		}
		if stdout != "" {
			t.Errorf("%s %q: wrote to stdout: %s", p.Name, args, stdout)
		}
	}
}

// Help fails t unless each command line prints a usage text ("Usage: " and
// p's name) to stdout, nothing to stderr, and exits cli.ExitOK.
func Help(t testing.TB, p *cli.Program, cmdlines [][]string) {
	t.Helper()
	for _, args := range cmdlines {
		code, stdout, stderr := Run(p, args...)
		if code != cli.ExitOK || !strings.Contains(stdout, "Usage: "+p.Name) || stderr != "" {
			t.Errorf("%s %q: exit %d, stdout %q, stderr %q", p.Name, args, code, stdout, stderr)
		}
	}
}

// RunFlagErrors returns the command lines that a command cmd ("run") built
// on cli.RunFlags refuses as usage errors, given a valid scenario file:
// no SCENARIO or two, an unknown flag, a bad --requests, --seed or --out,
// and a scenario that does not exist.
func RunFlagErrors(cmd, scenario string) [][]string {
	return [][]string{
		{cmd},
		{cmd, scenario, scenario},
		{cmd, "--bogus", scenario},
		{cmd, scenario, "--requests", "0"},
		{cmd, scenario, "--requests", "many"},
		{cmd, scenario, "--seed", "-1"},
		{cmd, scenario, "--out"},
		{cmd, scenario, "--out", scenario}, // a file, not a directory
		{cmd, "no-such-scenario-file.yaml"},
	}
}
