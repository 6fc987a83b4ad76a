package backend

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// checkLeaks fails t if goroutines it did not have at the call are still
// running once it and its cleanups are done. Call it first so its cleanup
// runs last. Tests using it must not run in parallel.
var checkLeaks = leakcheck.Check

// mustDist builds a distribution from a spec or fails t.
func mustDist(t testing.TB, s dist.Spec) dist.Dist {
	t.Helper()
	d, err := dist.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func constant(t testing.TB, v time.Duration) dist.Dist {
	return mustDist(t, dist.Spec{Dist: "constant", Value: v})
}

// uniform1s is uniform on [0, 1s]: a request with quantile u takes u seconds,
// which lets a test script its service times.
func uniform1s(t testing.TB) dist.Dist {
	return mustDist(t, dist.Spec{Dist: "uniform", Min: 0, Max: time.Second})
}

// start starts a server on loopback and closes it when t ends.
func start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "web-0"
	}
	s, err := Start("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close %s: %v", s.Name(), err)
		}
	})
	return s
}

// newClient is an HTTP client whose connections close when t ends.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// reply is what a test keeps of a response.
type reply struct {
	status  int
	body    string
	service time.Duration // X-Fulcrum-Service
	queue   time.Duration // X-Fulcrum-Queue
	backend string
	elapsed time.Duration // as the client saw it
	err     error
}

// get sends GET url with quantile u (u < 0: no header).
func get(c *http.Client, url string, u float64) reply {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return reply{err: err}
	}
	if u >= 0 {
		req.Header.Set(HeaderQuantile, strconv.FormatFloat(u, 'g', -1, 64))
	}
	return send(c, req)
}

func send(c *http.Client, req *http.Request) reply {
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return reply{err: err, elapsed: time.Since(t0)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, body: string(b), err: err, elapsed: time.Since(t0), backend: resp.Header.Get(HeaderBackend)}
	r.service = micros(resp.Header.Get(HeaderService))
	r.queue = micros(resp.Header.Get(HeaderQueue))
	return r
}

func micros(v string) time.Duration {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return -1
	}
	return time.Duration(n) * time.Microsecond
}

// inflight is the server's queued + in-service count.
func (s *Server) inflight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inService + s.queue.len()
}

// waitInflight waits until the server holds n requests.
func waitInflight(t testing.TB, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.inflight() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d requests, want %d", s.Name(), s.inflight(), n)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// setTrace records the path of every request as it starts service.
func (s *Server) setTrace(f func(path string)) {
	s.mu.Lock()
	s.trace = f
	s.mu.Unlock()
}

// roundUS rounds d to whole microseconds, as the headers do.
func roundUS(d time.Duration) time.Duration {
	return (d + 500*time.Nanosecond) / time.Microsecond * time.Microsecond
}
