package cli

import (
	"bytes"
	"context"
	"io"
	"testing"
)

func TestProgramRun(t *testing.T) {
	p := &Program{Name: "x", Usage: "Usage: x COMMAND\n", Commands: map[string]Command{
		"go": {"Usage: x go\n", func(_ context.Context, args []string, stdout, _ io.Writer) int {
			io.WriteString(stdout, "went\n")
			return len(args)
		}},
	}}
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{nil, ExitUsage, "", "Usage: x COMMAND\n"},
		{[]string{"go", "a", "b"}, 2, "went\n", ""},
		{[]string{"bogus"}, ExitUsage, "", "x: unknown command \"bogus\"\n\nUsage: x COMMAND\n"},
		{[]string{"help"}, ExitOK, "Usage: x COMMAND\n", ""},
		{[]string{"--help"}, ExitOK, "Usage: x COMMAND\n", ""},
		{[]string{"help", "go"}, ExitOK, "Usage: x go\n", ""},
		{[]string{"help", "go", "more"}, ExitUsage, "", "x: help: unknown command \"go more\"\n\nUsage: x COMMAND\n"},
	} {
		var stdout, stderr bytes.Buffer
		code := p.Run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || stdout.String() != tc.stdout || stderr.String() != tc.stderr {
			t.Errorf("x %q: exit %d, stdout %q, stderr %q; want %d, %q, %q",
				tc.args, code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
		}
	}
}
