package main

// Real processes and real signals: the sim binary, built once for this test
// binary, interrupted mid-run. A run is known to be under way once the
// process has used more CPU time than starting and loading a scenario take
// (its signal handler is installed before the run begins), so the tests
// wait for that, not for a fixed time; the deadlines are hang guards only.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
)

// hangGuard bounds every wait of these tests; reaching it is a hang.
const hangGuard = 60 * time.Second

// simBin is the sim binary TestMain builds.
var simBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fulcrum-sim-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	simBin = filepath.Join(dir, "sim")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goTool, "build", "-o", simBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building sim: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer collects a child's output for the test to read while it
// runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// child is a sim process started by a test.
type child struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{} // closed when it has exited
	state          *os.ProcessState
}

// startChild runs sim with args in dir, its own process group, and TMPDIR
// set to tmp; the test's end kills it if it is still running.
func startChild(t *testing.T, dir, tmp string, args ...string) *child {
	t.Helper()
	c := &child{t: t, done: make(chan struct{})}
	c.cmd = exec.Command(simBin, args...)
	c.cmd.Dir = dir
	c.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.cmd.Wait()
		c.state = c.cmd.ProcessState
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// cpuTicks returns the CPU time pid has used, user and system, in clock
// ticks (1/100 s on Linux), from /proc/PID/stat.
func cpuTicks(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid ... utime stime: the name may hold spaces, so
	// count the fields after its closing parenthesis.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: cannot read %q", pid, data)
	}
	utime, err1 := strconv.Atoi(f[11])
	stime, err2 := strconv.Atoi(f[12])
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// runningTicks is CPU time by which a run is surely under way: starting
// and loading a small scenario take a few ms of it.
const runningTicks = 30

// waitRunning waits until the process has used runningTicks of CPU time.
func (c *child) waitRunning() {
	c.t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		c.t.Skip("no /proc to tell when the run is under way")
	}
	deadline := time.Now().Add(hangGuard)
	for {
		ticks, err := cpuTicks(c.cmd.Process.Pid)
		if err == nil && ticks >= runningTicks {
			return
		}
		select {
		case <-c.done:
			c.t.Fatalf("sim %q exited (%v) before it was under way:\n%s", c.cmd.Args[1:], c.state, c.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("sim %q used %d ticks of CPU in %v (%v)", c.cmd.Args[1:], ticks, hangGuard, err)
		}
	}
}

// wait waits for the process to exit and returns its exit status; it fails
// the test if a signal killed it.
func (c *child) wait() int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(hangGuard):
		c.t.Fatalf("sim %q did not exit:\n%s", c.cmd.Args[1:], c.stderr.String())
	}
	if ws, ok := c.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		c.t.Fatalf("sim %q was killed by %v:\n%s", c.cmd.Args[1:], ws.Signal(), c.stderr.String())
	}
	return c.state.ExitCode()
}

// checkLeftovers fails the test unless dir holds exactly the names in
// keep.
func checkLeftovers(t *testing.T, dir string, keep ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if !strings.Contains(" "+strings.Join(keep, " ")+" ", " "+e.Name()+" ") {
			left = append(left, e.Name())
		}
	}
	if len(left) > 0 {
		t.Errorf("%s holds %q after an interrupted run", dir, left)
	}
}

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
			c.waitRunning()
			c.signal(tc.sig)
			if code := c.wait(); code != cli.ExitInterrupted {
				t.Errorf("sim %s after %v: exit %d, want %d\n%s", tc.args[0], tc.sig, code, cli.ExitInterrupted, c.stderr.String())
			}
			want := fmt.Sprintf("sim %s: signal-long: interrupted; nothing written\n", tc.args[0])
			if stderr := c.stderr.String(); stderr != want {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
			if c.stdout.String() != "" {
				t.Errorf("an interrupted run printed %q", c.stdout.String())
			}
			checkLeftovers(t, dir, keep...) // no out/, no results/, no temporary file
			checkLeftovers(t, filepath.Join(dir, "parent"))
			checkLeftovers(t, tmp)
			if err := syscall.Kill(-c.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("a process of sim's group is still running after it exited (kill -0: %v)", err)
			}
		})
	}
}

func (c *child) signal(sig os.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal %v: %v", sig, err)
	}
}
