package main

// Real processes and real signals: the sim binary, built once for this test
// binary, interrupted mid-run. A run is known to be under way once the
// process has used more CPU time than starting and loading a scenario take
// (its signal handler is installed before the run begins), so the tests
// wait for that, not for a fixed time; the deadlines are hang guards only.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
)

// simBin is the sim binary TestMain builds.
var simBin string

func TestMain(m *testing.M) {
	bin, cleanup, err := clitest.BuildMain("sim")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	simBin = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// startChild runs sim with args in dir, with TMPDIR set to tmp.
func startChild(t *testing.T, dir, tmp string, args ...string) *clitest.Process {
	t.Helper()
	return clitest.Start(t, simBin, dir, tmp, args...)
}

// runningTicks is CPU time by which a run is surely under way: starting
// and loading a small scenario take a few ms of it.
const runningTicks = 30

// longScenario is small to load; with --requests 50000000 no run of it
// finishes before the test interrupts it.
const longScenario = `name: signal-long
seed: 1
requests: 3000
arrivals: {process: poisson, rate: 2000}
servers:
  - {name: web, count: 4, service: {dist: exponential, mean: 1ms}}
algorithms: [round-robin, {name: p2c, choices: 2}]
`

// TestSignal interrupts real sim run and sim sweep processes mid-run with
// SIGINT and SIGTERM: each must exit 130 and leave nothing: no run
// directory (--out, its parent, or the default results/), no temporary
// file there or in TMPDIR, no process.
func TestSignal(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
	}{
		{syscall.SIGINT, []string{"run", "long.yaml", "--out", "out"}},
		{syscall.SIGTERM, []string{"run", "long.yaml"}}, // the default results/runs/signal-long/<time>
		{syscall.SIGTERM, []string{"run", "long.yaml", "--seeds", "3", "--out", "parent/out"}},
		{syscall.SIGINT, []string{"sweep", "long.yaml", "--param", "arrivals.rate", "--values", "1000,1500,2000", "--out", "out"}},
		{syscall.SIGTERM, []string{"sweep", "long.yaml", "--param", "servers[0].count", "--values", "4,8", "--seeds", "2"}},
	} {
		t.Run(fmt.Sprintf("%v %q", tc.sig, tc.args), func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "long.yaml"), []byte(longScenario), 0o644); err != nil {
				t.Fatal(err)
			}
			keep := []string{"long.yaml"}
			if err := os.Mkdir(filepath.Join(dir, "parent"), 0o755); err != nil {
				t.Fatal(err)
			}
			keep = append(keep, "parent")
			c := startChild(t, dir, tmp, append(tc.args, "--requests", "50000000")...)
			c.WaitCPU(runningTicks)
			c.Signal(tc.sig)
			if code := c.Wait(); code != cli.ExitInterrupted {
				t.Errorf("sim %s after %v: exit %d, want %d\n%s", tc.args[0], tc.sig, code, cli.ExitInterrupted, c.Stderr.String())
			}
			want := fmt.Sprintf("sim %s: signal-long: interrupted; nothing written\n", tc.args[0])
			if stderr := c.Stderr.String(); stderr != want {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
			if c.Stdout.String() != "" {
				t.Errorf("an interrupted run printed %q", c.Stdout.String())
			}
			clitest.CheckLeftovers(t, dir, keep...) // no out/, no results/, no temporary file
			clitest.CheckLeftovers(t, filepath.Join(dir, "parent"))
			clitest.CheckLeftovers(t, tmp)
			if err := syscall.Kill(-c.Cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("a process of sim's group is still running after it exited (kill -0: %v)", err)
			}
		})
	}
}
