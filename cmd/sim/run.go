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

	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
)

const runUsage = `Usage: sim run SCENARIO [--out DIR] [--seed N] [--requests N]

Simulates every algorithm of SCENARIO on the same traffic, prints a
comparison table and writes summary.json, summary.csv and run.json into
results/runs/<scenario name>/<UTC start time>/, or into --out DIR.
Flags may come before or after SCENARIO.

  --out DIR       write the results into DIR (created if missing)
  --seed N        seed for this run, instead of the scenario's
  --requests N    measured requests per algorithm, instead of the
                  scenario's (its duration, if any, still caps the run)

An interrupted run (Ctrl-C, SIGTERM) writes nothing and exits 130.
`

// timestampLayout names default run directories: 20261122T010203Z.
const timestampLayout = "20060102T150405Z"

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("run", stderr)
	out := flags.String("out", "", "")
	var seed uintFlag
	flags.Var(&seed, "seed", "")
	var requests uintFlag
	flags.Var(&requests, "requests", "")
	pos, code, ok := parseFlags(flags, runUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "sim run: want one SCENARIO, got %d arguments\n\n%s", len(pos), runUsage)
		return exitUsage
	}
	if requests.set && (requests.v == 0 || requests.v > 1<<62) {
		fmt.Fprintf(stderr, "sim run: --requests %d: want a count above 0\n", requests.v)
		return exitUsage
	}
	if *out != "" {
		if fi, err := os.Stat(*out); err == nil && !fi.IsDir() {
			fmt.Fprintf(stderr, "sim run: --out %s: exists and is not a directory\n", *out)
			return exitUsage
		}
	}

	loaded, err := scenarios.Open(pos[0])
	if err != nil {
		printLoadError(stderr, "sim run", err)
		return exitUsage
	}
	sc := loaded.Clone()
	if seed.set {
		sc.Seed = seed.v
	}
	if requests.set {
		sc.Requests = int64(requests.v)
	}

	start := time.Now()
	info := report.NewRun(start, append([]string{"sim", "run"}, args...), sc.File)

	runCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := startProgress(stderr, sc)
	summary, err := sim.Run(runCtx, sc, sim.Options{Progress: bar.Func()})
	bar.Stop()
	interrupted := runCtx.Err() != nil
	stop() // a second Ctrl-C now ends the process the usual way
	if interrupted {
		fmt.Fprintf(stderr, "sim run: %s: interrupted; nothing written\n", sc.Name)
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "sim run: %s: %v\n", sc.Name, err)
		return exitFailure
	}
	info.Finish(time.Now())

	if err := report.WriteTable(stdout, summary); err != nil {
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return exitFailure
	}
	dir, created, err := outputDir(*out, sc.Name, start)
	if err != nil {
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return exitFailure
	}
	if err := report.WriteDir(dir, summary, info); err != nil {
		if created {
			os.Remove(dir) // only if still empty, which WriteDir guarantees
		}
		fmt.Fprintf(stderr, "sim run: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "\nresults: %s\n", dir)
	return exitOK
}

// outputDir creates and returns the directory a run writes into: out if set,
// else results/runs/<name>/<UTC start time>/, with a -2, -3... suffix if a
// run that started in the same second already took that name. created is
// true if the last element did not exist before.
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
	stamp := start.UTC().Format(timestampLayout)
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
