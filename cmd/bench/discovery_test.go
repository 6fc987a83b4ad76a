package main

// bench proxy --discovery and the configuration's "discovery", as a real
// process: a watched file (rewritten, broken, SIGHUP, replaced by rename)
// and a real etcd. Every wait is for an event (a line on stderr, an answer
// naming a backend); the deadlines are hang guards only.

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/internal/etcdtest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// nameServer answers every request with its name.
func nameServer(t *testing.T, name string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitCount waits until stderr has n matches of re.
func waitCount(t *testing.T, c *clitest.Process, re string, n int) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(clitest.HangGuard)
	for len(rx.FindAllStringIndex(c.Stderr.String(), -1)) < n {
		select {
		case <-c.Exited():
			t.Fatalf("bench proxy exited before writing %q %d times:\n%s", re, n, c.Stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("bench proxy never wrote %q %d times:\n%s", re, n, c.Stderr.String())
		}
	}
}

// answers sends n GETs to url and returns who answered, in order.
func answers(t *testing.T, client *http.Client, url string, n int) string {
	t.Helper()
	var out []string
	for range n {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		out = append(out, string(body))
	}
	return strings.Join(out, " ")
}

var listeningRe = regexp.MustCompile(`bench proxy: listening on (http://\S+) \(round-robin over the backends of (\S+)\)`)

// TestProxyDiscoveryFile: the configuration's "discovery" names a file
// beside it; the proxy follows its rewrites, keeps the last good set when
// it breaks (the log says FILE:LINE, on the change and again on SIGHUP),
// and follows a replacement by rename.
func TestProxyDiscoveryFile(t *testing.T) {
	leakcheck.Check(t)
	a, b := nameServer(t, "a"), nameServer(t, "b")
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("servers.json", `["`+a+`"]`)
	write("config.json", `{"port": "127.0.0.1:0", "admin": "off", "discovery": "file:servers.json"}`)
	c := startChild(t, dir, t.TempDir(), "proxy", "--config", "config.json")
	m := c.WaitLine(listeningRe)
	url := m[1]
	client := &http.Client{}
	defer client.CloseIdleConnections()
	if got := answers(t, client, url, 2); got != "a a" {
		t.Errorf("with [a]: %s", got)
	}
	write("servers.json", `["`+a+`", "`+b+`"]`)
	waitCount(t, c, `servers.json: reloaded: 2 backends`, 1)
	if got := answers(t, client, url, 4); got != "b a b a" && got != "a b a b" {
		t.Errorf("with [a, b]: %s", got)
	}
	write("servers.json", "[\n\""+a+"\",\n\"localhost:1\"\n]")
	const broken = `bench proxy: discovery: servers.json:3: \[1\]: url "localhost:1" is not an absolute http\(s\) URL: it has no scheme \(write "http://localhost:1"\)\n` +
		`bench proxy: discovery: servers.json: not reloaded: keeping the last good set \(2 backends\)`
	waitCount(t, c, broken, 1)
	c.Signal(syscall.SIGHUP)
	waitCount(t, c, `bench proxy: SIGHUP: reloading file:servers.json\n`, 1)
	waitCount(t, c, broken, 2)
	if got := answers(t, client, url, 4); got != "b a b a" && got != "a b a b" {
		t.Errorf("after the broken file: %s, want the last good set's a and b", got)
	}
	write(".servers.json.new", `["`+b+`"]`)
	if err := os.Rename(filepath.Join(dir, ".servers.json.new"), filepath.Join(dir, "servers.json")); err != nil {
		t.Fatal(err)
	}
	waitCount(t, c, `servers.json: reloaded: 1 backends`, 1)
	if got := answers(t, client, url, 2); got != "b b" {
		t.Errorf("with [b]: %s", got)
	}
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(); code != cli.ExitOK {
		t.Errorf("exit %d after SIGTERM\n%s", code, c.Stderr.String())
	}
}

// TestProxyDiscoveryEtcd: bench proxy --discovery etcd://... takes a
// backend put under the prefix; SIGHUP says the source is live.
func TestProxyDiscoveryEtcd(t *testing.T) {
	leakcheck.Check(t)
	srv := etcdtest.Start(t)
	w, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.ClientURL()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), clitest.HangGuard)
	defer cancel()
	a, b := nameServer(t, "a"), nameServer(t, "b")
	if _, err := w.Put(ctx, "/fulcrum/web/a", a); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"port": "127.0.0.1:0", "admin": "off", "healthCheckInterval": "1h"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	disc := "etcd://" + srv.HostPort() + "/fulcrum/web"
	c := startChild(t, dir, t.TempDir(), "proxy", "--config", "config.json", "--discovery", disc)
	m := c.WaitLine(listeningRe)
	url := m[1]
	client := &http.Client{}
	defer client.CloseIdleConnections()
	if got := answers(t, client, url, 2); got != "a a" {
		t.Errorf("with a: %s", got)
	}
	if _, err := w.Put(ctx, "/fulcrum/web/b", `{"url": "`+b+`", "weight": 2}`); err != nil {
		t.Fatal(err)
	}
	// The proxy learns of b from its watch: ask until b answers (a bound,
	// not a timing).
	seen := false
	for range 10000 {
		if answers(t, client, url, 1) == "b" {
			seen = true
			break
		}
	}
	if !seen {
		t.Errorf("b never answered")
	}
	c.Signal(syscall.SIGHUP)
	waitCount(t, c, `bench proxy: SIGHUP: `+regexp.QuoteMeta(disc)+` is watched live: nothing to reload`, 1)
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(); code != cli.ExitOK {
		t.Errorf("exit %d after SIGTERM\n%s", code, c.Stderr.String())
	}
}

// TestProxyDiscoveryErrors: a bad discovery URL, a bad backends file at the
// start, "servers" beside --discovery: exit 2 with what to fix.
func TestProxyDiscoveryErrors(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "servers.json")
	os.WriteFile(bad, []byte("[\n\"http://127.0.0.1:1\",\n{\"url\": \"http://127.0.0.1:2\", \"weight\": \"heavy\"}\n]"), 0o644)
	withServers := writeConfigFile(t, "{\"port\": \"127.0.0.1:0\",\n\"servers\": [\"http://127.0.0.1:1\"]}")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--discovery", "etcd://127.0.0.1:2379"}, `bench proxy: --discovery: discovery URL "etcd://127.0.0.1:2379": no key prefix: write etcd://HOST:PORT/PREFIX, e.g. etcd://127.0.0.1:2379/services/web/ (every key under it is a backend)` + "\n"},
		{[]string{"--discovery", "consul://127.0.0.1:8500/web"}, `bench proxy: --discovery: discovery URL "consul://127.0.0.1:8500/web": unknown scheme "consul": write etcd://HOST:PORT/PREFIX or file:///path/servers.json` + "\n"},
		{[]string{"--discovery", "file://" + bad}, bad + `:3: [1]: "weight" "heavy" is not a number (write e.g. 2)` + "\n"},
		{[]string{"--discovery", "file://" + filepath.Join(dir, "none.json")}, filepath.Join(dir, "none.json") + ": cannot read it: no such file or directory\n"},
		{[]string{"--config", withServers, "--discovery", "file://" + bad}, withServers + `:2: servers: the backends come from --discovery: remove "servers" (or --discovery)` + "\n"},
	} {
		code, stdout, stderr := clitest.Run(program, append([]string{"proxy"}, tc.args...)...)
		if code != cli.ExitUsage || stdout != "" || stderr != tc.want {
			t.Errorf("bench proxy %q: exit %d, stdout %q, stderr\n%s\nwant exit 2 and\n%s", tc.args, code, stdout, stderr, tc.want)
		}
	}
}
