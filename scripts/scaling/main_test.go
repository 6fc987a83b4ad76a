package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// fakeEnv makes the test binary a stand-in for sim (fakeSim).
const fakeEnv = "FULCRUM_SCALING_FAKE_SIM"

// fakeBytes is how much memory the stand-in touches: the peak RSS the
// table reports must be at least this, so it is the child's.
const fakeBytes = 64 << 20

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) != "" {
		os.Exit(fakeSim(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeSim answers `run FILE --no-plots --out DIR` as sim does, by the
// algorithm in the file's name: "hang" never ends, "fail" exits 1, any
// other reads the scenario (which must be valid), touches fakeBytes of
// memory and writes a summary.json with the scenario's requests and a
// run.json of 0.25 wall seconds.
func fakeSim(args []string) int {
	if len(args) != 5 || args[0] != "run" || args[2] != "--no-plots" || args[3] != "--out" {
		fmt.Fprintf(os.Stderr, "fake sim: unexpected arguments %q\n", args)
		return 2
	}
	file, out := args[1], args[4]
	switch {
	case strings.HasSuffix(file, "-hang.yaml"):
		time.Sleep(time.Hour) // killed by the timeout
		return 3
	case strings.HasSuffix(file, "-fail.yaml"):
		fmt.Fprintln(os.Stderr, "sim run: boom")
		return 1
	}
	sc, err := scenarios.Load(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	mem := make([]byte, fakeBytes)
	for i := 0; i < len(mem); i += 4096 { // a byte a page makes it resident
		mem[i] = 1
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sum := fmt.Sprintf(`{"scenario": %q, "engine": "sim", "seed": 1, "algorithms": [{"label": %q, "algorithm": %q, "requests": %d, "servers": []}]}`,
		sc.Name, sc.Algorithms[0].Label, sc.Algorithms[0].Name, sc.Requests)
	runtime.KeepAlive(mem)
	if err := os.WriteFile(filepath.Join(out, "summary.json"), []byte(sum), 0o644); err != nil {
		return 1
	}
	if err := os.WriteFile(filepath.Join(out, "run.json"), []byte(`{"wall_seconds": 0.25}`), 0o644); err != nil {
		return 1
	}
	return 0
}

// The scenario of a cell is valid and is what the table says: n servers
// of one worker, the algorithm, max(min, per-server x n) requests, the
// load.
func TestScenario(t *testing.T) {
	opt := Options{Load: 0.9, MinRequests: 200_000, PerServer: 10, Seed: 4}
	for _, c := range []struct {
		n    int
		alg  string
		reqs int64
	}{
		{10, "p2c", 200_000},
		{20_000, "least-connections", 200_000},
		{100_000, "p2c", 1_000_000},
	} {
		file := filepath.Join(t.TempDir(), "s.yaml")
		if err := os.WriteFile(file, []byte(opt.Scenario(c.n, c.alg)), 0o644); err != nil {
			t.Fatal(err)
		}
		sc, err := scenarios.Load(file)
		if err != nil {
			t.Fatalf("%d %s: %v", c.n, c.alg, err)
		}
		if n := len(sc.ServerList()); n != c.n || sc.Requests != c.reqs || sc.Seed != 4 || sc.Arrivals.Load != 0.9 ||
			len(sc.Algorithms) != 1 || sc.Algorithms[0].Name != c.alg || sc.Warmup != 0 {
			t.Errorf("%d %s: %d servers, %d requests, seed %d, load %v, algorithms %v, warm-up %v",
				c.n, c.alg, n, sc.Requests, sc.Seed, sc.Arrivals.Load, sc.Algorithms, sc.Warmup)
		}
	}
}

// Measure runs every cell as a process of its own and reports each as it
// went: figures for a run that worked, "failed" (and a failed table) for
// one that failed.
func TestMeasure(t *testing.T) {
	leakcheck.Check(t)
	t.Setenv(fakeEnv, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Sim: self, Sizes: []int{10, 300}, Algorithms: []string{"p2c", "fail"},
		Load: 0.8, MinRequests: 1000, PerServer: 5, Timeout: time.Minute, Seed: 1, Repeat: 2}
	var log bytes.Buffer
	tab, err := Measure(context.Background(), opt, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("log:\n%s", log.String())
	if len(tab.Cells) != 2 {
		t.Fatalf("%d rows, want 2", len(tab.Cells))
	}
	for i, n := range opt.Sizes {
		row := tab.Cells[i]
		if len(row) != 2 || row[0].Status != "ok" || row[1].Status != "failed" {
			t.Fatalf("%d servers: %+v; want ok, failed", n, row)
		}
		ok := row[0]
		if want := opt.Requests(n); ok.Requests != want || ok.Seconds != 0.25 || ok.RateRPS != float64(want)/0.25 {
			t.Errorf("%d servers: %d requests in %vs at %v req/s; want %d in 0.25s", n, ok.Requests, ok.Seconds, ok.RateRPS, want)
		}
		if ok.PeakRSS < fakeBytes {
			t.Errorf("%d servers: peak RSS %d bytes, want at least the %d the run touched", n, ok.PeakRSS, fakeBytes)
		}
	}
	if !tab.Failed() {
		t.Error("a table with a failed cell is not Failed")
	}
	if strings.Count(log.String(), "sim run: boom") != 2 {
		t.Errorf("the failed runs' errors are not in the log, once each (a failed cell is not repeated):\n%s", log.String())
	}
	var out bytes.Buffer
	if err := tab.Write(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 ||
		lines[0] != "| servers | requests | p2c req/s | p2c peak RSS (MB) | fail req/s | fail peak RSS (MB) |" ||
		!strings.HasPrefix(lines[2], "| 10 | 1,000 | 4.00 k | ") || !strings.HasSuffix(lines[2], " | failed | failed |") ||
		!strings.HasPrefix(lines[3], "| 300 | 1,500 | 6.00 k | ") {
		t.Errorf("table:\n%s", out.String())
	}
}

// A run past the timeout is killed and its cell reads "timeout", which is
// not a failure; the cell is not run again.
func TestMeasureTimeout(t *testing.T) {
	leakcheck.Check(t)
	t.Setenv(fakeEnv, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Sim: self, Sizes: []int{10}, Algorithms: []string{"hang"},
		Load: 0.8, MinRequests: 1000, Timeout: time.Second, Seed: 1, Repeat: 3}
	var log bytes.Buffer
	tab, err := Measure(context.Background(), opt, &log)
	if err != nil {
		t.Fatal(err)
	}
	if c := tab.Cells[0][0]; c.Status != "timeout" || tab.Failed() {
		t.Errorf("cell %+v, failed %v; want a timeout, not failed", c, tab.Failed())
	}
	if n := strings.Count(log.String(), ": timeout"); n != 1 {
		t.Errorf("%d timeouts in the log, want 1:\n%s", n, log.String())
	}
	var out bytes.Buffer
	if err := tab.Write(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "| 10 | 1,000 | timeout | timeout |\n") {
		t.Errorf("table:\n%s", out.String())
	}
}

// A cancelled context stops the cells at once and is an error.
func TestMeasureCancelled(t *testing.T) {
	leakcheck.Check(t)
	t.Setenv(fakeEnv, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opt := Options{Sim: self, Sizes: []int{10, 20}, Algorithms: []string{"hang"}, Load: 0.5,
		MinRequests: 10, Timeout: time.Hour, Seed: 1}
	if _, err := Measure(ctx, opt, &bytes.Buffer{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Measure: %v, want context.Canceled", err)
	}
}

func TestParseFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the error; "" for none
	}{
		{[]string{"-sim", "x"}, ""},
		{[]string{"-sim", "x", "-sizes", "1, 2", "-algorithms", "p2c", "-load", "0.5", "-timeout", "1s"}, ""},
		{[]string{}, "-sim: required"},
		{[]string{"-sim", "x", "-sizes", "10,ten"}, `-sizes: "ten" is not a number of servers`},
		{[]string{"-sim", "x", "-sizes", "0"}, `-sizes: "0"`},
		{[]string{"-sim", "x", "-algorithms", "p2c,,random"}, `-algorithms: "" is not an algorithm name`},
		{[]string{"-sim", "x", "-algorithms", "{name: p2c}"}, `-algorithms: "{name: p2c}"`},
		{[]string{"-sim", "x", "-load", "1"}, "-load: 1: want more than 0 and less than 1"},
		{[]string{"-sim", "x", "-timeout", "0s"}, "-timeout: 0s"},
		{[]string{"-sim", "x", "-repeat", "0"}, "-repeat: 0: want at least 1"},
		{[]string{"-sim", "x", "-min-requests", "0"}, "-min-requests 0"},
		{[]string{"-sim", "x", "extra"}, `unexpected argument "extra"`},
		{[]string{"-sim", "x", "-load", "lots"}, `invalid value "lots" for flag -load`},
	} {
		var stderr bytes.Buffer
		opt, err := parseFlags(c.args, &stderr)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.args, err)
		case c.want == "" && (len(opt.Sizes) == 0 || len(opt.Algorithms) == 0):
			t.Errorf("%q: sizes %v, algorithms %v", c.args, opt.Sizes, opt.Algorithms)
		case c.want != "" && (err == nil || !strings.Contains(stderr.String(), c.want)):
			t.Errorf("%q: error %v, stderr %q; want %q", c.args, err, stderr.String(), c.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{rate(1_470_000), "1.47 M"}, {rate(312_400), "312 k"}, {rate(950), "950"},
		{mb(175_584 * 1024), "180"}, {mb(400_000), "0"},
		{thousands(100_000), "100,000"}, {thousands(1_000_000), "1,000,000"}, {thousands(10), "10"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

// A cell of several runs has the median rate and the highest peak RSS; one
// that did not succeed is its last run's status.
func TestMedian(t *testing.T) {
	ok := func(rate float64, rss int64) Cell { return Cell{Status: "ok", RateRPS: rate, PeakRSS: rss} }
	for _, c := range []struct {
		runs []Cell
		want Cell
	}{
		{[]Cell{ok(5, 10)}, ok(5, 10)},
		{[]Cell{ok(5, 10), ok(1, 30), ok(3, 20)}, ok(3, 30)},
		{[]Cell{ok(5, 10), ok(1, 30)}, ok(1, 30)},
		{[]Cell{ok(5, 10), {Status: "timeout"}}, Cell{Status: "timeout"}},
	} {
		if got := median(c.runs); got != c.want {
			t.Errorf("median(%+v) = %+v, want %+v", c.runs, got, c.want)
		}
	}
}
