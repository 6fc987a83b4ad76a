package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// hangGuard bounds every wait of these tests for something that must
// happen: it only turns a hang into a failure with a message, so it is far
// longer than anything takes on the busiest machine.
const hangGuard = 60 * time.Second

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

// uniform1h is uniform on [0, 1h]: u = 0.5 holds a worker for half an hour,
// for requests that must stay held however slow the machine is (until a
// crash or a forced Close ends them), and u = 0 takes no time.
func uniform1h(t testing.TB) dist.Dist {
	return mustDist(t, dist.Spec{Dist: "uniform", Min: 0, Max: time.Hour})
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
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close %s: %v", s.Name(), err)
		}
	})
	return s
}

// newClient is an HTTP client whose connections close when t ends. Its
// timeout is only a hang guard.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: hangGuard}
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
		req.Header.Set(wire.Quantile, strconv.FormatFloat(u, 'g', -1, 64))
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
	r := reply{status: resp.StatusCode, body: string(b), err: err, elapsed: time.Since(t0)}
	r.fromHeader(resp.Header)
	return r
}

func (r *reply) fromHeader(h http.Header) {
	r.backend = h.Get(wire.Backend)
	r.service = micros(h.Get(wire.Service))
	r.queue = micros(h.Get(wire.Queue))
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

// waitFor polls cond until it holds; the deadline is only a hang guard.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after %v for %s", hangGuard, what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// waitInflight waits until the server holds n requests.
func waitInflight(t testing.TB, s *Server, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s to hold %d requests (it holds %d)", s.Name(), n, s.inflight()), func() bool { return s.inflight() == n })
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

// Servers in a synctest bubble.
//
// A Server started by Start listens on loopback and sleeps on timerfds,
// neither of which a synctest bubble can wait for. bubbleServer is the same
// server without them, for tests of the model itself: its requests are
// handed to Server.handle in-process, it sleeps on Go timers (its pool of
// sleepers is filled with one per worker, so newSleeper is never called)
// and its clock is the bubble's. In the bubble, time moves only when every
// goroutine is blocked and timers fire exactly on time, so every wake-up is
// punctual (the lead stays 0) and the model's values are exact: a reply
// comes exactly at its deadline, queues are exactly the scripted ones.
//
// It is Start's server (newServer) without a listener, and cannot
// Recover (that listens).
func bubbleServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "web-0"
	}
	s := newServer(cfg, "in-process")
	// An http.Server that never served: Crash and Close close it as they
	// close a real one.
	s.life = &life{srv: &http.Server{}, drop: make(chan struct{})}
	for range s.free {
		s.sleepers = append(s.sleepers, newTimeSleeper())
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("close %s: %v", s.Name(), err)
		}
	})
	return s
}

// errAborted is a reply whose handler aborted (http.ErrAbortHandler: the
// connection is reset); errRefused one sent to a crashed server.
var (
	errAborted = errors.New("handler aborted")
	errRefused = errors.New("server down")
)

// call hands GET path with quantile u (u < 0: no header) to the server's
// handler in this goroutine, as its http.Server would.
func (s *Server) call(path string, u float64) (r reply) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if u >= 0 {
		req.Header.Set(wire.Quantile, strconv.FormatFloat(u, 'g', -1, 64))
	}
	s.mu.Lock()
	lf := s.life
	s.mu.Unlock()
	if lf == nil {
		return reply{err: errRefused}
	}
	w := httptest.NewRecorder()
	t0 := time.Now()
	defer func() {
		r.elapsed = time.Since(t0)
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			r.err = errAborted
			return
		}
		r.status, r.body = w.Code, w.Body.String()
		r.fromHeader(w.Result().Header)
	}()
	s.handle(lf, w, req)
	return r
}

// launchLocal sends /req/0 .. /req/(n-1) with quantiles us[k] to a bubble
// server, each once the one before is blocked (queued, in service or done),
// so they arrive in order and at the bubble's current time; wait waits for
// the replies.
func launchLocal(s *Server, us []float64) (wait func() []reply) {
	out := make([]reply, len(us))
	var wg sync.WaitGroup
	for k, u := range us {
		wg.Go(func() { out[k] = s.call(fmt.Sprintf("/req/%d", k), u) })
		synctest.Wait()
	}
	return func() []reply { wg.Wait(); return out }
}
