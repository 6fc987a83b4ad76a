// Command scaling measures the simulator as the number of servers grows:
// for each number of servers and each algorithm it writes a scenario (n
// single-worker servers with exponential service of mean 10ms, Poisson
// arrivals at -load of their capacity, max(-min-requests, -per-server x n)
// requests, no warm-up), runs `sim run SCENARIO --no-plots` on it as a
// process of its own, and prints a Markdown table of the simulated
// requests per second (the summary's requests over run.json's
// wall_seconds: the simulation alone, without loading and writing) and
// the process's peak resident set size (getrusage's ru_maxrss, what
// `/usr/bin/time -v` calls "Maximum resident set size").
//
//	go build -o /tmp/sim ./cmd/sim && go run ./scripts/scaling -sim /tmp/sim
//	bash scripts/scaling.sh                     # the same, building sim once
//	bash scripts/scaling.sh -sizes 10,100 -timeout 1m
//
// A cell that runs longer than -timeout is killed and reads "timeout"; one
// whose run fails reads "failed" (its error goes to stderr) and makes the
// exit status 1. Usage errors exit 2. -repeat K runs each cell K times and
// gives the median rate and the highest peak RSS.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Options are the command's flags.
type Options struct {
	Sim         string   // the sim binary
	Sizes       []int    // numbers of servers
	Algorithms  []string // algorithm names, as a scenario's algorithms key takes them
	Load        float64  // offered load, a fraction of capacity
	MinRequests int64
	PerServer   int64 // requests per server, when more than MinRequests
	Timeout     time.Duration
	Seed        uint64
	Repeat      int // runs per cell; the table gives the median rate and the highest peak RSS
}

func main() {
	opt, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	tab, err := Measure(context.Background(), opt, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "scaling: %v\n", err)
		os.Exit(1)
	}
	if err := tab.Write(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "scaling: %v\n", err)
		os.Exit(1)
	}
	if tab.Failed() {
		os.Exit(1)
	}
}

// parseFlags reads the flags; a bad one is reported on stderr by name.
func parseFlags(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("scaling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opt := Options{}
	sizes := fs.String("sizes", "10,100,1000,10000,100000", "numbers of servers, comma-separated")
	algs := fs.String("algorithms", "p2c,least-connections", "algorithms, comma-separated")
	fs.StringVar(&opt.Sim, "sim", "", "the sim binary (required; scripts/scaling.sh builds it)")
	fs.Float64Var(&opt.Load, "load", 0.9, "offered load, a fraction of the servers' capacity (0 < load < 1)")
	fs.Int64Var(&opt.MinRequests, "min-requests", 200_000, "requests per run, at least")
	fs.Int64Var(&opt.PerServer, "per-server", 10, "requests per server, when that is more than -min-requests")
	fs.DurationVar(&opt.Timeout, "timeout", 10*time.Minute, "longest a run may take; a longer one reads \"timeout\"")
	fs.Uint64Var(&opt.Seed, "seed", 1, "the scenarios' seed")
	fs.IntVar(&opt.Repeat, "repeat", 1, "runs per cell: the median rate and the highest peak RSS (a busy machine's figures vary)")
	if err := fs.Parse(args); err != nil {
		return opt, err
	}
	fail := func(format string, a ...any) (Options, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "scaling: %v\n", err)
		return opt, err
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if opt.Sim == "" {
		return fail("-sim: required (the sim binary: go build -o /tmp/sim ./cmd/sim)")
	}
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fail("-sizes: %q is not a number of servers (e.g. 10,100,1000)", f)
		}
		opt.Sizes = append(opt.Sizes, n)
	}
	for _, a := range strings.Split(*algs, ",") {
		a = strings.TrimSpace(a)
		if a == "" || strings.ContainsAny(a, "{}[]:#\"' ") {
			return fail("-algorithms: %q is not an algorithm name (e.g. p2c,least-connections)", a)
		}
		opt.Algorithms = append(opt.Algorithms, a)
	}
	if !(opt.Load > 0 && opt.Load < 1) {
		return fail("-load: %v: want more than 0 and less than 1", opt.Load)
	}
	if opt.MinRequests < 1 || opt.PerServer < 0 {
		return fail("-min-requests %d, -per-server %d: want at least 1 and 0", opt.MinRequests, opt.PerServer)
	}
	if opt.Repeat < 1 {
		return fail("-repeat: %d: want at least 1", opt.Repeat)
	}
	if opt.Timeout <= 0 {
		return fail("-timeout: %v: want a positive duration", opt.Timeout)
	}
	return opt, nil
}

// Requests is the number of requests of a run over n servers.
func (o Options) Requests(n int) int64 { return max(o.MinRequests, o.PerServer*int64(n)) }

// Scenario is the scenario file of one cell.
func (o Options) Scenario(n int, alg string) string {
	return fmt.Sprintf(`# scripts/scaling: %d servers, %s
name: scaling-%d-%s
seed: %d
requests: %d
arrivals: {process: poisson, load: %v}
servers:
  - name: s
    count: %d
    concurrency: 1
    service: {dist: exponential, mean: 10ms}
algorithms: [%s]
`, n, alg, n, alg, o.Seed, o.Requests(n), o.Load, n, alg)
}

// Cell is one run's outcome.
type Cell struct {
	Status   string  // "ok", "timeout" or "failed"
	Requests int64   // the summary's requests
	Seconds  float64 // run.json's wall_seconds: the simulation
	RateRPS  float64 // Requests / Seconds
	PeakRSS  int64   // bytes
}

// Table is every cell: Cells[i][j] for Sizes[i] and Algorithms[j].
type Table struct {
	Opt   Options
	Cells [][]Cell
}

// Measure runs every cell, one after the other, in a temporary directory
// removed at the end; progress goes to log.
func Measure(ctx context.Context, opt Options, log io.Writer) (*Table, error) {
	dir, err := os.MkdirTemp("", "fulcrum-scaling-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	t := &Table{Opt: opt}
	for _, n := range opt.Sizes {
		row := make([]Cell, len(opt.Algorithms))
		for j, alg := range opt.Algorithms {
			var runs []Cell
			for range max(opt.Repeat, 1) {
				c, err := runCell(ctx, opt, dir, n, alg)
				if err != nil {
					fmt.Fprintf(log, "scaling: %d servers, %s: %v\n", n, alg, err)
				}
				fmt.Fprintf(log, "scaling: %d servers, %s: %s\n", n, alg, c.String())
				runs = append(runs, c)
				if c.Status != "ok" {
					break // a timeout would only time out again
				}
			}
			row[j] = median(runs)
		}
		t.Cells = append(t.Cells, row)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return t, nil
}

// runCell writes the cell's scenario and runs sim on it.
func runCell(ctx context.Context, opt Options, dir string, n int, alg string) (Cell, error) {
	name := fmt.Sprintf("%d-%s", n, alg)
	file := filepath.Join(dir, name+".yaml")
	out := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(opt.Scenario(n, alg)), 0o644); err != nil {
		return Cell{Status: "failed"}, err
	}
	runCtx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, opt.Sim, "run", file, "--no-plots", "--out", out)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := cmd.Run()
	if runCtx.Err() == context.DeadlineExceeded {
		return Cell{Status: "timeout"}, nil
	}
	if err != nil {
		return Cell{Status: "failed"}, fmt.Errorf("%s run %s: %v: %s", opt.Sim, file, err, strings.TrimSpace(stderr.String()))
	}
	c := Cell{Status: "ok"}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		c.PeakRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	s, err := report.ReadSummary(out)
	if err != nil {
		return Cell{Status: "failed"}, err
	}
	if len(s.Algorithms) != 1 {
		return Cell{Status: "failed"}, fmt.Errorf("%s: %d algorithms, want 1", out, len(s.Algorithms))
	}
	c.Requests = s.Algorithms[0].Requests
	data, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		return Cell{Status: "failed"}, err
	}
	var run report.Run
	if err := json.Unmarshal(data, &run); err != nil {
		return Cell{Status: "failed"}, fmt.Errorf("%s: %w", filepath.Join(out, "run.json"), err)
	}
	if !(run.WallSeconds > 0) {
		return Cell{Status: "failed"}, fmt.Errorf("%s: wall_seconds %v", filepath.Join(out, "run.json"), run.WallSeconds)
	}
	c.Seconds = run.WallSeconds
	c.RateRPS = float64(c.Requests) / c.Seconds
	return c, nil
}

// median is the cell of the median rate of runs, with the highest peak
// RSS of them all; the last run's if it did not succeed. With an even
// number of runs, the lower of the two middle ones.
func median(runs []Cell) Cell {
	last := runs[len(runs)-1]
	if last.Status != "ok" {
		return last
	}
	sorted := slices.SortedFunc(slices.Values(runs), func(a, b Cell) int { return cmp.Compare(a.RateRPS, b.RateRPS) })
	m := sorted[(len(sorted)-1)/2]
	for _, c := range runs {
		m.PeakRSS = max(m.PeakRSS, c.PeakRSS)
	}
	return m
}

// String is the cell as the progress log shows it.
func (c Cell) String() string {
	if c.Status != "ok" {
		return c.Status
	}
	return fmt.Sprintf("%d requests in %.3fs, %s req/s, peak RSS %s MB", c.Requests, c.Seconds, rate(c.RateRPS), mb(c.PeakRSS))
}

// Failed reports whether any cell failed (a timeout is not a failure).
func (t *Table) Failed() bool {
	for _, row := range t.Cells {
		for _, c := range row {
			if c.Status == "failed" {
				return true
			}
		}
	}
	return false
}

// Write prints the table in Markdown: a row per number of servers, two
// columns (simulated req/s, peak RSS in MB) per algorithm.
func (t *Table) Write(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| servers | requests |")
	sep := "|---:|---:|"
	for _, a := range t.Opt.Algorithms {
		fmt.Fprintf(&b, " %s req/s | %s peak RSS (MB) |", a, a)
		sep += "---:|---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for i, row := range t.Cells {
		n := t.Opt.Sizes[i]
		fmt.Fprintf(&b, "| %s | %s |", thousands(int64(n)), thousands(t.Opt.Requests(n)))
		for _, c := range row {
			if c.Status != "ok" {
				fmt.Fprintf(&b, " %s | %s |", c.Status, c.Status)
				continue
			}
			fmt.Fprintf(&b, " %s | %s |", rate(c.RateRPS), mb(c.PeakRSS))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rate writes a rate with three significant digits: 1.47 M, 312 k, 950.
func rate(r float64) string {
	switch {
	case r >= 1e6:
		return report.Sig3(r/1e6) + " M"
	case r >= 1e3:
		return report.Sig3(r/1e3) + " k"
	default:
		return report.Sig3(r)
	}
}

// mb writes bytes as whole megabytes (10^6).
func mb(b int64) string { return strconv.FormatInt((b+500_000)/1_000_000, 10) }

// thousands writes n with commas: 100,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
