package etcd

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/fulcrum-lb/fulcrum/internal/etcdtest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
)

// hang bounds every wait for an event: a guard against a hung test, never
// a timing assertion.
const hang = 30 * time.Second

// logRecorder is a Source's Logf that keeps its lines and lets a test wait
// for one.
type logRecorder struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed and replaced on each line
}

func newLogRecorder(t testing.TB) *logRecorder {
	return &logRecorder{t: t, more: make(chan struct{})}
}

func (l *logRecorder) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	l.t.Log("source: " + line)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	close(l.more)
	l.more = make(chan struct{})
}

// wait waits until n lines (in all) match re, and returns every match.
func (l *logRecorder) wait(re string, n int) []string {
	l.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(hang)
	for {
		l.mu.Lock()
		var got []string
		for _, s := range l.lines {
			if rx.MatchString(s) {
				got = append(got, s)
			}
		}
		more := l.more
		l.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-more:
		case <-deadline:
			l.t.Fatalf("no %d log lines matching %q; got %q", n, re, l.lines)
		}
	}
}

func (l *logRecorder) count(re string) int {
	rx := regexp.MustCompile(re)
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if rx.MatchString(s) {
			n++
		}
	}
	return n
}

// sets receives a subscription's sets.
type sets chan []discovery.Backend

func (c sets) next(t testing.TB) []discovery.Backend {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(hang):
		t.Fatalf("no set delivered")
		return nil
	}
}

// none fails t if a set is waiting in c.
func (c sets) none(t testing.TB, why string) {
	t.Helper()
	select {
	case s := <-c:
		t.Errorf("%s: a set was delivered: %v", why, s)
	default:
	}
}

// writer is a client of the test's own, for puts, deletes and compaction.
func writer(t testing.TB, srv *etcdtest.Server) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.ClientURL()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func put(t testing.TB, cli *clientv3.Client, key, value string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	resp, err := cli.Put(ctx, key, value)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return resp.Header.Revision
}

func del(t testing.TB, cli *clientv3.Client, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	if _, err := cli.Delete(ctx, key); err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
}

// open opens a source on srv's prefix, closed at cleanup.
func open(t testing.TB, srv *etcdtest.Server, prefix string, logs *logRecorder, opts Options) *Source {
	t.Helper()
	opts.Endpoints, opts.Prefix, opts.Logf = []string{srv.ClientURL()}, prefix, logs.logf
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	src, err := Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open: %v\netcd's log:\n%s", err, srv.Log())
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func subscribe(t testing.TB, src discovery.Source) sets {
	c := make(sets, 100)
	stop := src.Subscribe(func(s []discovery.Backend) { c <- s })
	t.Cleanup(stop)
	return c
}

func b(name, url string, weight float64) discovery.Backend {
	return discovery.Backend{Name: name, URL: url, Weight: weight}
}

// TestValues: what the keys under a prefix become, at the first read and
// through the watch: names (the key less the prefix, or the JSON's),
// weights, bad values logged with their key and skipped (a key with a
// good value keeps it), deletes, a name given twice; keys outside the
// prefix (one that only shares its first letters) never count.
func TestValues(t *testing.T) {
	leakcheck.Check(t)
	srv := etcdtest.Start(t)
	w := writer(t, srv)
	const p = "/svc/web/"
	put(t, w, p+"a", "http://127.0.0.1:5001")
	put(t, w, p+"b", `{"url": "http://127.0.0.1:5002", "weight": 3}`)
	put(t, w, p+"c", `{"url": "http://127.0.0.1:5003", "name": "cee"}`)
	put(t, w, p+"bad1", "127.0.0.1:5004")
	put(t, w, p+"bad2", `{"url": "http://127.0.0.1:5005", "weight": 0}`)
	put(t, w, "/svc/webapp/x", "http://127.0.0.1:5009")
	put(t, w, "/svc/web", "http://127.0.0.1:5010")
	logs := newLogRecorder(t)
	src := open(t, srv, p, logs, Options{})
	got := subscribe(t, src)

	steps := []struct {
		name string
		do   func()
		want []discovery.Backend // nil: no new set
		log  string              // a log line this step must add
	}{
		{"first read", func() {}, []discovery.Backend{
			b("a", "http://127.0.0.1:5001", 0), b("b", "http://127.0.0.1:5002", 3), b("cee", "http://127.0.0.1:5003", 0),
		}, ""},
		{"a bad value for a good key", func() { put(t, w, p+"b", "{") }, nil,
			`^etcd: key /svc/web/b: JSON syntax.*it keeps its last good value \(http://127.0.0.1:5002\)$`},
		{"a new key", func() { put(t, w, p+"d", `"http://127.0.0.1:5006"`) }, []discovery.Backend{
			b("a", "http://127.0.0.1:5001", 0), b("b", "http://127.0.0.1:5002", 3), b("cee", "http://127.0.0.1:5003", 0), b("d", "http://127.0.0.1:5006", 0),
		}, ""},
		{"a weight changed", func() { put(t, w, p+"a", `{"url": "http://127.0.0.1:5001", "weight": 0.5}`) }, []discovery.Backend{
			b("a", "http://127.0.0.1:5001", 0.5), b("b", "http://127.0.0.1:5002", 3), b("cee", "http://127.0.0.1:5003", 0), b("d", "http://127.0.0.1:5006", 0),
		}, ""},
		{"a delete", func() { del(t, w, p+"b") }, []discovery.Backend{
			b("a", "http://127.0.0.1:5001", 0.5), b("cee", "http://127.0.0.1:5003", 0), b("d", "http://127.0.0.1:5006", 0),
		}, ""},
		{"a bad value fixed", func() { put(t, w, p+"bad1", "http://127.0.0.1:5004") }, []discovery.Backend{
			b("a", "http://127.0.0.1:5001", 0.5), b("bad1", "http://127.0.0.1:5004", 0), b("cee", "http://127.0.0.1:5003", 0), b("d", "http://127.0.0.1:5006", 0),
		}, ""},
		{"a name given twice", func() { put(t, w, p+"e", `{"url": "http://127.0.0.1:5007", "name": "a"}`) }, nil,
			`^etcd: key /svc/web/e: name "a" is also key /svc/web/a's: left out`},
		{"outside the prefix", func() { put(t, w, "/svc/webapp/y", "http://127.0.0.1:5011") }, nil, ""},
		// The last step's put is a marker: every earlier one was applied
		// before it, so the steps that want no set are checked.
		{"the marker", func() { del(t, w, p+"d") }, []discovery.Backend{
			b("a", "http://127.0.0.1:5001", 0.5), b("bad1", "http://127.0.0.1:5004", 0), b("cee", "http://127.0.0.1:5003", 0),
		}, ""},
	}
	for _, st := range steps {
		before := 0
		if st.log != "" {
			before = logs.count(st.log)
		}
		st.do()
		if st.log != "" {
			logs.wait(st.log, before+1)
		}
		if st.want == nil {
			continue
		}
		if s := got.next(t); !slices.Equal(s, st.want) {
			t.Errorf("%s: set %v, want %v", st.name, s, st.want)
		}
	}
	got.none(t, "after the marker")
	if n := logs.count(`^etcd: key /svc/web/bad1: url "127.0.0.1:5004" is not an absolute http\(s\) URL: it has no scheme \(write "http://127.0.0.1:5004"\): left out$`); n != 1 {
		t.Errorf("%d log lines about bad1's URL, want 1 (at the first read)", n)
	}
	if n := logs.count(`^etcd: key /svc/web/bad2: "weight" 0: write a number > 0.*: left out$`); n != 1 {
		t.Errorf("%d log lines about bad2, want 1 (at the first read)", n)
	}
}

// TestCompacted: a subscription whose revision etcd has compacted away
// reads the prefix again, and sees what changed meanwhile.
func TestCompacted(t *testing.T) {
	leakcheck.Check(t)
	srv := etcdtest.Start(t)
	w := writer(t, srv)
	const p = "/svc/web/"
	put(t, w, p+"a", "http://127.0.0.1:5001")
	logs := newLogRecorder(t)
	src := open(t, srv, p, logs, Options{})
	put(t, w, p+"b", "http://127.0.0.1:5002")
	del(t, w, p+"a")
	rev := put(t, w, "/other", "x")
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	if _, err := w.Compact(ctx, rev); err != nil {
		t.Fatal(err)
	}
	got := subscribe(t, src)
	if s, want := got.next(t), []discovery.Backend{b("a", "http://127.0.0.1:5001", 0)}; !slices.Equal(s, want) {
		t.Errorf("first set %v, want the one Open read, %v", s, want)
	}
	if s, want := got.next(t), []discovery.Backend{b("b", "http://127.0.0.1:5002", 0)}; !slices.Equal(s, want) {
		t.Errorf("after the compaction: %v, want %v", s, want)
	}
	logs.wait(`were compacted .*reading it again`, 1)
}

// TestRestart: etcd stops under a subscription. The subscriber keeps its
// set (no delivery); the source logs the lost connection and retries its
// read with a backoff that doubles up to MaxBackoff; once etcd is back,
// it reads the prefix (changes made while the source was away included)
// and watches again.
func TestRestart(t *testing.T) {
	leakcheck.Check(t)
	srv := etcdtest.Start(t)
	w := writer(t, srv)
	const p = "/svc/web/"
	put(t, w, p+"a", "http://127.0.0.1:5001")
	logs := newLogRecorder(t)
	src := open(t, srv, p, logs, Options{Timeout: 300 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond})
	got := subscribe(t, src)
	if s := got.next(t); len(s) != 1 {
		t.Fatalf("first set %v", s)
	}
	srv.Stop()
	logs.wait(`^etcd: lost the connection to http://127\.0\.0\.1:\d+; keeping the last set \(1 backends\)`, 1)
	retries := logs.wait(`^etcd: cannot read "/svc/web/" .*retrying in`, 5)
	var waits []string
	for _, r := range retries[:5] {
		waits = append(waits, r[strings.LastIndex(r, " ")+1:])
	}
	if want := []string{"20ms", "40ms", "80ms", "80ms", "80ms"}; !slices.Equal(waits, want) {
		t.Errorf("backoff %v, want %v", waits, want)
	}
	got.none(t, "while etcd is down")
	srv.Restart()
	logs.wait(`^etcd: read "/svc/web/" again at revision \d+: 1 backends`, 1)
	put(t, w, p+"b", "http://127.0.0.1:5002")
	if s, want := got.next(t), []discovery.Backend{b("a", "http://127.0.0.1:5001", 0), b("b", "http://127.0.0.1:5002", 0)}; !slices.Equal(s, want) {
		t.Errorf("after the restart: %v, want %v", s, want)
	}
}

func TestNextBackoff(t *testing.T) {
	w := 100 * time.Millisecond
	var got []time.Duration
	for range 7 {
		got = append(got, w)
		w = nextBackoff(w, 5*time.Second)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

// TestOpenErrors: Open refuses what cannot work, and says why.
func TestOpenErrors(t *testing.T) {
	leakcheck.Check(t)
	ctx := context.Background()
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Prefix: "/x/"}, "no endpoints"},
		{Options{Endpoints: []string{"http://127.0.0.1:1"}}, "no key prefix"},
		// Port 1 on loopback: nothing listens; the read times out.
		{Options{Endpoints: []string{"http://127.0.0.1:1"}, Prefix: "/x/", Timeout: 200 * time.Millisecond}, `etcd at http://127.0.0.1:1: cannot read the prefix "/x/"`},
	} {
		src, err := Open(ctx, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v; want an error containing %q", tc.opts, err, tc.want)
		}
		if src != nil {
			src.Close()
		}
	}
}
