package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// writeConfigFile writes content as config.json in a new directory and
// returns its path.
func writeConfigFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestProxyBadConfig checks that a bad file or flag exits 2 with the
// problem on stderr, as FILE:LINE: KEY: what to write, and nothing on
// stdout. In want, F stands for the file's path.
func TestProxyBadConfig(t *testing.T) {
	leakcheck.Check(t)
	const servers = `"servers": ["http://127.0.0.1:1"]`
	for _, c := range []struct {
		name, content string
		flags         []string
		want          string
	}{
		{"interval a word", "{\n  " + servers + ",\n\n  \"healthCheckInterval\": \"fast\"\n}", nil,
			`F:4: healthCheckInterval: "fast" is not a duration (write e.g. "2s" or "500ms")` + "\n"},
		{"interval a number", "{" + servers + ",\n\"healthCheckInterval\": 2}", nil,
			`F:2: healthCheckInterval: got number, want a duration in a string (write "2s" for seconds)` + "\n"},
		{"no servers", `{"port": ":8080"}`, nil,
			`F: "servers" is required: a list of server URLs, e.g. "servers": ["http://localhost:5001", "http://localhost:5002"]` + "\n"},
		{"server without scheme", "{\"servers\": [\n\"localhost:5001\"]}", nil,
			`F:2: servers[0]: url "localhost:5001" is not an absolute http(s) URL: it has no scheme (write "http://localhost:5001")` + "\n"},
		{"typo", "{" + servers + ",\n\"healtCheckInterval\": \"2s\"}", nil,
			`F:2: unknown key "healtCheckInterval" (known: `},
		{"key twice", "{" + servers + ",\n\"port\": \"1\",\n\"port\": \"2\"}", nil,
			`F:3: port: given twice (first on line 2; only the last would count): remove one` + "\n"},
		{"two problems", "{\"timeout\": \"1\",\n" + servers + ",\n\"retries\": \"2\"}", nil,
			`F:1: timeout: "1" is not a duration: it lacks a unit (write "1s" or "1ms")` + "\n" +
				`F:3: retries: got string, want an integer (write 2, without quotes)` + "\n"},
		{"trailing garbage", "{" + servers + "}\n}", nil,
			`F:2: unexpected "}" after the settings object, which ends on line 1: remove it (a file holds one object)` + "\n"},
		{"empty", "", nil,
			`F: empty; write a JSON object of settings, e.g. {"port": ":8080", "servers": ["http://localhost:5001"]}` + "\n"},
		{"drain without unit", "{" + servers + "}", []string{"--drain", "30"},
			`invalid value "30" for flag -drain: want a duration with a unit, e.g. 30s or 500ms` + "\n" + proxyUsage},
		{"drain negative", "{" + servers + "}", []string{"--drain", "-1s"},
			`invalid value "-1s" for flag -drain: want a duration >= 0, e.g. 30s` + "\n" + proxyUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfigFile(t, c.content)
			code, stdout, stderr := clitest.Run(program, append([]string{"proxy", "--config", path}, c.flags...)...)
			want := strings.ReplaceAll(c.want, "F:", path+":")
			if code != cli.ExitUsage || stdout != "" || !strings.HasPrefix(stderr, want) {
				t.Errorf("bench proxy: exit %d, stdout %q, stderr\n%s\nwant exit 2 and stderr starting\n%s", code, stdout, stderr, want)
			}
		})
	}
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing.json"), dir} {
		code, stdout, stderr := clitest.Run(program, "proxy", "--config", path)
		if code != cli.ExitUsage || stdout != "" || !strings.HasPrefix(stderr, path+": ") {
			t.Errorf("bench proxy --config %s: exit %d, stdout %q, stderr %q", path, code, stdout, stderr)
		}
	}
}

// TestProxyPortInUse checks that a taken address is a runtime failure,
// exit 1, naming the address.
func TestProxyPortInUse(t *testing.T) {
	leakcheck.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	path := writeConfigFile(t, `{"port": "`+addr+`", "servers": ["http://127.0.0.1:1"]}`)
	code, stdout, stderr := clitest.Run(program, "proxy", "--config", path)
	want := "bench proxy: cannot listen on " + addr + ` ("port" in ` + path + `): address already in use; stop what listens there, or set another "port"` + "\n"
	if code != cli.ExitFailure || stdout != "" || stderr != want {
		t.Errorf("bench proxy on a taken port: exit %d, stdout %q, stderr\n%s\nwant exit 1 and\n%s", code, stdout, stderr, want)
	}
}

// serveMatch is serve, waiting until the command's log matches re: it
// returns the match.
func serveMatch(t *testing.T, re *regexp.Regexp, args ...string) (match []string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut clitest.Buffer
	done := make(chan int, 1)
	go func() { done <- program.Run(ctx, args, &out, &errOut) }()
	stop = func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, errOut.String()
		case <-time.After(clitest.HangGuard):
			t.Fatalf("bench %q did not stop:\n%s", args, errOut.String())
			return 0, ""
		}
	}
	deadline := time.Now().Add(clitest.HangGuard)
	for {
		if m := re.FindStringSubmatch(errOut.String()); m != nil {
			return m, stop
		}
		select {
		case code := <-done:
			t.Fatalf("bench %q exited %d before logging %s:\n%s", args, code, re, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("bench %q never logged %s:\n%s", args, re, errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProxyAdmin runs bench proxy with its metrics on an admin listener:
// from the file's "admin", from --admin (which wins), or off. The listener
// serves /metrics, which counts the requests proxied, and closes with the
// proxy.
func TestProxyAdmin(t *testing.T) {
	leakcheck.Check(t)
	b0, stopB := serve(t, "backend", "--addr", "127.0.0.1:0", "--name", "b-0", "--service", "{dist: constant, value: 1ms}")
	defer stopB()
	listening := regexp.MustCompile(`listening on (http://\S+) \(least-connections over 1 backends\)(?:; metrics at (http://\S+/metrics))?\n`)
	for _, c := range []struct {
		name, admin string // the file's "admin" ("" none)
		flags       []string
		metrics     bool
	}{
		{"the file's", "127.0.0.1:0", nil, true},
		{"the flag wins", "off", []string{"--admin", "127.0.0.1:0"}, true},
		{"off", "127.0.0.1:0", []string{"--admin", "off"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := `{"port": "127.0.0.1:0", "healthCheckInterval": "1h", "algorithm": "least-connections", "servers": ["` + b0 + `"]`
			if c.admin != "" {
				cfg += `, "admin": "` + c.admin + `"`
			}
			path := writeConfigFile(t, cfg+"}")
			m, stop := serveMatch(t, listening, append([]string{"proxy", "--config", path}, c.flags...)...)
			url, metrics := m[1], m[2]
			for range 3 {
				if resp := get(t, url+"/"); resp.StatusCode != http.StatusOK {
					t.Fatalf("through the proxy: %s", resp.Status)
				}
			}
			var scrape string
			if metrics != "" {
				scrape = getBody(t, metrics)
			}
			code, log := stop()
			if code != cli.ExitOK || (metrics != "") != c.metrics {
				t.Fatalf("exit %d, metrics at %q, want metrics: %v:\n%s", code, metrics, c.metrics, log)
			}
			if metrics == "" {
				return
			}
			for _, want := range []string{
				`fulcrum_requests_total{algorithm="least-connections"} 3` + "\n",
				`fulcrum_backend_requests_total{algorithm="least-connections",backend="` + b0 + `",outcome="ok"} 3` + "\n",
				`fulcrum_build_info{algorithm="least-connections",goversion="` + runtime.Version() + `"`,
			} {
				if !strings.Contains(scrape, want) {
					t.Errorf("no %q in the scrape:\n%s", want, scrape)
				}
			}
			// Stopped: the admin listener is closed too.
			if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(metrics); err == nil {
				resp.Body.Close()
				t.Errorf("GET %s after the proxy stopped: %s", metrics, resp.Status)
			}
		})
	}
}

// getBody GETs url with a transport of its own, closed afterwards, and
// returns the body of a 200.
func getBody(t *testing.T, url string) string {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: clitest.HangGuard}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	return string(body)
}

// TestProxyAdminErrors: a bad --admin or one on the traffic port is a
// usage error (exit 2); a taken admin address is a runtime failure (exit
// 1) naming it and where it came from.
func TestProxyAdminErrors(t *testing.T) {
	leakcheck.Check(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	const servers = `"servers": ["http://127.0.0.1:1"]`
	for _, c := range []struct {
		name, content string
		flags         []string
		code          int
		want          string // F: the file's path
	}{
		{"not an address", `{"port": "127.0.0.1:0", ` + servers + `}`, []string{"--admin", "metrics"}, cli.ExitUsage,
			`bench proxy: --admin "metrics": port "metrics" is not a number from 0 to 65535 (write e.g. "127.0.0.1:9901", "9901" for that port on 127.0.0.1, or "off")` + "\n"},
		{"the traffic port", `{"port": "127.0.0.1:8080", ` + servers + `}`, []string{"--admin", "8080"}, cli.ExitUsage,
			`bench proxy: 127.0.0.1:8080 (--admin) is the traffic port ("port" in F): give the metrics another port, or --admin off` + "\n"},
		{"a bad key", "{\"port\": \"127.0.0.1:0\", " + servers + ",\n\"admin\": 9901}", nil, cli.ExitUsage,
			`F:2: admin: got number, want a string (write "9901")` + "\n"},
		{"taken, by the key", `{"port": "127.0.0.1:0", "admin": "` + addr + `", ` + servers + `}`, nil, cli.ExitFailure,
			`bench proxy: cannot listen on ` + addr + ` for the metrics ("admin" in F): address already in use; stop what listens there (another bench proxy?), give another --admin ADDR, or --admin off` + "\n"},
		{"taken, by the flag", `{"port": "127.0.0.1:0", ` + servers + `}`, []string{"--admin", addr}, cli.ExitFailure,
			`bench proxy: cannot listen on ` + addr + ` for the metrics (--admin): address already in use; stop what listens there (another bench proxy?), give another --admin ADDR, or --admin off` + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfigFile(t, c.content)
			code, stdout, stderr := clitest.Run(program, append([]string{"proxy", "--config", path}, c.flags...)...)
			want := strings.ReplaceAll(c.want, "F", path)
			if code != c.code || stdout != "" || stderr != want {
				t.Errorf("bench proxy: exit %d, stdout %q, stderr\n%s\nwant exit %d and stderr\n%s", code, stdout, stderr, c.code, want)
			}
		})
	}
}
