package main

import (
	"context"
	"io"
	"net"
	"net/http"
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

// TestRunAdmin: bench run --admin serves the metrics of the run's proxies
// while it runs and closes the listener with the run; a bad --admin is a
// usage error and a taken one a failure, before anything is measured.
func TestRunAdmin(t *testing.T) {
	leakcheck.Check(t)
	scenario := filepath.Join(origDir, tinyScenario)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, c := range []struct {
		name  string
		flags []string
		code  int
		want  string
	}{
		{"not an address", []string{"--admin", "127.0.0.1:x"}, cli.ExitUsage,
			`bench run: --admin "127.0.0.1:x": port "x" is not a number from 0 to 65535 (write e.g. "127.0.0.1:9901", "9901" for that port on 127.0.0.1, or "off")` + "\n"},
		{"taken", []string{"--admin", taken.Addr().String()}, cli.ExitFailure,
			"bench run: cannot listen on " + taken.Addr().String() + " for the metrics (--admin): address already in use; stop what listens there (another bench proxy?), give another --admin ADDR, or --admin off\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, stdout, stderr := clitest.Run(program, append([]string{"run", scenario, "--out", out}, c.flags...)...)
			if code != c.code || stdout != "" || stderr != c.want {
				t.Errorf("bench run: exit %d, stdout %q, stderr\n%s\nwant exit %d and stderr\n%s", code, stdout, stderr, c.code, c.want)
			}
		})
	}
	if testing.Short() {
		t.Skip("a real run takes seconds")
	}
	// A run: scrape it from when it says where until it ends (its
	// listener closes), noting the labels whose proxies counted requests.
	out := filepath.Join(t.TempDir(), "out")
	m, stop := serveMatch(t, regexp.MustCompile(`metrics at (http://\S+/metrics) while it runs\n`),
		"run", scenario, "--out", out, "--admin", "127.0.0.1:0")
	counted := regexp.MustCompile(`(?m)^fulcrum_requests_total\{algorithm="([^"]+)",balancer="0"\} [1-9]`)
	seen := map[string]bool{}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: clitest.HangGuard}
	// A hang guard only: under the race detector on a busy machine the
	// run (its rig, three algorithms) has taken over a minute.
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := client.Get(m[1])
		if err != nil {
			break // closed: the run is over
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, c := range counted.FindAllStringSubmatch(string(body), -1) {
			seen[c[1]] = true
		}
	}
	if code, log := stop(); code != cli.ExitOK {
		t.Fatalf("bench run --admin: exit %d:\n%s", code, log)
	}
	// Each measurement lasts about a second: every one was seen.
	for _, label := range []string{"rig", "round-robin", "least-connections", "random"} {
		if !seen[label] {
			t.Errorf("no scrape showed requests of %s's proxy (seen: %v)", label, seen)
		}
	}
}
