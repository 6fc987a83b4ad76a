package clitest

// Real processes for the commands' signal tests: build the command's
// binary once per test binary, run it, wait for what it writes or for its
// CPU time (events, never a fixed time), signal it, and wait for its exit.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// HangGuard bounds every wait of a Process: reaching it is a hang, not a
// slow machine.
const HangGuard = 60 * time.Second

// BuildMain builds the main package in the current directory (a command's
// own tests run there) as name in a new temporary directory, for TestMain;
// cleanup removes it.
func BuildMain(name string) (bin string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "fulcrum-"+name+"-test-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, name)
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building %s: %v\n%s", name, err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// Buffer is a bytes.Buffer that a process's output (or a server's
// goroutines) can write while a test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Process is a command's process started by a test.
type Process struct {
	t              *testing.T
	Cmd            *exec.Cmd
	Stdout, Stderr Buffer
	done           chan struct{} // closed when it has exited
	state          *os.ProcessState
}

// Start runs bin with args in dir, in a process group of its own, with
// TMPDIR set to tmp (so that what it leaves there can be checked); the
// test's end kills it if it is still running.
func Start(t *testing.T, bin, dir, tmp string, args ...string) *Process {
	t.Helper()
	c := &Process{t: t, done: make(chan struct{})}
	c.Cmd = exec.Command(bin, args...)
	c.Cmd.Dir = dir
	c.Cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	c.Cmd.Stdout, c.Cmd.Stderr = &c.Stdout, &c.Stderr
	c.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.Cmd.Wait()
		c.state = c.Cmd.ProcessState
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			c.Cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

func (c *Process) name() string {
	return filepath.Base(c.Cmd.Path) + fmt.Sprintf(" %q", c.Cmd.Args[1:])
}

// Exited is closed once the process has exited.
func (c *Process) Exited() <-chan struct{} { return c.done }

// WaitLine waits until stderr matches re and returns the match's
// submatches; it fails the test if the process exits first.
func (c *Process) WaitLine(re *regexp.Regexp) []string {
	c.t.Helper()
	deadline := time.Now().Add(HangGuard)
	for {
		if m := re.FindStringSubmatch(c.Stderr.String()); m != nil {
			return m
		}
		select {
		case <-c.done:
			if m := re.FindStringSubmatch(c.Stderr.String()); m != nil {
				return m
			}
			c.t.Fatalf("%s exited (%v) before writing %q:\n%s", c.name(), c.state, re, c.Stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s never wrote %q:\n%s", c.name(), re, c.Stderr.String())
		}
	}
}

// WaitCPU waits until the process has used ticks of CPU time (user and
// system, in 1/100 s), by which a run is surely under way: CPU time, unlike
// wall time, does not stretch on a busy machine. It skips the test where
// there is no /proc.
func (c *Process) WaitCPU(ticks int) {
	c.t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		c.t.Skip("no /proc to tell when the run is under way")
	}
	deadline := time.Now().Add(HangGuard)
	for {
		used, err := cpuTicks(c.Cmd.Process.Pid)
		if err == nil && used >= ticks {
			return
		}
		select {
		case <-c.done:
			c.t.Fatalf("%s exited (%v) before it was under way:\n%s", c.name(), c.state, c.Stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s used %d ticks of CPU in %v (%v)", c.name(), used, HangGuard, err)
		}
	}
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
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: cannot read %q", pid, data)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: cannot read %q", pid, data)
	}
	utime, err1 := strconv.Atoi(f[11])
	stime, err2 := strconv.Atoi(f[12])
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// Signal sends the process sig.
func (c *Process) Signal(sig os.Signal) {
	c.t.Helper()
	if err := c.Cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal %v: %v", sig, err)
	}
}

// Wait waits for the process to exit and returns its exit status; it fails
// the test if a signal killed it.
func (c *Process) Wait() int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(HangGuard):
		c.t.Fatalf("%s did not exit:\n%s", c.name(), c.Stderr.String())
	}
	if ws, ok := c.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		c.t.Fatalf("%s was killed by %v:\n%s", c.name(), ws.Signal(), c.Stderr.String())
	}
	return c.state.ExitCode()
}

// CheckGroupGone fails the test if a process of c's group is still
// running: c started none that outlive it.
func (c *Process) CheckGroupGone() {
	c.t.Helper()
	if err := syscall.Kill(-c.Cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		c.t.Errorf("a process of %s's group is still running after it exited (kill -0: %v)", c.name(), err)
	}
}

// CheckLeftovers fails the test unless dir holds exactly the names in keep
// (hidden ones included).
func CheckLeftovers(t *testing.T, dir string, keep ...string) {
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
