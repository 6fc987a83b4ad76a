package watchfile

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
)

// hang bounds every wait for an event: a guard, never a timing assertion.
const hang = 30 * time.Second

func TestParse(t *testing.T) {
	b := func(name, url string, w float64) discovery.Backend {
		return discovery.Backend{Name: name, URL: url, Weight: w}
	}
	for _, tc := range []struct {
		name, data string
		want       []discovery.Backend
		err        string // the whole error; "" = none
	}{
		{"urls", `["http://127.0.0.1:5001", "http://127.0.0.1:5002"]`,
			[]discovery.Backend{b("", "http://127.0.0.1:5001", 0), b("", "http://127.0.0.1:5002", 0)}, ""},
		{"objects", "\xef\xbb\xbf[\n  {\"url\": \"http://127.0.0.1:5001\", \"weight\": 2},\n  {\"url\": \"http://127.0.0.1:5002\", \"name\": \"b\"}\n]\n",
			[]discovery.Backend{b("", "http://127.0.0.1:5001", 2), b("b", "http://127.0.0.1:5002", 0)}, ""},
		{"empty list", "[]", nil, ""},
		{"empty", " \n", nil, "f.json: empty: write a JSON list of backends, e.g. " + example},
		{"an object", "\n{\"servers\": []}", nil, `f.json:2: want a JSON list of backends (the file holds the list alone, not a configuration's {"servers": [...]}), e.g. ` + example},
		{"bad elements", "[\n \"http://127.0.0.1:5001\",\n \"127.0.0.1:5002\",\n {\"url\": \"http://127.0.0.1:5003\", \"weight\": -1},\n \"http://127.0.0.1:5001\"\n]", nil,
			"f.json:3: [1]: url \"127.0.0.1:5002\" is not an absolute http(s) URL: it has no scheme (write \"http://127.0.0.1:5002\")\n" +
				"f.json:4: [2]: \"weight\" -1: write a number > 0 (to take the backend out, remove it from the set)\n" +
				"f.json:5: [3]: \"http://127.0.0.1:5001\" is listed twice (first on line 2): list each backend once"},
		{"syntax", "[\n \"http://127.0.0.1:5001\"\n \"http://127.0.0.1:5002\"\n]", nil, "f.json:3: JSON syntax: expected comma after array element"},
		{"unclosed", "[\n \"http://127.0.0.1:5001\",\n", nil, "f.json:3: JSON syntax: the file ends before the list does (a ] is missing, or a string is not closed)"},
		{"trailing", "[\"http://127.0.0.1:5001\"]\n]", nil, `f.json:2: "]" after the list: remove it (the file holds one list)`},
	} {
		got, err := Parse("f.json", []byte(tc.data))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%s: error\n%v\nwant\n%s", tc.name, err, tc.err)
		case !slices.Equal(got, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// logs is a Source's Logf that a test can wait on.
type logs struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
	more  chan struct{}
}

func newLogs(t testing.TB) *logs { return &logs{t: t, more: make(chan struct{})} }

func (l *logs) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	l.t.Log("source: " + line)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	close(l.more)
	l.more = make(chan struct{})
}

// wait waits for the n-th line (in all) matching re.
func (l *logs) wait(re string, n int) {
	l.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(hang)
	for {
		l.mu.Lock()
		got := 0
		for _, s := range l.lines {
			if rx.MatchString(s) {
				got++
			}
		}
		more := l.more
		l.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-more:
		case <-deadline:
			l.t.Fatalf("no %d log lines matching %q; got %q", n, re, l.lines)
		}
	}
}

func urls(set []discovery.Backend) string {
	var out []string
	for _, b := range set {
		out = append(out, strings.TrimPrefix(b.URL, "http://127.0.0.1:"))
	}
	return strings.Join(out, " ")
}

func list(ports ...string) string {
	var q []string
	for _, p := range ports {
		q = append(q, `"http://127.0.0.1:`+p+`"`)
	}
	return "[\n" + strings.Join(q, ",\n") + "\n]\n"
}

// TestWatch: the file rewritten in place, replaced by a rename (as editors
// and `mv` do), broken (the last good set stays; the log names the file
// and line), removed and written again; each good change is one delivery.
func TestWatch(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "servers.json")
	write := func(data string) {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(list("5001"))
	l := newLogs(t)
	src, err := Open(path, Options{Logf: l.logf})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sets := make(chan []discovery.Backend, 10)
	stop := src.Subscribe(func(s []discovery.Backend) { sets <- s })
	defer stop()
	next := func() string {
		t.Helper()
		select {
		case s := <-sets:
			return urls(s)
		case <-time.After(hang):
			t.Fatal("no set delivered")
			return ""
		}
	}
	if got := next(); got != "5001" {
		t.Fatalf("first set %q", got)
	}
	steps := []struct {
		name string
		do   func()
		want string // "" = no delivery; the log line waitLog comes instead
		log  string
	}{
		{"rewritten", func() { write(list("5001", "5002")) }, "5001 5002", ""},
		{"renamed over", func() {
			tmp := filepath.Join(dir, ".servers.json.tmp")
			if err := os.WriteFile(tmp, []byte(list("5002", "5003")), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}, "5002 5003", ""},
		{"broken", func() { write("[\n\"http://127.0.0.1:5004\",\n\"5005\"\n]") }, "",
			`^` + regexp.QuoteMeta(path) + `:3: \[1\]: url "5005" is not an absolute http\(s\) URL.*\n.*: not reloaded: keeping the last good set \(2 backends\)$`},
		{"removed", func() { os.Remove(path) }, "", `^` + regexp.QuoteMeta(path) + `: cannot read it: no such file or directory\n`},
		{"written again", func() { write(list("5006")) }, "5006", ""},
		{"another file in the directory", func() { os.WriteFile(filepath.Join(dir, "other.json"), []byte("x"), 0o644) }, "", ""},
		{"marker", func() { write(list("5007")) }, "5007", ""},
	}
	for _, st := range steps {
		st.do()
		if st.log != "" {
			l.wait(st.log, 1)
		}
		if st.want == "" {
			continue
		}
		if got := next(); got != st.want {
			t.Errorf("%s: set %q, want %q", st.name, got, st.want)
		}
	}
	select {
	case s := <-sets:
		t.Errorf("a set after the marker: %v", s)
	default:
	}
}

// TestReload: Reload reads the file at once (bench proxy calls it on
// SIGHUP), with no watch event needed (a settle time of an hour keeps the
// watch out of it); a bad file is returned and keeps the last set.
func TestReload(t *testing.T) {
	leakcheck.Check(t)
	path := filepath.Join(t.TempDir(), "servers.json")
	os.WriteFile(path, []byte(list("5001")), 0o644)
	l := newLogs(t)
	src, err := Open(path, Options{Logf: l.logf, Settle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var got []string
	defer src.Subscribe(func(s []discovery.Backend) { got = append(got, urls(s)) })()
	os.WriteFile(path, []byte(list("5001", "5002")), 0o644)
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := src.Reload(); err != nil { // unchanged: no delivery
		t.Fatal(err)
	}
	os.WriteFile(path, []byte(`["http://127.0.0.1:5003", 7]`), 0o644)
	err = src.Reload()
	if want := path + `:1: [1]: "url" is a JSON number`; err == nil || !strings.HasPrefix(err.Error(), path+":1: [1]: ") {
		t.Errorf("Reload of a bad file: %v, want %s...", err, want)
	}
	if want := []string{"5001", "5001 5002"}; !slices.Equal(got, want) {
		t.Errorf("sets %q, want %q", got, want)
	}
}

// TestOpenErrors: a file that cannot be used at the start is an error
// naming it (and its line).
func TestOpenErrors(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("[\n\"http://127.0.0.1:5001\",\n{\"url\": \"http://127.0.0.1:5002\", \"wieght\": 2}\n]"), 0o644)
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.json"), filepath.Join(dir, "missing.json") + ": cannot read it: no such file or directory"},
		{dir, dir + ": cannot read it: is a directory"},
		{bad, bad + `:3: [1]: unknown key "wieght" (known: "url", "weight", "name")`},
	} {
		src, err := Open(tc.path, Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("Open(%s): %v, want %s", tc.path, err, tc.want)
		}
		if src != nil {
			src.Close()
		}
	}
}
