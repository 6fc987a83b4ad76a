// Command proxyfloor is the least an HTTP/1.1 reverse proxy built on
// net/http can cost per request, timed beside HAProxy and Fulcrum's proxy
// in the anchor layout (../shared/anchors) to tell how much of the gap
// between them is net/http's and how much Fulcrum's (issue 15).
//
// It keeps what any proxy on net/http pays for: net/http's server (its
// parser, its connection goroutine, the background read it starts for
// every bodiless request), a request copy with the target set and
// X-Forwarded-For added, a pooled keep-alive connection to the backend
// written with Request.Write and read with http.ReadResponse on the
// request's goroutine (no http.Transport hand-offs: Fulcrum's fast path
// does the same), the answer's headers and body copied back. Backends are
// taken in turn. It leaves out everything that makes a proxy safe or
// useful: hop-by-hop header hygiene, framing checks, timeouts, retries,
// health, a Balancer, the figures. It is a floor, not a proxy: never put it
// in front of anything.
//
//	go run ./scripts/floors/proxyfloor -listen 127.0.0.1:18099 -backends 127.0.0.1:19001,127.0.0.1:19002
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("proxyfloor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:18099", "address to listen on")
	backends := fs.String("backends", "", "backends' host:port, comma-separated")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	f, err := newFloor(*backends)
	if err != nil {
		fmt.Fprintln(stderr, "proxyfloor:", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "proxyfloor:", err)
		return 1
	}
	srv := &http.Server{Handler: f}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() { <-stop; srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "proxyfloor:", err)
		return 1
	}
	f.close()
	return 0
}

type conn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

type backend struct {
	addr string
	mu   sync.Mutex
	idle []*conn
}

func (b *backend) get() (*conn, error) {
	b.mu.Lock()
	if n := len(b.idle); n > 0 {
		c := b.idle[n-1]
		b.idle = b.idle[:n-1]
		b.mu.Unlock()
		return c, nil
	}
	b.mu.Unlock()
	c, err := net.Dial("tcp", b.addr)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, br: bufio.NewReader(c), bw: bufio.NewWriter(c)}, nil
}

func (b *backend) put(c *conn) {
	b.mu.Lock()
	b.idle = append(b.idle, c)
	b.mu.Unlock()
}

// floor is the handler: round robin over its backends.
type floor struct {
	backends []*backend
	next     atomic.Uint64
}

func newFloor(list string) (*floor, error) {
	f := &floor{}
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("-backends: %q is not host:port: %v", a, err)
		}
		f.backends = append(f.backends, &backend{addr: a})
	}
	if len(f.backends) == 0 {
		return nil, errors.New("-backends: give at least one host:port")
	}
	return f, nil
}

func (f *floor) close() {
	for _, b := range f.backends {
		b.mu.Lock()
		for _, c := range b.idle {
			c.c.Close()
		}
		b.idle = nil
		b.mu.Unlock()
	}
}

func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := f.backends[(f.next.Add(1)-1)%uint64(len(f.backends))]
	c, err := b.get()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.RequestURI = "http", b.addr, ""
	out.Header.Set("X-Forwarded-For", r.RemoteAddr)
	err = out.Write(c.bw)
	if err == nil {
		err = c.bw.Flush()
	}
	var res *http.Response
	if err == nil {
		res, err = http.ReadResponse(c.br, out)
	}
	if err != nil {
		c.c.Close()
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, err = io.Copy(w, res.Body)
	res.Body.Close()
	if err != nil || res.Close {
		c.c.Close()
		return
	}
	b.put(c)
}
