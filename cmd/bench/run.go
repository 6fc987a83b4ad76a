package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/realproxy"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
)

const runUsage = `Usage: bench run SCENARIO [--out DIR] [--seed N] [--requests N] [--repeat N] [--compare-sim]

Measures every algorithm of SCENARIO, one after the other, on a real
reverse proxy in front of real local backends (all in this process, on
127.0.0.1), driven by vegeta with the scenario's seeded arrivals. Prints a
table and writes summary.json, summary.csv, run.json and, for each
algorithm, vegeta's results as vegeta-<label>.bin (for vegeta report and
vegeta plot) into results/runs/<scenario name>/<UTC start time>-real/, or
into --out DIR. Flags may come before or after SCENARIO.

  --out DIR       write the results into DIR (created if missing)
  --seed N        seed for this run, instead of the scenario's
  --requests N    measured requests per algorithm, instead of the
                  scenario's (its duration, if any, still caps the run)
  --repeat N      measure each algorithm N times, interleaved (A B C A B C),
                  and merge the repetitions (default 1)
  --compare-sim   also simulate the same scenario and seed, print the
                  real and simulated latencies side by side and store the
                  comparison in summary.json (compare_sim)

An interrupted run (Ctrl-C, SIGTERM) writes nothing and exits 130.
`

// timestampLayout names default run directories: 20261122T010203Z-real.
const timestampLayout = "20060102T150405Z"

// maxRepeat bounds --repeat: a typo should not start a day-long run.
const maxRepeat = 1000

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("run", stderr)
	out := flags.String("out", "", "")
	var seed, requests uintFlag
	flags.Var(&seed, "seed", "")
	flags.Var(&requests, "requests", "")
	repeat := uintFlag{v: 1}
	flags.Var(&repeat, "repeat", "")
	compareSim := flags.Bool("compare-sim", false, "")
	pos, code, ok := parseFlags(flags, runUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "bench run: want one SCENARIO, got %d arguments\n\n%s", len(pos), runUsage)
		return exitUsage
	}
	if requests.set && (requests.v == 0 || requests.v > 1<<62) {
		fmt.Fprintf(stderr, "bench run: --requests %d: want a count above 0\n", requests.v)
		return exitUsage
	}
	if repeat.v == 0 || repeat.v > maxRepeat {
		fmt.Fprintf(stderr, "bench run: --repeat %d: want 1 to %d\n", repeat.v, maxRepeat)
		return exitUsage
	}
	if *out != "" {
		if fi, err := os.Stat(*out); err == nil && !fi.IsDir() {
			fmt.Fprintf(stderr, "bench run: --out %s: exists and is not a directory\n", *out)
			return exitUsage
		}
	}

	loaded, err := scenarios.Open(pos[0])
	if err != nil {
		printLoadError(stderr, "bench run", err)
		return exitUsage
	}
	sc := loaded.Clone()
	if seed.set {
		sc.Seed = seed.v
	}
	if requests.set {
		sc.Requests = int64(requests.v)
	}
	nrep := int(repeat.v)

	start := time.Now()
	info := report.NewRun(start, append([]string{"bench", "run"}, args...), sc.File)

	runCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	interrupted := func() int {
		fmt.Fprintf(stderr, "bench run: %s: interrupted; nothing written\n", sc.Name)
		return exitInterrupted
	}

	// The simulator first: it takes a moment, and a failure there should
	// not cost a whole real run.
	var simSummary *report.Summary
	if *compareSim {
		simSummary, err = sim.Run(runCtx, sc.Clone(), sim.Options{})
		if runCtx.Err() != nil {
			return interrupted()
		}
		if err != nil {
			fmt.Fprintf(stderr, "bench run: %s: simulating: %v\n", sc.Name, err)
			return exitFailure
		}
	}

	// vegeta's files go to a staging directory until the run has succeeded.
	staging, err := os.MkdirTemp("", "fulcrum-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "bench run: %v\n", err)
		return exitFailure
	}
	defer os.RemoveAll(staging)

	var pacing []realproxy.Pacing
	bar := startProgress(stderr, sc, nrep)
	summary, err := realproxy.Run(runCtx, sc, realproxy.Options{
		Repeat:    nrep,
		Progress:  bar.Func(),
		VegetaDir: staging,
		OnPacing:  func(p realproxy.Pacing) { pacing = append(pacing, p) },
	})
	bar.Stop()
	if runCtx.Err() != nil {
		return interrupted()
	}
	stop() // a second Ctrl-C now ends the process the usual way
	if err != nil {
		fmt.Fprintf(stderr, "bench run: %s: %v\n", sc.Name, err)
		return exitFailure
	}
	info.Finish(time.Now())
	info.Layout = realproxy.Layout(sc, nrep)
	for _, p := range pacing {
		key := "pacing " + p.Label
		if nrep > 1 {
			key += " #" + strconv.Itoa(p.Repeat+1)
		}
		info.Layout[key] = fmt.Sprintf("sent %d, lag mean %v p99 %v max %v, %d errors unattributed",
			p.Sent, p.LagMean, p.LagP99, p.LagMax, p.Unattributed)
	}
	if simSummary != nil {
		summary.CompareSim = metrics.CompareEngines(simSummary, summary)
	}

	if err := report.WriteTable(stdout, summary); err != nil {
		fmt.Fprintf(stderr, "bench run: %v\n", err)
		return exitFailure
	}
	if simSummary != nil {
		fmt.Fprintln(stdout)
		if err := report.WriteComparison(stdout, summary.CompareSim); err != nil {
			fmt.Fprintf(stderr, "bench run: %v\n", err)
			return exitFailure
		}
	}
	dir, created, err := outputDir(*out, sc.Name, start)
	if err != nil {
		fmt.Fprintf(stderr, "bench run: %v\n", err)
		return exitFailure
	}
	if err := writeResults(dir, staging, summary, info); err != nil {
		if created {
			os.Remove(dir) // only if still empty, which writeResults guarantees
		}
		fmt.Fprintf(stderr, "bench run: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "\nresults: %s\n", dir)
	return exitOK
}

// writeResults writes the summary files into dir, then moves the vegeta
// files from staging next to them. On error it leaves in dir none of the
// files it was writing.
func writeResults(dir, staging string, s *report.Summary, info *report.Run) error {
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	if err := report.WriteDir(dir, s, info); err != nil {
		return err
	}
	var moved []string
	for _, e := range entries {
		final := filepath.Join(dir, e.Name())
		if err := moveFile(filepath.Join(staging, e.Name()), final); err != nil {
			for _, f := range append(moved, report.SummaryJSON, report.SummaryCSV, report.RunJSON) {
				os.Remove(filepath.Join(dir, filepath.Base(f)))
			}
			return err
		}
		moved = append(moved, final)
	}
	return nil
}

// moveFile renames src to dst, or, across file systems, copies it to a
// temporary file beside dst that is synced and renamed over dst.
func moveFile(src, dst string) error {
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, in)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// outputDir creates and returns the directory a run writes into: out if set,
// else results/runs/<name>/<UTC start time>-real/, with a -2, -3... suffix
// if a run that started in the same second already took that name. created
// is true if the last element did not exist before.
func outputDir(out, name string, start time.Time) (dir string, created bool, err error) {
	if out != "" {
		_, statErr := os.Stat(out)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", false, err
		}
		return out, errors.Is(statErr, fs.ErrNotExist), nil
	}
	parent := filepath.Join("results", "runs", pathSafe(name))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", false, err
	}
	stamp := start.UTC().Format(timestampLayout) + "-real"
	for i := 1; ; i++ {
		dir = filepath.Join(parent, stamp)
		if i > 1 {
			dir += "-" + strconv.Itoa(i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, true, nil
		}
		if !errors.Is(err, fs.ErrExist) || i >= 100 {
			return "", false, err
		}
	}
}

// pathSafe makes a scenario name usable as one path element.
func pathSafe(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "unnamed"
	}
	return name
}

// printLoadError reports why a scenario could not be loaded. The loader's
// own errors already begin with file:line, so they are printed as they are,
// one per line, for editors to jump to; others get the command's prefix.
func printLoadError(w io.Writer, prefix string, err error) {
	var one *scenarios.Error
	var many scenarios.Errors
	if errors.As(err, &one) || errors.As(err, &many) {
		fmt.Fprintln(w, strings.TrimRight(err.Error(), "\n"))
		return
	}
	fmt.Fprintf(w, "%s: %v\n", prefix, err)
}

// uintFlag is a non-negative integer flag that remembers whether it was set.
type uintFlag struct {
	v   uint64
	set bool
}

func (f *uintFlag) String() string { return strconv.FormatUint(f.v, 10) }

func (f *uintFlag) Set(s string) error {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return errors.New("want a non-negative integer")
	}
	f.v, f.set = v, true
	return nil
}
