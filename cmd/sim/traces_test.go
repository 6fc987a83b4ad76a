package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/logimport/logtest"
)

// TestImportFitReplay drives the trace commands as a user would: an
// HAProxy log imported, fitted and replayed, each exiting 0 and writing
// its file; and bad input refused with a clear message and no file.
func TestImportFitReplay(t *testing.T) {
	dir := t.TempDir()
	servers := []logtest.Server{{Name: "a", Family: "exponential", Mean: 5 * time.Millisecond}, {Name: "b", Family: "exponential", Mean: 10 * time.Millisecond}}
	var b bytes.Buffer
	logtest.WriteHAProxy(&b, logtest.InLogOrder(logtest.Generate(1, 3000, 100, servers)), servers)
	log := filepath.Join(dir, "haproxy.log")
	os.WriteFile(log, b.Bytes(), 0o644)
	tr := filepath.Join(dir, "t.csv")
	yaml := filepath.Join(dir, "t.yaml")

	for _, c := range []struct {
		args []string
		want string // in stdout
	}{
		{[]string{"import", "--format", "haproxy", log, "-o", tr}, "imported 3000 requests"},
		{[]string{"fit", tr, "-o", yaml}, "a: 1"},
		{[]string{"replay", tr, "--algorithms", "[round-robin, least-connections]", "--out", filepath.Join(dir, "run")}, "least-connections"},
	} {
		code, stdout, stderr := clitest.Run(program, c.args...)
		if code != cli.ExitOK || !strings.Contains(stdout, c.want) {
			t.Fatalf("sim %q: exit %d, stdout %q, stderr %q", c.args, code, stdout, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "summary.json")); err != nil {
		t.Errorf("replay wrote no summary: %v", err)
	}
	if code, _, stderr := clitest.Run(program, "run", yaml, "--out", filepath.Join(dir, "fitted")); code != cli.ExitOK {
		t.Errorf("the fitted scenario does not run: %s", stderr)
	}

	junk := filepath.Join(dir, "junk.log")
	os.WriteFile(junk, []byte("not a log\n"), 0o644)
	out := filepath.Join(dir, "never.csv")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", log, "-o", out}, cli.ExitUsage, "--format is required"},
		{[]string{"import", "--format", "apache", log, "-o", out}, cli.ExitUsage, `--format "apache": not a format`},
		{[]string{"import", "--format", "haproxy", junk, "-o", out}, cli.ExitFailure, "junk.log:1: no request date"},
		{[]string{"fit", junk, "-o", out}, cli.ExitFailure, `junk.log:1: column 1: "not a log" is not a trace column`},
		{[]string{"replay", junk}, cli.ExitFailure, "junk.log:1"},
	} {
		code, _, stderr := clitest.Run(program, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("sim %q: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written by a failed command", out)
	}
}
