package promexport

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

// needTool returns the path of an external program a test needs. Missing,
// the test is skipped, unless CI is set: CI installs it (.ci/run), so
// there its absence is a failure.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found, and CI is set: .ci/run installs it (Debian package %s)", name, pkg)
		}
		t.Skipf("%s not found: install Debian's %s package to run this test", name, pkg)
	}
	return path
}

// TestPromtoolCheckMetrics runs promtool check metrics (Prometheus's own
// linter: names, units, suffixes, help, types) on real scrapes after
// traffic: a proxy's admin listener, and a Hub of two proxies as bench run
// --admin serves it.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	checkLeaks(t)
	okB := newTestBackend(t, "ok", answerOK)
	bad := newTestBackend(t, "bad", status(http.StatusInternalServerError))
	cfg := proxy.Config{
		Retries:     1,
		Hedge:       &proxy.Hedge{After: time.Millisecond, Max: 1},
		RetryBudget: &proxy.RetryBudget{Ratio: 0.5},
		Passive:     &proxy.Passive{ConsecutiveFailures: 2, Ejection: time.Hour},
		Health:      &proxy.HealthCheck{Interval: time.Second, Timeout: 5 * time.Second},
	}
	p, _ := startProxy(t, cfg, okB, bad)
	var s seen
	s.send(t, newClient(t), p.URL(), 20)
	_, body := getMetrics(t, p.AdminAddr())

	// Two proxies' metrics through a Hub, each with traffic.
	hub := NewHub()
	for _, label := range []string{"rr", "p2c"} {
		o := hub.Observer(label, 0)
		b := o.Backend(0, "web-0")
		o.Request()
		b.Picked()
		b.Started()
		b.Done(proxy.OutcomeOK, 3*time.Millisecond)
		b.Member(true)
	}
	rec := &bodyRecorder{}
	req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	Handler(hub).ServeHTTP(rec, req)

	for _, c := range []struct{ name, text string }{{"proxy", body}, {"hub", rec.buf.String()}} {
		t.Run(c.name, func(t *testing.T) {
			for _, want := range []string{"fulcrum_backend_requests_total{", "fulcrum_build_info{", "go_goroutines", "process_cpu_seconds_total"} {
				if !strings.Contains(c.text, want) {
					t.Fatalf("no %s in the scrape:\n%s", want, c.text)
				}
			}
			cmd := exec.Command(promtool, "check", "metrics")
			cmd.Stdin = strings.NewReader(c.text)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("promtool check metrics: %v\n%s", err, out)
			}
			if len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("promtool check metrics had something to say:\n%s", out)
			}
		})
	}
}

// bodyRecorder is a minimal http.ResponseWriter.
type bodyRecorder struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func (r *bodyRecorder) Header() http.Header {
	if r.h == nil {
		r.h = http.Header{}
	}
	return r.h
}
func (r *bodyRecorder) WriteHeader(code int)        { r.code = code }
func (r *bodyRecorder) Write(b []byte) (int, error) { return r.buf.Write(b) }

// TestAdminApart: the metrics are on the admin listener only. On the
// traffic port /metrics is a path like any other, proxied to a backend;
// the admin listener serves /metrics and nothing else, and never proxies.
func TestAdminApart(t *testing.T) {
	checkLeaks(t)
	b := newTestBackend(t, "web-0", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "backend "+r.URL.Path)
	})
	p, _ := startProxy(t, proxy.Config{}, b)
	if p.AdminAddr() == "" || p.AdminAddr() == strings.TrimPrefix(p.URL(), "http://") {
		t.Fatalf("admin %q, traffic %q: want two listeners", p.AdminAddr(), p.URL())
	}
	c := newClient(t)
	do := func(method, url string) (int, string, string) {
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Fulcrum-Backend"), string(body)
	}
	admin := "http://" + p.AdminAddr()
	for _, tc := range []struct {
		name, method, url string
		status            int
		backend, body     string // the answer's X-Fulcrum-Backend, and a part of its body
		hits              int64  // the backend's requests so far
	}{
		{"traffic /metrics goes to the backend", "GET", p.URL() + "/metrics", 200, "web-0", "backend /metrics", 1},
		{"traffic /work", "GET", p.URL() + "/work", 200, "web-0", "backend /work", 2},
		{"admin /metrics", "GET", admin + "/metrics", 200, "", "fulcrum_requests_total", 2},
		{"admin HEAD /metrics", "HEAD", admin + "/metrics", 200, "", "", 2},
		{"admin /", "GET", admin + "/", 404, "", "", 2},
		{"admin /work is not proxied", "GET", admin + "/work", 404, "", "", 2},
		{"admin /metrics/x", "GET", admin + "/metrics/x", 404, "", "", 2},
		{"admin POST /metrics", "POST", admin + "/metrics", 405, "", "", 2},
	} {
		status, backend, body := do(tc.method, tc.url)
		if status != tc.status || backend != tc.backend || !strings.Contains(body, tc.body) || b.hits.Load() != tc.hits {
			t.Errorf("%s: %d from %q (%.60q), backend hits %d; want %d from %q with %q, %d hits",
				tc.name, status, backend, body, b.hits.Load(), tc.status, tc.backend, tc.body, tc.hits)
		}
		if strings.HasPrefix(tc.url, p.URL()) && strings.Contains(body, "fulcrum_") {
			t.Errorf("%s: the traffic port served metrics:\n%s", tc.name, body)
		}
	}
	// The scrape counted the two proxied requests, and only them.
	s, _ := getMetrics(t, p.AdminAddr())
	if got := s.get("fulcrum_requests_total", nil); got != 2 {
		t.Errorf("fulcrum_requests_total %v, want 2 (the admin's requests are not traffic)", got)
	}
}

// TestDiscoveredBackends: a backend a discovery source adds gets its
// series when it joins (member 1, healthy 1) and keeps them when it
// leaves (member 0), its counts intact.
func TestDiscoveredBackends(t *testing.T) {
	checkLeaks(t)
	a, c := newTestBackend(t, "a", answerOK), newTestBackend(t, "c", answerOK)
	src := discovery.NewMemory([]discovery.Backend{{Name: "a", URL: a.srv.URL}})
	p, _ := startProxy(t, proxy.Config{Discovery: src}, a)
	client := newClient(t)
	var s seen
	s.send(t, client, p.URL(), 4)
	m, _ := getMetrics(t, p.AdminAddr())
	if m.has("fulcrum_backend_member", L{"backend": "c"}) || m.get("fulcrum_backend_member", L{"backend": "a"}) != 1 {
		t.Fatalf("before c joins: member series %v", m["fulcrum_backend_member"])
	}
	src.Publish([]discovery.Backend{{Name: "a", URL: a.srv.URL}, {Name: "c", URL: c.srv.URL}})
	s.send(t, client, p.URL(), 4)
	src.Publish([]discovery.Backend{{Name: "c", URL: c.srv.URL}})
	s.send(t, client, p.URL(), 4)
	m, _ = getMetrics(t, p.AdminAddr())
	for _, b := range []struct {
		name            string
		member, healthy float64
		ok              float64
	}{{"a", 0, 1, 6}, {"c", 1, 1, 6}} {
		got := m.get("fulcrum_backend_requests_total", L{"backend": b.name, "outcome": "ok"})
		if m.get("fulcrum_backend_member", L{"backend": b.name}) != b.member || m.get("fulcrum_backend_healthy", L{"backend": b.name}) != b.healthy || got != b.ok {
			t.Errorf("%s: member %v healthy %v ok %v; want %v, %v, %v", b.name,
				m.get("fulcrum_backend_member", L{"backend": b.name}), m.get("fulcrum_backend_healthy", L{"backend": b.name}), got, b.member, b.healthy, b.ok)
		}
		if hits := float64(map[string]*testBackend{"a": a, "c": c}[b.name].hits.Load()); hits != got {
			t.Errorf("%s: its handler saw %v requests, the metrics %v", b.name, hits, got)
		}
	}
}

// TestHub: bench run's proxies, one after another, behind one Gatherer. A
// proxy of a label and instance replaces the last one of the same; those
// of other labels or instances stay, each series labelled with its own.
func TestHub(t *testing.T) {
	hub := NewHub()
	use := func(label string, balancer, requests int) {
		o := hub.Observer(label, balancer)
		b := o.Backend(0, "web-0")
		for range requests {
			o.Request()
			b.Picked()
			b.Started()
			b.Done(proxy.OutcomeOK, time.Millisecond)
		}
	}
	use("rr", 0, 5)
	use("p2c", 0, 7)
	use("p2c", 1, 2)
	use("rr", 0, 3) // the next repetition of rr: its own counts from 0
	fams, err := hub.Gather()
	if err != nil {
		t.Fatal(err)
	}
	s := scrape{}
	for _, f := range fams {
		s[f.GetName()] = f
	}
	for _, c := range []struct {
		label, balancer string
		want            float64
	}{{"rr", "0", 3}, {"p2c", "0", 7}, {"p2c", "1", 2}} {
		if got := s.get("fulcrum_requests_total", L{"algorithm": c.label, "balancer": c.balancer}); got != c.want {
			t.Errorf("%s/%s: %v requests, want %v", c.label, c.balancer, got, c.want)
		}
	}
	if n := len(s["fulcrum_requests_total"].GetMetric()); n != 3 {
		t.Errorf("%d series of fulcrum_requests_total, want 3", n)
	}
	if n := len(s["go_goroutines"].GetMetric()); n != 1 {
		t.Errorf("%d series of go_goroutines, want 1 (once for the process)", n)
	}
}
