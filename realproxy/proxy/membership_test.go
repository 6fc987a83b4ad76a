package proxy

import (
	"log"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
)

// TestDiscoveryGrowsAndShrinks: a proxy whose set comes from a
// discovery.Memory follows it while serving. It starts with a alone (b,
// configured, is not in the set; c is not configured at all); then c
// joins (a backend the proxy has never seen: a new ID, health checks of
// its own), then a leaves while a request to it is in flight: that
// request finishes (200), InFlight counts it until then, and nothing new
// goes to a.
func TestDiscoveryGrowsAndShrinks(t *testing.T) {
	a, b, c := newTestBackend(t, "a"), newTestBackend(t, "b"), newTestBackend(t, "c")
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	a.setHandler(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
		w.Write([]byte("ok a"))
	})
	src := discovery.NewMemory([]discovery.Backend{{Name: "a", URL: a.URL()}})
	p := startProxy(t, Config{
		Backends:  backendsOf(a, b),
		Discovery: src,
		Algorithm: "round-robin",
		Health:    &HealthCheck{Interval: 20 * time.Millisecond, Timeout: time.Second},
	})
	client := &http.Client{}
	count := func(n int) map[string]int {
		got := map[string]int{}
		for range n {
			r := get(t, client, p.URL())
			if r.status != http.StatusOK {
				t.Fatalf("status %d from %q", r.status, r.backend)
			}
			got[r.backend]++
		}
		return got
	}
	if got := count(20); got["a"] != 20 {
		t.Fatalf("with {a}: %v, want a alone", got)
	}
	if b.hits.Load() != 0 || b.healthHits.Load() != 0 {
		t.Errorf("b, configured but not in the set, got %d requests and %d health checks", b.hits.Load(), b.healthHits.Load())
	}

	src.Publish([]discovery.Backend{{Name: "a", URL: a.URL()}, {Name: "c", URL: c.URL()}})
	if got := count(20); got["a"] != 10 || got["c"] != 10 {
		t.Errorf("with {a, c}: %v, want 10 each (round-robin)", got)
	}
	eventually(t, "c is health-checked", func() bool { return c.healthHits.Load() > 0 })

	slow := make(chan result, 1)
	for {
		// Round-robin: one of two requests goes to a.
		go func() { slow <- get(t, client, p.URL()+"/slow") }()
		select {
		case <-entered:
		case r := <-slow:
			if r.backend != "c" {
				t.Fatalf("/slow answered by %q", r.backend)
			}
			continue
		}
		break
	}
	if n := p.InFlight("a"); n != 1 {
		t.Errorf("InFlight(a) = %d with one request held there, want 1", n)
	}
	src.Publish([]discovery.Backend{{Name: "c", URL: c.URL()}})
	before := a.hits.Load()
	if got := count(20); got["c"] != 20 {
		t.Errorf("with {c}: %v, want c alone", got)
	}
	if a.hits.Load() != before {
		t.Errorf("a got %d new requests after it left", a.hits.Load()-before)
	}
	close(release)
	if r := <-slow; r.status != http.StatusOK || r.backend != "a" {
		t.Errorf("the request in flight at a when it left: %d from %q, want 200 from a", r.status, r.backend)
	}
	eventually(t, "a drained", func() bool { return p.InFlight("a") == 0 })
}

// TestDiscoveryFirstSetBad: a backend the proxy cannot use in the set a
// source delivers first (inside New) is logged and left out, not a crash.
func TestDiscoveryFirstSetBad(t *testing.T) {
	a := newTestBackend(t, "a")
	var logged strings.Builder
	p := startProxy(t, Config{
		Discovery: discovery.Static{{Name: "bad", URL: "ftp://127.0.0.1:1"}, {Name: "a", URL: a.URL()}},
		ErrorLog:  log.New(&logged, "", 0),
	})
	if r := get(t, &http.Client{}, p.URL()); r.status != http.StatusOK || r.backend != "a" {
		t.Errorf("%d from %q, want 200 from a", r.status, r.backend)
	}
	if !strings.Contains(logged.String(), `discovered backend: url "ftp://127.0.0.1:1" is not an absolute http(s) URL`) {
		t.Errorf("log %q", logged.String())
	}
}
