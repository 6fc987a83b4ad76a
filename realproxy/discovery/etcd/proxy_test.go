package etcd

// The proxy fed by a real etcd under a steady load: a backend added to the
// prefix gets traffic after one watch event; a removed one finishes the
// requests it holds and gets nothing new; no client sees an error. The test
// logs the figures issue 14 asks for (time from the put to the new
// backend's first request, in-flight requests at the removal and their
// outcome).

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/etcdtest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

// testBackend answers its name; with holding set, requests to /hold wait
// until release is closed.
type testBackend struct {
	name    string
	srv     *httptest.Server
	hits    atomic.Int64
	first   chan struct{} // closed at the first request
	once    sync.Once
	firstAt atomic.Pointer[time.Time]
	onFirst func() // called at the first request, before it is answered
	holding atomic.Bool
	held    atomic.Int64
	events  chan struct{} // a request was held
	release chan struct{}
	unhold  sync.Once
}

// unholdAll lets the held requests go (at the end, or when a test fails
// midway: the servers' Close waits for them).
func (b *testBackend) unholdAll() { b.unhold.Do(func() { close(b.release) }) }

func newTestBackend(t testing.TB, name string) *testBackend {
	b := &testBackend{name: name, first: make(chan struct{}), events: make(chan struct{}, 100), release: make(chan struct{})}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.once.Do(func() {
			now := time.Now()
			b.firstAt.Store(&now)
			if b.onFirst != nil {
				b.onFirst()
			}
			close(b.first)
		})
		if r.URL.Path == "/hold" && b.holding.Load() {
			b.held.Add(1)
			b.events <- struct{}{}
			<-b.release
		} else {
			b.hits.Add(1)
		}
		io.WriteString(w, b.name)
	}))
	t.Cleanup(func() {
		b.unholdAll()
		b.srv.Close()
	})
	return b
}

// recordingSource passes a source's sets on to the proxy, counting them
// first (so that a request the new set allows sees the count).
type recordingSource struct {
	discovery.Source
	mu   sync.Mutex
	sets [][]discovery.Backend
	at   []time.Time
	more chan struct{}
}

func (r *recordingSource) Subscribe(update func([]discovery.Backend)) func() {
	return r.Source.Subscribe(func(set []discovery.Backend) {
		r.mu.Lock()
		r.sets = append(r.sets, slices.Clone(set))
		r.at = append(r.at, time.Now())
		close(r.more)
		r.more = make(chan struct{})
		r.mu.Unlock()
		update(set)
	})
}

func (r *recordingSource) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sets)
}

// waitCount waits until n sets were delivered and returns the n-th.
func (r *recordingSource) waitCount(t testing.TB, n int) ([]discovery.Backend, time.Time) {
	t.Helper()
	deadline := time.After(hang)
	for {
		r.mu.Lock()
		if len(r.sets) >= n {
			defer r.mu.Unlock()
			return r.sets[n-1], r.at[n-1]
		}
		more := r.more
		r.mu.Unlock()
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("no set %d delivered", n)
		}
	}
}

// load is a steady client: workers sending GETs through the proxy one
// after another until stopped (or maxRequests, a bound).
type load struct {
	sent, errs atomic.Int64
	firstErr   atomic.Pointer[string]
	stop       chan struct{}
	wg         sync.WaitGroup
	once       sync.Once
	client     *http.Client
}

const maxRequests = 200000

func startLoad(url string, workers int) *load {
	l := &load{stop: make(chan struct{}), client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for l.sent.Load() < maxRequests {
				select {
				case <-l.stop:
					return
				default:
				}
				l.sent.Add(1)
				resp, err := l.client.Get(url + "/")
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					l.errs.Add(1)
					msg := err.Error()
					l.firstErr.CompareAndSwap(nil, &msg)
				}
			}
		}()
	}
	return l
}

func (l *load) end() {
	l.once.Do(func() {
		close(l.stop)
		l.wg.Wait()
		l.client.CloseIdleConnections()
	})
}

// waitFor waits until cond holds, checking at each of a backend's
// requests' pace (cond reads counters the load moves).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestProxyUnderLoad: a proxy whose set comes from etcd, under a steady
// load of two clients. A backend put under the prefix gets requests after
// exactly one delivered set; a backend deleted while it holds requests
// finishes them (200) and gets no new ones; no client request fails.
func TestProxyUnderLoad(t *testing.T) {
	leakcheck.Check(t)
	srv := etcdtest.Start(t)
	w := writer(t, srv)
	const p = "/svc/web/"
	a, bb, c := newTestBackend(t, "a"), newTestBackend(t, "b"), newTestBackend(t, "c")
	put(t, w, p+"a", a.srv.URL)
	put(t, w, p+"b", bb.srv.URL)
	logs := newLogRecorder(t)
	src := &recordingSource{Source: open(t, srv, p, logs, Options{}), more: make(chan struct{})}
	px, err := proxy.New(proxy.Config{Discovery: src, Algorithm: "round-robin", ErrorLog: log.New(testWriter{t}, "proxy: ", 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		bb.unholdAll()
		px.Shutdown(context.Background())
	}()
	l := startLoad(px.URL(), 2)
	defer l.end()
	<-a.first
	<-bb.first

	// Add c under load.
	var deliveriesAtFirst atomic.Int64
	c.onFirst = func() { deliveriesAtFirst.Store(int64(src.count())) }
	before := src.count()
	putAt := time.Now()
	put(t, w, p+"c", c.srv.URL)
	select {
	case <-c.first:
	case <-time.After(hang):
		t.Fatal("c got no request")
	}
	firstAt := *c.firstAt.Load()
	set, deliveredAt := src.waitCount(t, before+1)
	if n := deliveriesAtFirst.Load(); n != int64(before+1) {
		t.Errorf("c's first request came after %d new sets, want 1", n-int64(before))
	}
	if !slices.ContainsFunc(set, func(b discovery.Backend) bool { return b.Name == "c" }) {
		t.Errorf("the set after the put is %v: no c", set)
	}
	sentAtAdd := l.sent.Load()

	// Remove b while it holds requests.
	bb.holding.Store(true)
	const held = 3
	type result struct {
		status int
		body   string
		err    error
	}
	const most = 100 // a bound: round-robin holds one in three
	results := make(chan result, most)
	var answered []result // the /hold requests answered by a or c
	holdClient := &http.Client{}
	defer holdClient.CloseIdleConnections()
	var sent int
	var holders sync.WaitGroup
	for bb.held.Load() < held {
		sent++
		holders.Add(1)
		go func() {
			defer holders.Done()
			resp, err := holdClient.Get(px.URL() + "/hold")
			r := result{err: err}
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r.status, r.body = resp.StatusCode, string(body)
			}
			results <- r
		}()
		// Round-robin over three: one request in three is b's; wait for
		// this one to be held at b or answered elsewhere.
		select {
		case <-bb.events:
		case r := <-results:
			answered = append(answered, r)
		case <-time.After(hang):
			t.Fatal("a /hold request neither held nor answered")
		}
		if sent == most && bb.held.Load() < held {
			t.Fatalf("%d requests held at b after %d", bb.held.Load(), most)
		}
	}
	inflight := px.InFlight("b")
	n := src.count()
	removedAt := time.Now()
	del(t, w, p+"b")
	if set, _ := src.waitCount(t, n+1); slices.ContainsFunc(set, func(b discovery.Backend) bool { return b.Name == "b" }) {
		t.Fatalf("the set after the delete still has b: %v", set)
	}
	// Requests the balancer gave b before the set changed may still be on
	// their way; once only the held ones are left, nothing new may come.
	waitFor(t, "b's in-flight requests to be the held ones", func() bool { return px.InFlight("b") == held })
	hitsB := bb.hits.Load()
	others := a.hits.Load() + c.hits.Load()
	waitFor(t, "200 more requests at a and c", func() bool { return a.hits.Load()+c.hits.Load() >= others+200 })
	if d := bb.hits.Load() - hitsB; d != 0 {
		t.Errorf("b got %d new requests after it left the set", d)
	}
	releasedAt := time.Now()
	bb.unholdAll()
	holders.Wait()
	close(results)
	outcomes := map[string]int{}
	for r := range results {
		answered = append(answered, r)
	}
	for _, r := range answered {
		key := fmt.Sprintf("%d from %s", r.status, r.body)
		if r.err != nil {
			key = r.err.Error()
		}
		outcomes[key]++
	}
	if outcomes["200 from b"] != held {
		t.Errorf("the /hold requests: %v, want %d × 200 from b (the ones held when it left)", outcomes, held)
	}
	for k, v := range outcomes {
		if !strings.HasPrefix(k, "200 from ") {
			t.Errorf("%d /hold requests ended %s", v, k)
		}
	}
	waitFor(t, "b drained", func() bool { return px.InFlight("b") == 0 })
	l.end()
	if e := l.errs.Load(); e != 0 {
		t.Errorf("%d of %d client requests failed; the first: %s", e, l.sent.Load(), *l.firstErr.Load())
	}
	t.Logf("etcd add/remove under load: %d requests, %d errors; put c -> set delivered %v, -> c's first request %v (%d client requests sent by then); "+
		"b deleted with %d requests in flight there (%d held until 200 more requests reached a and c, %v after the delete); the /hold requests: %v; b got %d new requests after the delete",
		l.sent.Load(), l.errs.Load(), deliveredAt.Sub(putAt).Round(10*time.Microsecond), firstAt.Sub(putAt).Round(10*time.Microsecond), sentAtAdd,
		inflight, held, releasedAt.Sub(removedAt).Round(time.Millisecond), outcomes, bb.hits.Load()-hitsB)
}

// testWriter sends a logger's lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// TestProxyEtcdRestart: etcd stops under a proxy serving a steady load.
// The proxy goes on with the last set (every request answered, by its
// backends); once etcd is back, a backend put after the restart gets
// requests.
func TestProxyEtcdRestart(t *testing.T) {
	leakcheck.Check(t)
	srv := etcdtest.Start(t)
	w := writer(t, srv)
	const p = "/svc/web/"
	a, bb, c := newTestBackend(t, "a"), newTestBackend(t, "b"), newTestBackend(t, "c")
	put(t, w, p+"a", a.srv.URL)
	put(t, w, p+"b", bb.srv.URL)
	logs := newLogRecorder(t)
	src := open(t, srv, p, logs, Options{Timeout: 300 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	px, err := proxy.New(proxy.Config{Discovery: src, Algorithm: "round-robin", ErrorLog: log.New(testWriter{t}, "proxy: ", 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	defer px.Shutdown(context.Background())
	l := startLoad(px.URL(), 2)
	defer l.end()
	<-a.first
	<-bb.first

	srv.Stop()
	logs.wait(`^etcd: lost the connection`, 1)
	logs.wait(`^etcd: cannot read`, 2) // retrying, with etcd down
	served := a.hits.Load() + bb.hits.Load()
	waitFor(t, "200 requests answered with etcd down", func() bool { return a.hits.Load()+bb.hits.Load() >= served+200 })

	srv.Restart()
	logs.wait(`^etcd: read "/svc/web/" again at revision \d+: 2 backends`, 1)
	put(t, w, p+"c", c.srv.URL)
	select {
	case <-c.first:
	case <-time.After(hang):
		t.Fatal("c, put after the restart, got no request")
	}
	l.end()
	if e := l.errs.Load(); e != 0 {
		t.Errorf("%d of %d client requests failed; the first: %s", e, l.sent.Load(), *l.firstErr.Load())
	}
	t.Logf("etcd stopped and restarted under load: %d requests, %d errors", l.sent.Load(), l.errs.Load())
}
