package promexport

import (
	"context"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	fmodel "github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// Tests in this package do not run in parallel: leakcheck sees every
// goroutine of the process.

var quiet = log.New(io.Discard, "", 0)

// behaviour is how a test backend answers a request (its /health always
// answers 200 at once).
type behaviour func(w http.ResponseWriter, r *http.Request)

var (
	answerOK behaviour = func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	// reset closes the connection without an answer.
	reset behaviour = func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	// hang never answers: it returns when the proxy gives up the attempt.
	hang behaviour = func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
)

// status answers code.
func status(code int) behaviour {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

// after answers 200 after d, or returns when the proxy gives up first.
func after(d time.Duration) behaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			io.WriteString(w, "ok")
		case <-r.Context().Done():
		}
	}
}

// testBackend is an httptest server on 127.0.0.1 that names itself in
// X-Fulcrum-Backend and counts the requests that reached its handler
// (health checks apart).
type testBackend struct {
	name string
	srv  *httptest.Server
	hits atomic.Int64
	do   behaviour
}

func newTestBackend(t *testing.T, name string, do behaviour) *testBackend {
	t.Helper()
	b := &testBackend{name: name, do: do}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(wire.Backend, b.name)
		if r.URL.Path == wire.Health {
			return
		}
		b.hits.Add(1)
		b.do(w, r)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// startProxy starts a proxy over bs with its metrics on an admin listener
// on a free loopback port, and shuts it down at cleanup.
func startProxy(t *testing.T, cfg proxy.Config, bs ...*testBackend) (*proxy.Proxy, *Metrics) {
	t.Helper()
	for _, b := range bs {
		cfg.Backends = append(cfg.Backends, proxy.Backend{Name: b.name, URL: b.srv.URL})
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = "round-robin"
	}
	cfg.Listen, cfg.Admin = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Source = algorithms.LockedSource(rand.NewPCG(1, 2))
	cfg.ErrorLog = quiet
	m := New(Options{Algorithm: cfg.Algorithm, Runtime: true})
	cfg.Observer, cfg.AdminHandler = m, m.Handler()
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p, m
}

// newClient is an HTTP client to the proxy whose idle connections are
// closed at cleanup. Its timeout is a hang guard, not a speed limit.
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// seen is what the client saw of its requests through the proxy.
type seen struct {
	sent      int
	status    map[int]int  // by status code
	proxy     map[int]int  // the proxy's own answers (X-Fulcrum-Error), by code
	tries     fmodel.Tries // summed over the answers (HedgeWon unused: see won)
	won       int          // answers that were a hedge's
	withTries int          // answers that carried X-Fulcrum-Tries
}

// send sends n GET requests through the proxy one after another, reading
// each answer whole.
func (s *seen) send(t *testing.T, c *http.Client, url string, n int) {
	t.Helper()
	if s.status == nil {
		s.status, s.proxy = map[int]int{}, map[int]int{}
	}
	for range n {
		resp, err := c.Get(url + "/work")
		if err != nil {
			t.Fatalf("request %d: %v", s.sent, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		s.sent++
		s.status[resp.StatusCode]++
		if resp.Header.Get(wire.Error) != "" {
			s.proxy[resp.StatusCode]++
		}
		if v := resp.Header.Get(wire.Tries); v != "" {
			tr, ok := fmodel.ParseTries(v)
			if !ok {
				t.Fatalf("X-Fulcrum-Tries %q", v)
			}
			s.withTries++
			s.tries.HedgesSent += tr.HedgesSent
			s.tries.HedgesDenied += tr.HedgesDenied
			s.tries.RetriesSent += tr.RetriesSent
			s.tries.RetriesDenied += tr.RetriesDenied
			if tr.HedgeWon {
				s.won++
			}
		}
	}
}

// scrapeClient scrapes as Prometheus does, a connection a scrape (none left
// open for the leak check to find).
var scrapeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}

// scrape is one scrape of /metrics, parsed.
type scrape map[string]*dto.MetricFamily

// getMetrics scrapes the admin listener over HTTP.
func getMetrics(t *testing.T, adminAddr string) (scrape, string) {
	t.Helper()
	resp, err := scrapeClient.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v\n%s", resp.StatusCode, err, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parsing the scrape: %v\n%s", err, body)
	}
	return fams, string(body)
}

// get returns the value of the sample of family name whose labels include
// want (a counter's, a gauge's, or a histogram's sample count), summed
// over the samples that match; 0 if none does.
func (s scrape) get(name string, want map[string]string) float64 {
	f, ok := s[name]
	if !ok {
		return 0
	}
	var sum float64
	for _, m := range f.GetMetric() {
		if !matches(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// has reports whether family name has a sample whose labels include want.
func (s scrape) has(name string, want map[string]string) bool {
	for _, m := range s[name].GetMetric() {
		if matches(m, want) {
			return true
		}
	}
	return false
}

func matches(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

// L is a label set, for get.
type L = map[string]string

// healthLog counts OnHealth's "down" events per backend.
type healthLog struct {
	mu   sync.Mutex
	down map[string]int
	up   map[string]int
}

func (h *healthLog) record(_ time.Duration, name string, healthy bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down == nil {
		h.down, h.up = map[string]int{}, map[string]int{}
	}
	if healthy {
		h.up[name]++
	} else {
		h.down[name]++
	}
}

func (h *healthLog) downs(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down[name]
}

// eventually polls cond until it holds, or fails t after a while (a hang
// guard for a busy machine, not a speed limit).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var checkLeaks = leakcheck.Check
