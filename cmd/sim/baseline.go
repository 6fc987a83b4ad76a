package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/fulcrum-lb/fulcrum/compare"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
	"github.com/fulcrum-lb/fulcrum/verdict"
)

const baselineUsage = `Usage: sim baseline [--update] [--dir DIR] [SCENARIO...]

Checks that the simulator still gives the committed results. For each
shipped scenario (or each SCENARIO named, by name), it reads
DIR/<name>/summary.json, simulates the scenario again with the seed and
request count recorded there, and compares the two. The simulator is
deterministic, so there is no tolerance: any difference is a change in the
code or the scenario, and it prints what moved and exits 1. Exit status:
0 every baseline matches, 1 one differs or is missing (or a baseline has no
shipped scenario), 2 usage error, 130 interrupted.

  --update   rewrite the baselines instead, from the scenarios as they are
             (their own seed and requests): for a change made on purpose;
             review the diff before committing it
  --dir DIR  where the baselines are (default results/baselines)

A baseline is the run's summary.json without its timeline (latency and
errors over time), to keep the files small; every other byte is checked.
`

// baselineDir is where the committed baselines live, from the repository's
// root.
var baselineDir = filepath.Join("results", "baselines")

func cmdBaseline(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim baseline", stderr)
	update := flags.Bool("update", false, "")
	dir := flags.String("dir", baselineDir, "")
	names, code, ok := cli.ParseFlags(flags, baselineUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	var shipped []string
	for _, s := range scenarios.Shipped() {
		shipped = append(shipped, s.Name)
	}
	all := len(names) == 0
	if all {
		names = shipped
	}
	for _, name := range names {
		if !slices.Contains(shipped, name) {
			fmt.Fprintf(stderr, "sim baseline: %q is not a shipped scenario (see sim list)\n", name)
			return cli.ExitUsage
		}
	}

	runCtx, stop := cli.NotifyContext(ctx)
	defer stop()
	failed := false
	for _, name := range names {
		var err error
		if *update {
			err = updateBaseline(runCtx, *dir, name, stdout)
		} else {
			var same bool
			same, err = checkBaseline(runCtx, *dir, name, stdout)
			failed = failed || !same
		}
		if runCtx.Err() != nil {
			fmt.Fprintln(stderr, "sim baseline: interrupted")
			return cli.ExitInterrupted
		}
		if err != nil {
			fmt.Fprintf(stderr, "sim baseline: %s: %v\n", name, err)
			return cli.ExitFailure
		}
	}
	if all && !*update {
		for _, name := range staleBaselines(*dir, shipped) {
			fmt.Fprintf(stdout, "STALE %s: no shipped scenario %q; remove the directory or restore the scenario\n",
				filepath.Join(*dir, name), name)
			failed = true
		}
	}
	if failed {
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// baselinePath is where name's baseline is in dir.
func baselinePath(dir, name string) string {
	return filepath.Join(dir, name, report.SummaryJSON)
}

// simulateBaseline runs the shipped scenario name (with seed and, if above
// 0, requests instead of its own) and returns its summary as a baseline
// holds it, and those bytes.
func simulateBaseline(ctx context.Context, name string, seed *uint64, requests int64) (*report.Summary, []byte, error) {
	loaded, err := scenarios.Open(name)
	if err != nil {
		return nil, nil, err
	}
	sc := loaded.Clone()
	if seed != nil {
		sc.Seed = *seed
	}
	if requests > 0 {
		sc.Requests = requests
	}
	s, err := sim.Run(ctx, sc, sim.Options{})
	if err != nil {
		return nil, nil, err
	}
	verdict.Attach(s, sc)
	for i := range s.Algorithms {
		s.Algorithms[i].Timeline = nil
	}
	data, err := report.EncodeSummary(s)
	return s, data, err
}

// checkBaseline re-runs name as its baseline in dir records it and tells
// whether it gives the same bytes; if not, it prints what moved.
func checkBaseline(ctx context.Context, dir, name string, stdout io.Writer) (same bool, err error) {
	path := baselinePath(dir, name)
	stored, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "MISSING %s: no baseline at %s; make it with: go run ./cmd/sim baseline --update %s\n", name, path, name)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	base, err := report.ReadSummary(path)
	if err != nil {
		return false, err
	}
	fresh, data, err := simulateBaseline(ctx, name, &base.Seed, recordedRequests(base))
	if err != nil {
		return false, err
	}
	if bytes.Equal(data, stored) {
		fmt.Fprintf(stdout, "ok %s: %s\n", name, describeRun(fresh))
		return true, nil
	}

	fmt.Fprintf(stdout, "CHANGED %s: the simulator no longer gives %s\n", name, path)
	r := compare.Compare(base, fresh, compare.Options{Thresholds: mustThresholds("all=0")})
	if err := compare.WriteTable(stdout, r, compare.TableOptions{BaseName: path, NewName: "this build", OnlyChanged: true}); err != nil {
		return false, err
	}
	var a, b any
	if err := json.Unmarshal(stored, &a); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return false, err
	}
	moved := jsonDiff(nil, "", a, b, maxMoved+1)
	fmt.Fprintln(stdout, "what moved in summary.json (baseline -> this build):")
	for i, m := range moved {
		if i == maxMoved {
			fmt.Fprintln(stdout, "  ...")
			break
		}
		fmt.Fprintln(stdout, "  "+m)
	}
	fmt.Fprintf(stdout, "if the change is meant: go run ./cmd/sim baseline --update %s, and commit %s\n", name, path)
	return false, nil
}

// maxMoved bounds the differences checkBaseline lists.
const maxMoved = 20

// updateBaseline rewrites name's baseline in dir from a fresh run of the
// scenario as it is.
func updateBaseline(ctx context.Context, dir, name string, stdout io.Writer) error {
	fresh, data, err := simulateBaseline(ctx, name, nil, 0)
	if err != nil {
		return err
	}
	path := baselinePath(dir, name)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		fmt.Fprintf(stdout, "unchanged %s: %s\n", path, describeRun(fresh))
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(path, data); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", path, describeRun(fresh))
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// recordedRequests is the measured request count a summary's resolved
// scenario records (0 if none: the run was bounded by its duration).
func recordedRequests(s *report.Summary) int64 {
	m, _ := s.ScenarioResolved.(map[string]any)
	n, _ := m["requests"].(float64)
	return int64(n)
}

func describeRun(s *report.Summary) string {
	return fmt.Sprintf("seed %d, %d algorithms, %d requests each", s.Seed, len(s.Algorithms), s.Algorithms[0].Requests)
}

// staleBaselines lists the directories in dir that name no shipped
// scenario.
func staleBaselines(dir string, shipped []string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(shipped, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// jsonDiff appends to out, as "path: old -> new", where the decoded JSON
// values a and b differ, in document order (object keys sorted), until out
// holds limit entries.
func jsonDiff(out []string, path string, a, b any, limit int) []string {
	if len(out) >= limit {
		return out
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if len(out) >= limit {
				break
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			va, ina := x[k]
			vb, inb := y[k]
			switch {
			case !ina:
				out = append(out, p+": added")
			case !inb:
				out = append(out, p+": removed")
			default:
				out = jsonDiff(out, p, va, vb, limit)
			}
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok {
			break
		}
		if len(x) != len(y) {
			return append(out, fmt.Sprintf("%s: %d items -> %d", path, len(x), len(y)))
		}
		for i := range x {
			out = jsonDiff(out, path+"["+strconv.Itoa(i)+"]", x[i], y[i], limit)
		}
		return out
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		out = append(out, fmt.Sprintf("%s: %s -> %s", path, jsonText(a), jsonText(b)))
	}
	return out
}

func jsonText(v any) string {
	data, err := json.Marshal(v)
	if err != nil || len(data) > 60 {
		return fmt.Sprintf("%.60v", v)
	}
	return string(data)
}

// mustThresholds parses a threshold list written in the code.
func mustThresholds(s string) compare.Thresholds {
	t, err := compare.ParseThresholds(s)
	if err != nil {
		panic(err)
	}
	return t
}
