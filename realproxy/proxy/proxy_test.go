package proxy

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

func TestRoundRobinOrder(t *testing.T) {
	checkLeaks(t)
	a, b, c := newTestBackend(t, "a"), newTestBackend(t, "b"), newTestBackend(t, "c")
	p := startProxy(t, Config{
		Backends:  backendsOf(a, b, c),
		Algorithm: "round-robin",
		Source:    algorithms.LockedSource(rand.NewPCG(1, 2)),
	})
	client := newClient(t)
	var got []string
	for range 9 {
		r := get(t, client, p.URL()+"/x")
		if r.status != http.StatusOK || r.body != "ok "+r.backend {
			t.Fatalf("GET: %d %q from %q", r.status, r.body, r.backend)
		}
		got = append(got, r.backend)
	}
	// Round-robin starts at a random backend, then cycles in order.
	k := slices.Index([]string{"a", "b", "c"}, got[0])
	for i, name := range got {
		if want := []string{"a", "b", "c"}[(k+i)%3]; name != want {
			t.Fatalf("backends in order %v, not a cycle", got)
		}
	}
}

func TestHealthChecksEjectAndRestore(t *testing.T) {
	checkLeaks(t)
	a, b := newTestBackend(t, "a"), newTestBackend(t, "b")
	var hl healthLog
	p := startProxy(t, Config{
		Backends: backendsOf(a, b),
		Health:   &HealthCheck{Interval: 10 * time.Millisecond, Timeout: 10 * time.Second, Rise: 2, Fall: 2}, // a long timeout: only a refused check may fail, however busy the machine
		OnHealth: hl.record,
	})
	client := newClient(t)
	eventually(t, "both backends are checked", func() bool { return a.healthHits.Load() > 2 && b.healthHits.Load() > 2 })

	a.close() // crash: connections refused
	eventually(t, "a is marked down", func() bool { return hl.has("a down") })
	for range 10 {
		if r := get(t, client, p.URL()); r.status != http.StatusOK || r.backend != "b" {
			t.Fatalf("with a down: %d from %q", r.status, r.backend)
		}
	}
	a.restart(t)
	eventually(t, "a is back up", func() bool { return hl.has("a up") })
	seen := map[string]bool{}
	for range 10 {
		seen[get(t, client, p.URL()).backend] = true
	}
	if !seen["a"] || !seen["b"] {
		t.Fatalf("after a came back, requests reached %v", seen)
	}
	if got := hl.String(); got != "a down, a up" {
		t.Fatalf("OnHealth: %s", got)
	}
}

func TestNoHealthyBackend(t *testing.T) {
	checkLeaks(t)
	a, b := newTestBackend(t, "a"), newTestBackend(t, "b")
	a.healthStatus.Store(http.StatusInternalServerError)
	b.healthStatus.Store(http.StatusServiceUnavailable)
	var hl healthLog
	p := startProxy(t, Config{
		Backends: backendsOf(a, b),
		Health:   &HealthCheck{Interval: 10 * time.Millisecond, Rise: 1, Fall: 1},
		OnHealth: hl.record,
	})
	eventually(t, "both are down", func() bool { return hl.has("a down") && hl.has("b down") })
	r := get(t, newClient(t), p.URL())
	if r.status != http.StatusServiceUnavailable || r.body != "no healthy backend available\n" ||
		r.header.Get("X-Fulcrum-Error") != "no-backend" {
		t.Fatalf("no healthy backend: %d %q %v", r.status, r.body, r.header)
	}
	if a.hits.Load()+b.hits.Load() != 0 {
		t.Fatalf("a request reached a backend")
	}
}

func TestRetriesGoElsewhere(t *testing.T) {
	checkLeaks(t)
	good := newTestBackend(t, "good")
	failing := newTestBackend(t, "failing")
	failing.setHandler(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	refused := newTestBackend(t, "refused")
	refused.close()
	bal := newCountingBalancer()
	p := startWithBalancer(t, Config{Backends: backendsOf(failing, refused, good), Retries: 2}, bal)
	client := newClient(t)
	// Round-robin from failing: every request fails twice, then succeeds.
	for range 5 {
		if r := get(t, client, p.URL()); r.status != http.StatusOK || r.backend != "good" {
			t.Fatalf("with retries: %d %q from %q", r.status, r.body, r.backend)
		}
	}
	if n := bal.totalPicks(); n != 15 {
		t.Fatalf("%d picks for 5 requests failing twice each, want 15", n)
	}
	if failing.hits.Load() != 5 {
		t.Fatalf("failing backend hit %d times, want 5", failing.hits.Load())
	}
	eventually(t, "every pick finished", bal.balanced)
}

func TestRetriesBounded(t *testing.T) {
	checkLeaks(t)
	f1, f2 := newTestBackend(t, "f1"), newTestBackend(t, "f2")
	for _, b := range []*testBackend{f1, f2} {
		b.setHandler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Why", "broken")
			http.Error(w, "broken "+b.name, http.StatusInternalServerError)
		})
	}
	refused := newTestBackend(t, "refused")
	refused.close()
	client := newClient(t)

	// Every attempt fails with a 500: 1 + Retries attempts, then the last
	// backend's answer passes through as it is.
	bal := newCountingBalancer()
	p := startWithBalancer(t, Config{Backends: backendsOf(f1, f2), Retries: 2}, bal)
	r := get(t, client, p.URL())
	if r.status != http.StatusInternalServerError || r.body != "broken f1\n" || r.header.Get("X-Why") != "broken" {
		t.Fatalf("all failing: %d %q %v", r.status, r.body, r.header)
	}
	if n := bal.totalPicks(); n != 3 {
		t.Fatalf("%d attempts with 2 retries, want 3", n)
	}
	eventually(t, "every pick finished", bal.balanced)

	// Every attempt refused: 502.
	bal = newCountingBalancer()
	p = startWithBalancer(t, Config{Backends: backendsOf(refused), Retries: 3}, bal)
	r = get(t, client, p.URL())
	if r.status != http.StatusBadGateway || r.header.Get("X-Fulcrum-Error") != "backend-failed" {
		t.Fatalf("all refused: %d %q %v", r.status, r.body, r.header)
	}
	if n := bal.totalPicks(); n != 4 {
		t.Fatalf("%d attempts with 3 retries, want 4", n)
	}
	eventually(t, "every pick finished", bal.balanced)

	// A request whose body cannot be replayed is not retried.
	bal = newCountingBalancer()
	p = startWithBalancer(t, Config{Backends: backendsOf(f1, f2), Retries: 3}, bal)
	req, _ := http.NewRequest(http.MethodPost, p.URL(), strings.NewReader("payload"))
	req.GetBody = nil
	if r := do(t, client, req); r.status != http.StatusInternalServerError {
		t.Fatalf("POST with a body: %d", r.status)
	}
	if n := bal.totalPicks(); n != 1 {
		t.Fatalf("POST with a body: %d attempts, want 1", n)
	}
}

func TestBackendQueueFullPassesThrough(t *testing.T) {
	checkLeaks(t)
	full := newTestBackend(t, "full")
	full.setHandler(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "queue full", http.StatusServiceUnavailable)
	})
	p := startProxy(t, Config{Backends: backendsOf(full), Retries: 1})
	r := get(t, newClient(t), p.URL())
	if r.status != http.StatusServiceUnavailable || r.body != "queue full\n" || r.header.Get("X-Fulcrum-Error") != "" {
		t.Fatalf("backend's 503: %d %q %v", r.status, r.body, r.header)
	}
	if full.hits.Load() != 2 {
		t.Fatalf("%d attempts, want 2", full.hits.Load())
	}
}

func TestTimeout(t *testing.T) {
	checkLeaks(t)
	slow := newTestBackend(t, "slow")
	slow.setHandler(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	bal := newCountingBalancer()
	p := startWithBalancer(t, Config{Backends: backendsOf(slow), Timeout: 50 * time.Millisecond, Retries: 1, ExposeBackend: true}, bal)
	t0 := time.Now()
	r := get(t, newClient(t), p.URL())
	took := time.Since(t0)
	if r.status != http.StatusGatewayTimeout || r.header.Get("X-Fulcrum-Error") != "timeout" ||
		r.header.Get("X-Forwarded-Server") != slow.URL() {
		t.Fatalf("timed out: %d %q %v", r.status, r.body, r.header)
	}
	// Two attempts of 50ms each cannot end sooner (later depends on the
	// machine: no upper bound).
	if took < 100*time.Millisecond {
		t.Fatalf("two attempts of 50ms took %v", took)
	}
	if n := bal.totalPicks(); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	eventually(t, "every pick finished", bal.balanced)
}

func TestShutdownDrains(t *testing.T) {
	checkLeaks(t)
	slow := newTestBackend(t, "slow")
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	slow.setHandler(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release // in flight until the proxy has stopped accepting
		io.WriteString(w, "slow but done")
	})
	p, err := New(Config{Listen: "127.0.0.1:0", Backends: backendsOf(slow), ErrorLog: quiet,
		Health: &HealthCheck{Interval: 20 * time.Millisecond, Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	url := p.URL()
	client := newClient(t)
	inflight := make(chan result, 1)
	go func() {
		resp, err := client.Get(url)
		if err != nil {
			inflight <- result{body: err.Error()}
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- result{status: resp.StatusCode, body: string(body)}
	}()
	<-arrived
	shut := make(chan error, 1)
	go func() { shut <- p.Shutdown(context.Background()) }()
	// New connections are refused once the listener is closed.
	eventually(t, "new connections are refused", func() bool {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	})
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	if r := <-inflight; r.status != http.StatusOK || r.body != "slow but done" {
		t.Fatalf("in-flight request during shutdown: %d %q", r.status, r.body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := p.Start(); err == nil {
		t.Fatalf("Start after Shutdown succeeded")
	}
}

func TestShutdownDeadline(t *testing.T) {
	checkLeaks(t)
	stuck := newTestBackend(t, "stuck")
	arrived := make(chan struct{}, 1)
	stuck.setHandler(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	p, err := New(Config{Listen: "127.0.0.1:0", Backends: backendsOf(stuck), ErrorLog: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	client := newClient(t)
	done := make(chan error, 1)
	go func() {
		resp, err := client.Get(p.URL())
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with a stuck request: %v, want the deadline", err)
	}
	<-done
}

func TestClientKey(t *testing.T) {
	p := &Proxy{cfg: Config{ClientHeader: DefaultClientHeader}, readClient: true}
	req := func(remote string, h ...string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
		r.RemoteAddr = remote
		for i := 0; i < len(h); i += 2 {
			r.Header.Add(h[i], h[i+1])
		}
		return r
	}
	if got, want := p.clientKey(req("10.0.0.1:5", "X-Fulcrum-Client", "42")), traffic.ClientKey(42); got != want {
		t.Errorf("client header 42: key %x, want traffic.ClientKey(42) = %x", got, want)
	}
	ip := p.clientKey(req("10.0.0.1:5"))
	for _, r := range []*http.Request{
		req("10.0.0.1:6"), req("[::ffff:10.0.0.1]:7"), req("10.0.0.1:5", "X-Fulcrum-Client", "not a number"),
		req("10.0.0.1:5", "X-Fulcrum-Client", "-1"), req("10.0.0.1:5", "X-Forwarded-For", "1.2.3.4"),
	} {
		if got := p.clientKey(r); got != ip {
			t.Errorf("%s %v: key %x, want the IP's %x", r.RemoteAddr, r.Header, got, ip)
		}
	}
	if ip == 0 || ip == p.clientKey(req("10.0.0.2:5")) {
		t.Errorf("IP keys: %x for 10.0.0.1 and %x for 10.0.0.2", ip, p.clientKey(req("10.0.0.2:5")))
	}
	// Untrusted (the default header without TrustFulcrumHeaders): the
	// header is not read.
	p.readClient = false
	if got := p.clientKey(req("10.0.0.1:5", "X-Fulcrum-Client", "42")); got != ip {
		t.Errorf("untrusted client header: key %x, want the IP's %x", got, ip)
	}
	p.readClient = true
	p.cfg.TrustForwarded = true
	if got, want := p.clientKey(req("10.0.0.9:5", "X-Forwarded-For", "10.0.0.1, 10.0.0.9")), ip; got != want {
		t.Errorf("trusted X-Forwarded-For: key %x, want the first address's %x", got, want)
	}
}

// TestIPHashKeepsClientsTogether: with TrustFulcrumHeaders (bench run's
// load generator) the client header is the client: each keeps its
// backend, and 20 spread over the three. Without it a client cannot pick
// its bucket by the header: every request from one address keys alike.
func TestIPHashKeepsClientsTogether(t *testing.T) {
	checkLeaks(t)
	for _, trusted := range []bool{true, false} {
		bs := []*testBackend{newTestBackend(t, "a"), newTestBackend(t, "b"), newTestBackend(t, "c")}
		p := startProxy(t, Config{Backends: backendsOf(bs...), Algorithm: "ip-hash", TrustFulcrumHeaders: trusted})
		client := newClient(t)
		where := map[string]string{}
		for round := range 3 {
			for id := range 20 {
				req, _ := http.NewRequest(http.MethodGet, p.URL(), nil)
				req.Header.Set("X-Fulcrum-Client", strconv.Itoa(id))
				r := do(t, client, req)
				key := req.Header.Get("X-Fulcrum-Client")
				if round > 0 && where[key] != r.backend {
					t.Fatalf("trusted %v: client %s went to %s, then %s", trusted, key, where[key], r.backend)
				}
				where[key] = r.backend
			}
		}
		used := map[string]bool{}
		for _, b := range where {
			used[b] = true
		}
		if trusted && len(used) < 2 {
			t.Errorf("trusted: 20 clients all on one backend: %v", where)
		}
		if !trusted && len(used) != 1 {
			t.Errorf("untrusted: the header moved requests of one address over %d backends: %v", len(used), where)
		}
	}
}

func TestForwardedHeaders(t *testing.T) {
	checkLeaks(t)
	echo := newTestBackend(t, "echo")
	var mu sync.Mutex
	var seen http.Header
	var host string
	echo.setHandler(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen, host = r.Header.Clone(), r.Host
		mu.Unlock()
	})
	client := newClient(t)
	send := func(p *Proxy) (http.Header, string) {
		req, _ := http.NewRequest(http.MethodGet, p.URL()+"/path?q=1", nil)
		req.Host = "public.example"
		req.Header.Set("X-Forwarded-For", "6.6.6.6")
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Fulcrum-Quantile", "0.123456789")
		if r := do(t, client, req); r.status != http.StatusOK {
			t.Fatalf("GET: %d", r.status)
		}
		mu.Lock()
		defer mu.Unlock()
		return seen, host
	}

	h, gotHost := send(startProxy(t, Config{Backends: backendsOf(echo)}))
	want := map[string]string{
		"X-Forwarded-For":    "127.0.0.1", // the spoofed one dropped
		"X-Forwarded-Host":   "public.example",
		"X-Forwarded-Proto":  "http",
		"X-Fulcrum-Quantile": "", // a client does not choose its service time
	}
	for k, v := range want {
		if got := strings.Join(h.Values(k), "|"); got != v {
			t.Errorf("untrusted: backend saw %s: %q, want %q", k, got, v)
		}
	}
	if gotHost != echo.addr {
		t.Errorf("backend saw Host %q, want its own %q", gotHost, echo.addr)
	}

	h, _ = send(startProxy(t, Config{Backends: backendsOf(echo), TrustForwarded: true, TrustFulcrumHeaders: true}))
	want = map[string]string{
		"X-Forwarded-For":    "6.6.6.6, 127.0.0.1",
		"X-Forwarded-Host":   "evil.example",
		"X-Forwarded-Proto":  "https",
		"X-Fulcrum-Quantile": "0.123456789",
	}
	for k, v := range want {
		if got := strings.Join(h.Values(k), "|"); got != v {
			t.Errorf("trusted: backend saw %s: %q, want %q", k, got, v)
		}
	}
}

func TestHopByHopStripped(t *testing.T) {
	checkLeaks(t)
	echo := newTestBackend(t, "echo")
	var mu sync.Mutex
	var seen http.Header
	echo.setHandler(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		w.Header().Set("Connection", "X-Backend-Private")
		w.Header().Set("X-Backend-Private", "1")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Public", "1")
	})
	p := startProxy(t, Config{Backends: backendsOf(echo)})
	req, _ := http.NewRequest(http.MethodGet, p.URL(), nil)
	req.Header.Set("Connection", "X-Client-Private")
	req.Header.Set("X-Client-Private", "1")
	req.Header.Set("Proxy-Authorization", "Basic c2VjcmV0")
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Te", "gzip")
	req.Header.Set("X-Client-Public", "1")
	r := do(t, newClient(t), req)
	mu.Lock()
	defer mu.Unlock()
	for _, h := range []string{"X-Client-Private", "Proxy-Authorization", "Keep-Alive", "Te"} {
		if v, ok := seen[h]; ok {
			t.Errorf("backend received hop-by-hop %s: %q", h, v)
		}
	}
	if seen.Get("X-Client-Public") != "1" {
		t.Errorf("backend lost an end-to-end header: %v", seen)
	}
	for _, h := range []string{"X-Backend-Private", "Keep-Alive"} {
		if v, ok := r.header[h]; ok {
			t.Errorf("client received hop-by-hop %s: %q", h, v)
		}
	}
	if r.header.Get("X-Public") != "1" || r.backend != "echo" {
		t.Errorf("client lost end-to-end headers: %v", r.header)
	}
	if _, ok := r.header["X-Forwarded-Server"]; ok {
		t.Errorf("X-Forwarded-Server without ExposeBackend")
	}
}

func TestPassiveEjection(t *testing.T) {
	checkLeaks(t)
	bad, good := newTestBackend(t, "bad"), newTestBackend(t, "good")
	bad.setHandler(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	})
	var hl healthLog
	p := startProxy(t, Config{
		Backends:  backendsOf(bad, good),
		Algorithm: "round-robin",
		Passive:   &Passive{ConsecutiveFailures: 2, Ejection: 100 * time.Millisecond},
		OnHealth:  hl.record,
	})
	client := newClient(t)
	for range 4 { // round-robin: bad gets 2 of them
		get(t, client, p.URL())
	}
	if !hl.has("bad down") {
		t.Fatalf("not ejected after 2 failures: %s", hl.String())
	}
	hits := bad.hits.Load()
	for range 5 {
		if r := get(t, client, p.URL()); r.backend != "good" {
			t.Fatalf("an ejected backend answered")
		}
	}
	if bad.hits.Load() != hits {
		t.Fatalf("an ejected backend got requests")
	}
	eventually(t, "the ejection ends", func() bool { return hl.has("bad up") })
	if got := hl.String(); got != "bad down, bad up" {
		t.Fatalf("OnHealth: %s", got)
	}
}

func TestExactlyOneStartedAndFinished(t *testing.T) {
	checkLeaks(t)
	ok := newTestBackend(t, "ok")
	failing := newTestBackend(t, "failing")
	failing.setHandler(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadGateway)
	})
	slow := newTestBackend(t, "slow")
	slow.setHandler(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(200 * time.Millisecond):
		}
	})
	streaming := newTestBackend(t, "streaming")
	streaming.setHandler(func(w http.ResponseWriter, r *http.Request) {
		for i := range 50 {
			io.WriteString(w, strings.Repeat("x", 1000))
			if i%10 == 0 {
				http.NewResponseController(w).Flush()
			}
		}
	})
	refused := newTestBackend(t, "refused")
	refused.close()
	bal := newCountingBalancer()
	p := startWithBalancer(t, Config{
		Backends: backendsOf(ok, failing, slow, streaming, refused),
		Timeout:  100 * time.Millisecond,
		Retries:  1,
		Passive:  &Passive{ConsecutiveFailures: 1000},
	}, bal)
	client := newClient(t)
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method := []string{http.MethodGet, http.MethodHead, http.MethodPost}[i%3]
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var body io.Reader
			if method == http.MethodPost && i%2 == 0 {
				body = strings.NewReader("payload")
			}
			req, _ := http.NewRequestWithContext(ctx, method, p.URL(), body)
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			if i%5 == 0 { // the client goes away mid-body
				buf := make([]byte, 10)
				resp.Body.Read(buf)
				cancel()
			} else {
				io.Copy(io.Discard, resp.Body)
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	eventually(t, "every pick is started and finished once", bal.balanced)
	bal.mu.Lock()
	defer bal.mu.Unlock()
	if len(bal.errs) > 0 {
		t.Fatalf("contract broken: %v", bal.errs)
	}
	if len(bal.picks) != 5 {
		t.Fatalf("picks reached %d backends, want all 5: %v", len(bal.picks), bal.picks)
	}
}

func TestConfigErrors(t *testing.T) {
	good := []Backend{{URL: "http://127.0.0.1:1"}}
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no backends", Config{}, "no backends"},
		{"bad url", Config{Backends: []Backend{{URL: "127.0.0.1:1"}}}, "not an absolute http(s) URL"},
		{"duplicate names", Config{Backends: []Backend{{Name: "a", URL: "http://h:1"}, {Name: "a", URL: "http://h:2"}}}, `both named "a"`},
		{"bad weight", Config{Backends: []Backend{{URL: "http://h:1", Weight: -1}}}, "weight -1"},
		{"unknown algorithm", Config{Backends: good, Algorithm: "magic"}, `unknown algorithm "magic"`},
		{"bad param", Config{Backends: good, Algorithm: "p2c", Params: map[string]any{"choices": 2}}, "choices"},
		{"negative retries", Config{Backends: good, Retries: -1}, "retries -1"},
		{"bad method", Config{Backends: good, Health: &HealthCheck{Method: "GET /"}}, "not an HTTP method"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestHealthURL(t *testing.T) {
	for _, c := range []struct {
		url  string
		hc   HealthCheck
		want string
	}{
		{"http://h:1", HealthCheck{}, "http://h:1/health"},
		{"http://h:1/app/", HealthCheck{}, "http://h:1/app/health"},
		{"http://h:1/app", HealthCheck{Path: "ping"}, "http://h:1/app/ping"},
		{"http://h:1/app", HealthCheck{BareURL: true}, "http://h:1/app"},
	} {
		cfg, bs, err := Config{Backends: []Backend{{URL: c.url}}, Health: &c.hc}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if bs[0].health != c.want {
			t.Errorf("%s with %+v: checks %s, want %s", c.url, *cfg.Health, bs[0].health, c.want)
		}
	}
}
