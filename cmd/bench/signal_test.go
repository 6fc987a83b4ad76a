package main

// Real processes and real signals: the bench binary, built once for this
// test binary, interrupted mid-run and stopped while a request is in
// flight. Every wait is for an event (a line on stderr, a request reaching
// a backend, the process's exit); the deadlines are hang guards only.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// benchBin is the bench binary TestMain builds.
var benchBin string

func TestMain(m *testing.M) {
	bin, cleanup, err := clitest.BuildMain("bench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	benchBin = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// startChild runs bench with args in dir, with TMPDIR set to tmp.
func startChild(t *testing.T, dir, tmp string, args ...string) *clitest.Process {
	t.Helper()
	return clitest.Start(t, benchBin, dir, tmp, args...)
}

// listeners returns the TCP ports pid listens on, from /proc (nil where
// there is no /proc).
func listeners(t *testing.T, pid int) map[int]bool {
	t.Helper()
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	ports := map[int]bool{}
	for port, inode := range listeningSockets() {
		if inodes[inode] {
			ports[port] = true
		}
	}
	return ports
}

// listeningSockets returns every listening TCP socket's inode by its port,
// from /proc/net/tcp and tcp6.
func listeningSockets() map[int]string {
	out := map[int]string{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Scan() // the header
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if port, err := strconv.ParseUint(hexPort, 16, 16); err == nil {
				out[int(port)] = f[9]
			}
		}
	}
	return out
}

// checkNotListening fails the test if one of ports has a listener again.
func checkNotListening(t *testing.T, ports map[int]bool) {
	t.Helper()
	now := listeningSockets()
	for port := range ports {
		if _, ok := now[port]; ok {
			t.Errorf("port %d still has a listener after bench exited", port)
		}
	}
}

// longScenario cannot finish before the test interrupts it: 10 minutes of
// arrivals at 300 req/s, on two constant-1ms servers.
const longScenario = `name: signal-long
seed: 1
requests: 200000
arrivals: {process: poisson, rate: 300}
servers:
  - {name: web, count: 2, service: {dist: constant, value: 1ms}}
algorithms: [round-robin, random]
`

// upLine is bench run --verbose's line once the first answers are in.
var upLine = regexp.MustCompile(`bench run: signal-long: measuring: the first answers are in`)

// TestRunSignal interrupts a real bench run while it measures: it must
// exit 130 and leave nothing behind, no run directory (--out or the
// default), no temporary file, no listener and no process.
func TestRunSignal(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
	}{
		{syscall.SIGINT, []string{"--out", "out"}},
		{syscall.SIGTERM, nil}, // the default results/runs/signal-long/<time>-real
		{syscall.SIGTERM, []string{"--out", "out", "--repeat", "2"}},
	} {
		t.Run(fmt.Sprintf("%v %q", tc.sig, tc.args), func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "long.yaml"), []byte(longScenario), 0o644); err != nil {
				t.Fatal(err)
			}
			c := startChild(t, dir, tmp, append([]string{"run", "long.yaml", "--verbose"}, tc.args...)...)
			c.WaitLine(upLine)
			ports := listeners(t, c.Cmd.Process.Pid)
			if _, err := os.Stat("/proc/net/tcp"); err == nil && len(ports) < 3 {
				t.Errorf("bench run listens on %d ports, want 2 backends and a proxy at least", len(ports))
			}
			c.Signal(tc.sig)
			if code := c.Wait(); code != cli.ExitInterrupted {
				t.Errorf("bench run after %v: exit %d, want %d\n%s", tc.sig, code, cli.ExitInterrupted, c.Stderr.String())
			}
			if stderr := c.Stderr.String(); !strings.Contains(stderr, "bench run: signal-long: interrupted; nothing written\n") {
				t.Errorf("stderr lacks the interruption:\n%s", stderr)
			}
			if c.Stdout.String() != "" {
				t.Errorf("an interrupted run printed %q", c.Stdout.String())
			}
			clitest.CheckLeftovers(t, dir, "long.yaml") // no out/, no results/, no temporary file
			clitest.CheckLeftovers(t, tmp)              // the staging directory for vegeta's files is gone
			checkNotListening(t, ports)
			c.CheckGroupGone()
		})
	}
}

// TestRunSignalInProcess interrupts bench run in this process with a real
// SIGTERM once it measures, and checks that the backends, proxies and load
// generator it started are all stopped: no goroutine and no listener left.
func TestRunSignalInProcess(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "long.yaml")
	if err := os.WriteFile(scenario, []byte(longScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	before := listeners(t, os.Getpid())
	var stdout, stderr clitest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- program.Run(t.Context(), []string{"run", scenario, "--verbose", "--out", filepath.Join(dir, "out")}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(clitest.HangGuard)
	for !upLine.MatchString(stderr.String()) {
		select {
		case code := <-done:
			t.Fatalf("bench run exited %d before measuring:\n%s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("bench run never started measuring:\n%s", stderr.String())
		}
	}
	// bench run catches SIGTERM from before it starts measuring until it
	// has stopped: this process is not killed.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != cli.ExitInterrupted {
			t.Errorf("bench run after SIGTERM: exit %d, want %d\n%s", code, cli.ExitInterrupted, stderr.String())
		}
	case <-time.After(clitest.HangGuard):
		t.Fatalf("bench run did not stop after SIGTERM:\n%s", stderr.String())
	}
	for port := range listeners(t, os.Getpid()) {
		if !before[port] {
			t.Errorf("port %d still has a listener of this process after bench run stopped", port)
		}
	}
	clitest.CheckLeftovers(t, dir, "long.yaml")
}

// slowBackend is a backend whose GET requests wait until released (or
// until their client gives up); HEAD, the classic health check, answers at
// once.
type slowBackend struct {
	*httptest.Server
	arrived chan struct{} // a GET reached the backend
	release chan struct{} // closed by Release: the GETs answer 200 "done"
	once    sync.Once
}

// Release lets every GET, waiting or to come, answer.
func (b *slowBackend) Release() { b.once.Do(func() { close(b.release) }) }

func newSlowBackend(t *testing.T) *slowBackend {
	b := &slowBackend{arrived: make(chan struct{}, 16), release: make(chan struct{})}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			return
		}
		b.arrived <- struct{}{}
		select {
		case <-b.release:
			io.WriteString(w, "done")
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(b.Close)
	t.Cleanup(b.Release) // before Close: cleanups run last first
	return b
}

// startProxy runs bench proxy in front of backend with args and waits
// until it listens; it returns the process and its URL.
func startProxy(t *testing.T, backend string, args ...string) (*clitest.Process, string) {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.json")
	cfg := `{"port": "127.0.0.1:0", "admin": "127.0.0.1:0", "healthCheckInterval": "1h", "servers": ["` + backend + `"]}`
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, dir, t.TempDir(), append([]string{"proxy", "--config", config}, args...)...)
	m := c.WaitLine(regexp.MustCompile(`listening on (http://\S+)`))
	return c, m[1]
}

// inFlight sends a GET through the proxy and returns a channel that gets
// its outcome.
type outcome struct {
	status int
	body   string
	err    error
}

func sendInFlight(t *testing.T, url string) <-chan outcome {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	ch := make(chan outcome, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr, Timeout: clitest.HangGuard}).Get(url)
		if err != nil {
			ch <- outcome{err: err}
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ch <- outcome{status: resp.StatusCode, body: string(body), err: err}
	}()
	return ch
}

// waitRefused waits until a connection to addr is refused.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(clitest.HangGuard)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if err == nil {
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections to %s still accepted after SIGTERM (%v)", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProxyDrain stops bench proxy with SIGTERM while a request is in
// flight: new connections are refused at once, the request completes with
// 200, and the proxy exits 0.
func TestProxyDrain(t *testing.T) {
	b := newSlowBackend(t)
	c, url := startProxy(t, b.URL, "--drain", "1m")
	res := sendInFlight(t, url+"/slow")
	select {
	case <-b.arrived:
	case <-time.After(clitest.HangGuard):
		t.Fatal("the request never reached the backend")
	}
	c.Signal(syscall.SIGTERM)
	c.WaitLine(regexp.MustCompile(`shutting down`))
	waitRefused(t, strings.TrimPrefix(url, "http://"))
	b.Release()
	o := <-res
	if o.err != nil || o.status != http.StatusOK || o.body != "done" {
		t.Errorf("the request in flight at SIGTERM: %d %q, %v; want 200 \"done\"", o.status, o.body, o.err)
	}
	if code := c.Wait(); code != cli.ExitOK {
		t.Errorf("bench proxy after draining: exit %d, want 0\n%s", code, c.Stderr.String())
	}
	if !strings.Contains(c.Stderr.String(), "bench proxy: drained; stopped\n") {
		t.Errorf("stderr lacks the drain:\n%s", c.Stderr.String())
	}
	c.CheckGroupGone()
}

// TestProxyDrainDeadline stops bench proxy with SIGTERM while a request
// that outlasts --drain is in flight: at the deadline it is cut off and the
// proxy exits 1.
func TestProxyDrainDeadline(t *testing.T) {
	b := newSlowBackend(t)
	const drain = 500 * time.Millisecond
	c, url := startProxy(t, b.URL, "--drain", drain.String())
	res := sendInFlight(t, url+"/slow")
	select {
	case <-b.arrived:
	case <-time.After(clitest.HangGuard):
		t.Fatal("the request never reached the backend")
	}
	start := time.Now()
	c.Signal(syscall.SIGTERM)
	code := c.Wait()
	if elapsed := time.Since(start); elapsed < drain {
		t.Errorf("bench proxy exited %v after SIGTERM, before the drain deadline (%v)", elapsed, drain)
	}
	if code != cli.ExitFailure {
		t.Errorf("bench proxy past the drain deadline: exit %d, want 1\n%s", code, c.Stderr.String())
	}
	if want := "bench proxy: requests still in flight after --drain 500ms: cut off\n"; !strings.Contains(c.Stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, c.Stderr.String())
	}
	if o := <-res; o.err == nil {
		t.Errorf("the request that outlasted the drain got %d %q; want it cut off", o.status, o.body)
	}
	c.CheckGroupGone()
}
