package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestLocalExhaustion: a check that could not get a socket is the proxy's
// problem, not the backend's; a refused or reset connection is the
// backend's.
func TestLocalExhaustion(t *testing.T) {
	dial := func(errno syscall.Errno) error {
		op := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", errno)}
		return &url.Error{Op: "Get", URL: "http://127.0.0.1:1/health", Err: fmt.Errorf("wrapped: %w", op)}
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{dial(syscall.EMFILE), true},
		{dial(syscall.ENFILE), true},
		{dial(syscall.ENOBUFS), true},
		{dial(syscall.ECONNREFUSED), false},
		{dial(syscall.ECONNRESET), false},
		{errors.New("EOF"), false},
	} {
		if got := localExhaustion(c.err); got != c.want {
			t.Errorf("localExhaustion(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestChecksWithoutDescriptors: checks that fail for want of a socket leave
// the backend as it was; checks that are refused take it out. The dialer
// is scripted, so the test counts checks instead of waiting for time.
func TestChecksWithoutDescriptors(t *testing.T) {
	for _, c := range []struct {
		errno    syscall.Errno
		wantDown bool
	}{{syscall.EMFILE, false}, {syscall.ECONNREFUSED, true}} {
		t.Run(c.errno.Error(), func(t *testing.T) {
			checkLeaks(t)
			b := newTestBackend(t, "b")
			var hl healthLog
			p, err := New(Config{Listen: "127.0.0.1:0", Backends: backendsOf(b), ErrorLog: quiet, OnHealth: hl.record,
				Health: &HealthCheck{Interval: time.Millisecond, Timeout: 10 * time.Second, Rise: 1, Fall: 1}})
			if err != nil {
				t.Fatal(err)
			}
			var dials atomic.Int64
			p.health.client.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("socket", c.errno)}
			}
			start(t, p)
			eventually(t, "ten checks were tried", func() bool { return dials.Load() >= 10 })
			if c.wantDown {
				eventually(t, "b is down", func() bool { return hl.has("b down") })
				return
			}
			// Every check up to here has been applied, or is being: one
			// more dial proves the tenth's verdict is in.
			n := dials.Load()
			eventually(t, "one more check", func() bool { return dials.Load() > n })
			if !p.health.healthy(0) || hl.String() != "" {
				t.Errorf("checks without a socket changed b's health: %q", hl.String())
			}
		})
	}
}
