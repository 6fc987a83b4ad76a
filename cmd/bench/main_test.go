package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/report"
)

const tinyScenario = "testdata/tiny.yaml"

func TestUsageErrors(t *testing.T) {
	t.Chdir(t.TempDir()) // where the default results/ would go
	scenario, err := filepath.Abs(filepath.Join(origDir, tinyScenario))
	if err != nil {
		t.Fatal(err)
	}
	clitest.UsageErrors(t, program, append(clitest.RunFlagErrors("run", scenario), [][]string{
		{"run", scenario, "--repeat", "0"},
		{"run", scenario, "--repeat", "100000"},
		{"run", scenario, "--compare-sim=maybe"},
		{"proxy"},
		{"proxy", "--config"},
		{"proxy", "--config", "no-such-config.json"},
		{"proxy", "--config", scenario, "extra"},
		{"backend"},
		{"backend", "--addr", "127.0.0.1:0"},
		{"backend", "--name", "b"},
		{"backend", "--addr", "127.0.0.1:0", "--name", "b", "--concurrency", "0"},
		{"backend", "--addr", "127.0.0.1:0", "--name", "b", "--queue-limit", "-1"},
		{"backend", "--addr", "127.0.0.1:0", "--name", "b", "--service", "{dist: exponential, mean: 10}"},
		{"backend", "--addr", "127.0.0.1:0", "--name", "b", "--service", ""},
		{"backend", "--addr", "127.0.0.1:0", "--name", "b", "extra"},
	}...))
	if _, err := os.Stat("results"); !os.IsNotExist(err) {
		t.Errorf("results/ exists after usage errors (%v)", err)
	}
}

func TestHelp(t *testing.T) {
	clitest.Help(t, program, [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "run"}, {"run", "-h"},
		{"proxy", "--help"}, {"help", "backend"}})
}

func TestParseService(t *testing.T) {
	for _, tc := range []struct{ in, dist, err string }{
		{"{dist: exponential, mean: 10ms}", "exponential", ""},
		{"{dist: lognormal, mean: 10ms, cv: 2}", "lognormal", ""},
		{"dist: uniform\nmin: 1ms\nmax: 3ms", "uniform", ""},
		{"{dist: mixture, of: [{weight: 1, dist: constant, value: 1ms}, {weight: 3, dist: exponential, mean: 5ms}]}", "mixture", ""},
		{"{dist: exponential, mean: 10}", "", `--service: mean: "10" is not a duration`},
		{"{dist: expo, mean: 10ms}", "", `--service: dist: unknown distribution "expo"`},
		{"{dist: constant, value: 2ms, bogus: 1}", "", "--service: bogus: unknown key"},
		{"{dist: exponential", "", "--service: YAML syntax"},
		{"[1, 2]", "", "--service: expected a distribution"},
		{" ", "", "--service: empty"},
	} {
		spec, err := parseService(tc.in)
		switch {
		case tc.err == "" && (err != nil || spec.Dist != tc.dist):
			t.Errorf("parseService(%q) = %+v, %v; want a %s", tc.in, spec, err, tc.dist)
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("parseService(%q) error %v, want one starting %q", tc.in, err, tc.err)
		}
	}
}

// origDir is the package directory, where testdata is, before any test
// changes directory.
var origDir, _ = os.Getwd()

// serve starts a long-running command (proxy, backend) in the background
// and waits until it logs the URL it listens on. stop ends it as SIGTERM
// would and returns its exit status and output.
func serve(t *testing.T, args ...string) (url string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut clitest.Buffer
	done := make(chan int, 1)
	go func() { done <- program.Run(ctx, args, &out, &errOut) }()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(errOut.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("bench %q exited %d before listening:\n%s", args, code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("bench %q never logged its address:\n%s", args, errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return url, func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, errOut.String()
		case <-time.After(15 * time.Second):
			t.Fatalf("bench %q did not stop:\n%s", args, errOut.String())
			return 0, ""
		}
	}
}

// get sends one request with its own transport, closed afterwards so that
// no connection outlives the test.
func get(t *testing.T, url string, hdr ...string) *http.Response {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestBackendCommand(t *testing.T) {
	leakcheck.Check(t)
	url, stop := serve(t, "backend", "--addr", "127.0.0.1:0", "--name", "solo-0",
		"--concurrency", "2", "--service", "{dist: constant, value: 1ms}")
	resp := get(t, url+"/", "X-Fulcrum-Quantile", "0.5")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Fulcrum-Backend") != "solo-0" {
		t.Errorf("GET %s/: %s, backend %q; want 200 from solo-0", url, resp.Status, resp.Header.Get("X-Fulcrum-Backend"))
	}
	code, log := stop()
	if code != cli.ExitOK || !strings.Contains(log, "shutting down") {
		t.Errorf("bench backend stopped with exit %d:\n%s", code, log)
	}
}

func TestProxyCommand(t *testing.T) {
	leakcheck.Check(t)
	b0, stop0 := serve(t, "backend", "--addr", "127.0.0.1:0", "--name", "b-0", "--service", "{dist: constant, value: 1ms}")
	b1, stop1 := serve(t, "backend", "--addr", "127.0.0.1:0", "--name", "b-1", "--service", "{dist: constant, value: 1ms}")
	config := filepath.Join(t.TempDir(), "proxy.json")
	writeProxyConfig(t, config, []string{"b-0", "b-1"}, []string{b0, b1})
	url, stop := serve(t, "proxy", "--config", config)
	seen := map[string]int{}
	for range 4 {
		resp := get(t, url+"/", "X-Fulcrum-Client", "7")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s/ through the proxy: %s", url, resp.Status)
		}
		seen[resp.Header.Get("X-Fulcrum-Backend")]++
	}
	if seen["b-0"] != 2 || seen["b-1"] != 2 {
		t.Errorf("round-robin over two backends answered %v, want 2 each", seen)
	}
	for _, s := range []func() (int, string){stop, stop0, stop1} {
		if code, log := s(); code != cli.ExitOK {
			t.Errorf("exit %d:\n%s", code, log)
		}
	}
}

// TestRun measures the tiny scenario for real, with --compare-sim, and
// checks the files and that the counts add up.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run takes seconds")
	}
	leakcheck.Check(t)
	scenario := filepath.Join(origDir, tinyScenario)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := clitest.Run(program, "run", scenario, "--out", out, "--compare-sim")
	if code != cli.ExitOK {
		t.Fatalf("bench run: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	// The rig note says how much of the mean gap the rig explains, or that
	// its correction widens it, or that there is none: which one depends
	// on how busy the machine was, so only that it is there.
	for _, want := range []string{"engine real", "round-robin", "least-connections", "random", "real vs sim", "ks", "results: " + out,
		"rig latency (1000 zero-service requests at 400 req/s", "\n    + rig ", "mean gap"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	s, err := report.ReadSummary(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Engine != "real" || len(s.Algorithms) != 3 || len(s.CompareSim) != 3 {
		t.Fatalf("summary: engine %q, %d algorithms, %d comparisons", s.Engine, len(s.Algorithms), len(s.CompareSim))
	}
	for _, a := range s.Algorithms {
		e := a.Errors
		if a.Requests != 300 || a.Requests != a.Completed+e.Rejected+e.Failed+e.Timeout {
			t.Errorf("%s: requests %d, completed %d, errors %+v; want 300 = completed + errors", a.Label, a.Requests, a.Completed, e)
		}
		var attempts int64
		for _, srv := range a.Servers {
			attempts += srv.Requests
		}
		// No retries and every server up: one attempt per request.
		if attempts != a.Requests {
			t.Errorf("%s: servers' requests sum to %d, want %d", a.Label, attempts, a.Requests)
		}
		// Constant 2ms service: no answer can come sooner, whatever the
		// machine's speed (how much later depends on the machine: no bound).
		if a.Latency.P50 < 2 || a.Latency.Mean < 2 || a.Latency.P99 < a.Latency.P50 || a.ThroughputRPS <= 0 {
			t.Errorf("%s: p50 %v ms, throughput %v", a.Label, a.Latency.P50, a.ThroughputRPS)
		}
		for _, srv := range a.Servers {
			if srv.Utilization <= 0 || srv.Utilization > 1 {
				t.Errorf("%s: %s utilisation %v", a.Label, srv.Name, srv.Utilization)
			}
		}
	}
	var run report.Run
	data, err := os.ReadFile(filepath.Join(out, report.RunJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &run); err != nil {
		t.Fatal(err)
	}
	if run.Layout["gomaxprocs"] == "" || run.Layout["pacing round-robin"] == "" || run.Layout["rig"] == "" || run.Layout["rig pacing"] == "" {
		t.Errorf("run.json layout lacks gomaxprocs, pacing or the rig: %v", run.Layout)
	}
	// The rig, measured before the algorithms (DESIGN.md §8): its figures'
	// order, never their size (the machine's speed is no test's business).
	if r := run.RigLatency; r == nil || !(r.Mean > 0) || !(r.P50 > 0) || r.P50 > r.P99 {
		t.Errorf("run.json rig_latency_ms = %+v, want mean > 0 and 0 < p50 <= p99", r)
	}
	checkRigCorrected(t, out, s)
	// The verdict: one repetition, nothing tested, and the output ends
	// with it (then where it was written).
	if v := s.Verdict; v == nil || v.Test != "not tested: one repetition" || !strings.Contains(v.Note, "run --repeat 5") || len(v.Reasons) != 3 {
		t.Errorf("verdict %+v; want one repetition, not tested, a reason per algorithm", v)
	} else if i, j := strings.Index(stdout, "\nverdict: run "+v.Recommend+": "), strings.Index(stdout, "\nresults: "); i < 0 || j < i || strings.Contains(stdout[i:j], "rig latency") {
		t.Errorf("stdout does not end with the verdict:\n%s", stdout)
	}
	// vegeta's own results: every arrival, warm-up included.
	for _, label := range []string{"round-robin", "least-connections", "random"} {
		f, err := os.Open(filepath.Join(out, "vegeta-"+label+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		dec := vegeta.NewDecoder(f)
		var n int
		for {
			var r vegeta.Result
			if err := dec.Decode(&r); err != nil {
				break
			}
			n++
		}
		f.Close()
		if n <= 300 {
			t.Errorf("vegeta-%s.bin holds %d results, want more than 300", label, n)
		}
	}
	// Every file a real run promises: the files a simulated run writes
	// (latency logs included), vegeta's results per algorithm, the
	// real-vs-sim overlay, each algorithm's trace.
	want := []string{"report.html", "run.json", "summary.bench.txt", "summary.csv", "summary.json",
		"cdf.png", "cdf.svg", "cdf-vs-sim.png", "cdf-vs-sim.svg", "percentiles.png", "percentiles.svg",
		"servers.png", "servers.svg"}
	for _, label := range []string{"round-robin", "random", "least-connections"} {
		want = append(want, "vegeta-"+label+".bin", "trace-"+label+".csv", "latency-"+label+".hlog", "timeline-"+label+".png", "timeline-"+label+".svg")
	}
	entries, _ := os.ReadDir(out)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("run directory holds\n%v\nwant\n%v", got, want)
	}
}

// checkRigCorrected checks that summary.json's every compare_sim entry has
// rig_corrected in the raw fields' shape, against the same real figures.
func checkRigCorrected(t *testing.T, dir string, s *report.Summary) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, report.SummaryJSON))
	if err != nil {
		t.Fatal(err)
	}
	var entries struct {
		CompareSim []map[string]json.RawMessage `json:"compare_sim"`
	}
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatal(err)
	}
	for i, e := range entries.CompareSim {
		var rc map[string]any
		if err := json.Unmarshal(e["rig_corrected"], &rc); err != nil || rc == nil {
			t.Errorf("compare_sim[%d] has no rig_corrected object (%v)", i, err)
			continue
		}
		for _, key := range []string{"sim_ms", "real_ms", "rel_diff", "ks", "w1_ms"} {
			if _, ok := rc[key]; !ok {
				t.Errorf("compare_sim[%d].rig_corrected lacks %q", i, key)
			}
		}
	}
	for _, c := range s.CompareSim {
		rc := c.RigCorrected
		if rc == nil {
			continue // reported above
		}
		// The real side is the same; the simulation gains the rig's
		// latency, so its mean grows.
		if rc.Real != c.Real || !(rc.Sim.Mean > c.Sim.Mean) || rc.KS < 0 || rc.KS > 1 || rc.W1 < 0 {
			t.Errorf("%s: rig_corrected %+v against raw %+v", c.Label, *rc, c)
		}
	}
}

// verdictScenario sends one request in three to a server that answers
// every request 500 under round-robin, one in nine under
// weighted-round-robin (weights 1 and 4): counts, not timings, tell them
// apart, on any machine.
const verdictScenario = `name: tiny-verdict
seed: 1
requests: 90
warmup: 50ms
arrivals: {process: poisson, rate: 300}
clients: 20
servers:
  - {name: bad, count: 1, weight: 1, service: {dist: constant, value: 2ms}}
  - {name: good, count: 2, weight: 4, service: {dist: constant, value: 2ms}}
faults:
  - {at: 0s, target: "bad-*", kind: errors, probability: 1}
algorithms: [round-robin, weighted-round-robin]
`

// TestRunVerdictRepetitions: with --repeat 4, the verdict tells the
// algorithms apart by the Mann-Whitney U test over the repetitions, and
// blames round-robin's errors on the failing server.
func TestRunVerdictRepetitions(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run takes seconds")
	}
	leakcheck.Check(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(scenario, []byte(verdictScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := clitest.Run(program, "run", scenario, "--repeat", "4", "--out", out)
	if code != cli.ExitOK {
		t.Fatalf("bench run: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	s, err := report.ReadSummary(out)
	if err != nil {
		t.Fatal(err)
	}
	v := s.Verdict
	if v == nil {
		t.Fatal("summary.json has no verdict")
	}
	if v.Test != "Mann-Whitney U over 4 repetitions" || v.Samples != 4 || v.Note != "" || v.Recommend != "weighted-round-robin" {
		t.Fatalf("verdict: test %q, samples %d, note %q, recommend %q; want Mann-Whitney over 4, weighted-round-robin\n%s",
			v.Test, v.Samples, v.Note, v.Recommend, stdout)
	}
	errs := v.Objectives[2]
	if errs.Figure != "error_rate" || errs.Best != "weighted-round-robin" || len(errs.Ties) != 0 {
		t.Errorf("error rate: %+v; want weighted-round-robin alone", errs)
	}
	rr := v.Reasons[0]
	if rr.Label != "round-robin" || rr.Rule != "errors" || !strings.Contains(rr.Text, "on bad-0 (errors 1 at ") {
		t.Errorf("round-robin's reason %+v; want its errors on bad-0 and its fault", rr)
	}
	if !strings.Contains(stdout, "verdict: run weighted-round-robin: ") || !strings.Contains(stdout, "(Mann-Whitney U over 4 repetitions)") {
		t.Errorf("stdout lacks the verdict:\n%s", stdout)
	}
}

func TestRunCancelled(t *testing.T) {
	leakcheck.Check(t)
	scenario := filepath.Join(origDir, tinyScenario)
	t.Chdir(t.TempDir())
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel) // mid-run
	defer cancel()
	code, stdout, stderr := clitest.RunContext(ctx, program, "run", scenario, "--out", out)
	if code != cli.ExitInterrupted || !strings.Contains(stderr, "interrupted") || stdout != "" {
		t.Errorf("bench run cancelled: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, dir := range []string{out, "results"} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s exists after a cancelled run (%v)", dir, err)
		}
	}
}

// writeProxyConfig writes a classic proxy configuration: round-robin over
// the backends at urls, listening on any free loopback port (its metrics
// too), checking /health every second.
func writeProxyConfig(t *testing.T, path string, names, urls []string) {
	t.Helper()
	cfg := map[string]any{
		"port":                "127.0.0.1:0",
		"servers":             urls,
		"healthCheckPath":     "/health",
		"healthCheckInterval": "1s",
		"admin":               "127.0.0.1:0", // not the default 9901, which another test or process may hold
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
