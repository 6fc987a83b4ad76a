// Package etcdtest runs a real etcd server for tests: Debian's etcd-server
// (/usr/bin/etcd) or any etcd on PATH, one member on 127.0.0.1 with free
// client and peer ports and a data directory under t.TempDir(). A test
// that needs one skips when there is no etcd binary, except under CI (the
// CI environment variable set), where .ci/run installs it and a missing
// binary is a failure. Import it from _test.go files only.
package etcdtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long etcd may take to answer after it starts
// (a hang guard: the wait ends as soon as it answers).
const startTimeout = 30 * time.Second

// Server is a running etcd member.
type Server struct {
	t          testing.TB
	bin, dir   string
	clientPort int
	peerPort   int
	mu         sync.Mutex
	cmd        *exec.Cmd
	done       chan struct{} // closed when cmd has exited
	log        *syncBuffer   // the server's output, for failures
}

// Binary returns the etcd binary's path, or skips t (fails it under CI).
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/etcd"); serr == nil {
			bin, err = "/usr/bin/etcd", nil
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no etcd binary (on PATH or /usr/bin/etcd), and CI is set: .ci/run installs Debian's etcd-server")
		}
		t.Skip("no etcd binary (on PATH or /usr/bin/etcd): install Debian's etcd-server to run this test")
	}
	return bin
}

// Start starts an etcd member and waits until it answers; t's cleanup
// stops it and waits for its process.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, bin: Binary(t), dir: filepath.Join(t.TempDir(), "etcd"), clientPort: freePort(t), peerPort: freePort(t)}
	t.Cleanup(s.Stop)
	s.Restart()
	return s
}

// ClientURL is the member's client URL, http://127.0.0.1:PORT.
func (s *Server) ClientURL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.clientPort) }

// HostPort is the client URL's 127.0.0.1:PORT.
func (s *Server) HostPort() string { return fmt.Sprintf("127.0.0.1:%d", s.clientPort) }

// Restart starts the member again after Stop (or for the first time) on
// the same ports and data directory, and waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.t.Fatalf("etcdtest: Restart while etcd is running")
	}
	peer := fmt.Sprintf("http://127.0.0.1:%d", s.peerPort)
	cmd := exec.Command(s.bin,
		"--name", "fulcrum-test",
		"--data-dir", s.dir,
		"--listen-client-urls", s.ClientURL(),
		"--advertise-client-urls", s.ClientURL(),
		"--listen-peer-urls", peer,
		"--initial-advertise-peer-urls", peer,
		"--initial-cluster", "fulcrum-test="+peer,
		"--initial-cluster-state", "new",
	)
	if s.log == nil {
		s.log = &syncBuffer{}
	}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("etcdtest: start %s: %v", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitHealthy(ctx, s.ClientURL(), done); err != nil {
		s.stopLocked()
		s.t.Fatalf("etcdtest: etcd on %s did not answer: %v\n%s", s.ClientURL(), err, s.log.String())
	}
}

// Stop stops the member (SIGTERM, then SIGKILL after 10s) and waits for
// its process; a no-op when it is not running.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd, s.done = nil, nil
}

// Log is what the server wrote so far, for a failing test's message.
func (s *Server) Log() string { return s.log.String() }

// waitHealthy asks etcd's /health until it says true, the process exits or
// ctx ends.
func waitHealthy(ctx context.Context, url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(url + "/health")
		if err == nil {
			var body [256]byte
			n, _ := resp.Body.Read(body[:])
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.Contains(body[:n], []byte(`"true"`)) {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("etcd exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// freePort is a TCP port on 127.0.0.1 that nothing listened on a moment
// ago (the kernel's pick; etcd binds it next).
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	n, _ := strconv.Atoi(port)
	return n
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
