package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/report"
)

// ownScenario is a run over two of someone else's servers (urls), with
// service (a fitted model) if it is not "".
func ownScenario(urls []string, service string) string {
	if service != "" {
		service = ", service: " + service
	}
	return fmt.Sprintf(`name: own
seed: 2
requests: 200
warmup: 100ms
arrivals: {process: poisson, rate: 400}
servers:
  - {name: web, urls: [%s]%s}
algorithms: [round-robin, p2c]
`, strings.Join(urls, ", "), service)
}

// TestRunOwnBackends runs bench run on two plain Go servers that sleep
// 2ms (someone else's, servers[].urls): without a service --compare-sim
// is refused with exit 2 and the group's line, before anything starts;
// with a fitted service it runs and compares, and the per-server split is
// printed with the utilisation unknown.
func TestRunOwnBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run takes seconds")
	}
	leakcheck.Check(t)
	var urls []string
	for range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(2 * time.Millisecond)
		}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	dir := t.TempDir()
	bare, fitted := filepath.Join(dir, "bare.yaml"), filepath.Join(dir, "fitted.yaml")
	os.WriteFile(bare, []byte(ownScenario(urls, "")), 0o644)
	os.WriteFile(fitted, []byte(ownScenario(urls, "{dist: constant, value: 2ms}")), 0o644)

	out := filepath.Join(dir, "out")
	code, stdout, stderr := clitest.Run(program, "run", bare, "--compare-sim", "--out", out)
	want := bare + ":7: servers[0].urls: --compare-sim cannot model someone else's servers without their service time: give group web a fitted service"
	if code != cli.ExitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "add one, or run without --compare-sim") {
		t.Errorf("without a service: exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused run left %s (%v)", out, err)
	}

	code, stdout, stderr = clitest.Run(program, "run", fitted, "--compare-sim", "--out", out)
	if code != cli.ExitOK {
		t.Fatalf("with a fitted service: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, want := range []string{"real vs sim", "per server (the proxy's accounting", "web-0", "web-1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	s, err := report.ReadSummary(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Algorithms) != 2 || len(s.CompareSim) != 2 {
		t.Fatalf("%d algorithms, %d comparisons", len(s.Algorithms), len(s.CompareSim))
	}
	for _, a := range s.Algorithms {
		if a.Requests != 200 || a.Completed != 200 || len(a.Servers) != 2 ||
			a.Servers[0].Requests+a.Servers[1].Requests != 200 || a.Servers[0].UtilizationKnown() || a.Servers[1].UtilizationKnown() {
			t.Errorf("%s: requests %d, completed %d, servers %+v", a.Label, a.Requests, a.Completed, a.Servers)
		}
	}
}
