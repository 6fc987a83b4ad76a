// Command calibrate checks that the simulator predicts what the real engine
// measures, once the rig's own latency is accounted for (DESIGN.md §8). For
// each scenario it runs `bench run --compare-sim` (the real engine, its
// rig measurement and the simulation beside it) and puts the raw and the
// rig-corrected agreement side by side, with a verdict against the bars
// the project holds itself to:
//
//	mean and p50 within 10%, p99 within 20%, KS below 0.05 (rig-corrected)
//
// For a scenario with faults and active checks it also compares, per
// algorithm, when each engine's balancers marked the faulty server down and
// up again (within one probe interval) and how many requests failed
// (within 5%).
//
//	go run ./scripts/calibrate                          # scenarios/calibration/*.yaml
//	go run ./scripts/calibrate scenarios/calibration/exp4-load80.yaml
//	go run ./scripts/calibrate --from results/runs/calibration   # re-read runs made before
//
// It exits 1 if any check fails. Runs are real: use an otherwise idle
// machine; a busy one measures the machine.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
)

// The bars, rig-corrected.
const (
	maxMeanRel = 0.10
	maxP50Rel  = 0.10
	maxP99Rel  = 0.20
	maxKS      = 0.05
	maxFailRel = 0.05
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.Join("results", "runs", "calibration"), "where the runs go: DIR/<scenario>")
	from := fs.String("from", "", "re-read the runs in DIR/<scenario> instead of making them")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		files, _ = filepath.Glob(filepath.Join("scenarios", "calibration", "*.yaml"))
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "calibrate: no scenario (run it from the repository's root, or name the files)")
		return 2
	}
	var bench string
	if *from == "" {
		dir, err := os.MkdirTemp("", "calibrate-")
		if err != nil {
			fmt.Fprintln(stderr, "calibrate:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		bench = filepath.Join(dir, "bench")
		if err := command(ctx, stderr, "go", "build", "-o", bench, "./cmd/bench"); err != nil {
			fmt.Fprintln(stderr, "calibrate: building bench:", err)
			return 1
		}
	}
	var rows []row
	var eventRows []eventRow
	for _, f := range files {
		sc, err := scenarios.Load(f)
		if err != nil {
			fmt.Fprintln(stderr, "calibrate:", err)
			return 2
		}
		dir := filepath.Join(*out, sc.Name)
		if *from != "" {
			dir = filepath.Join(*from, sc.Name)
		} else {
			os.RemoveAll(dir)
			fmt.Fprintf(stderr, "calibrate: %s: bench run --compare-sim --out %s\n", f, dir)
			if err := command(ctx, stderr, bench, "run", f, "--compare-sim", "--out", dir); err != nil {
				fmt.Fprintf(stderr, "calibrate: %s: %v\n", f, err)
				return 1
			}
		}
		real, err := report.ReadSummary(filepath.Join(dir, report.SummaryJSON))
		if err != nil {
			fmt.Fprintln(stderr, "calibrate:", err)
			return 1
		}
		simulated, err := sim.Run(ctx, sc, sim.Options{})
		if err != nil {
			fmt.Fprintln(stderr, "calibrate:", err)
			return 1
		}
		for _, c := range real.CompareSim {
			rows = append(rows, row{scenario: sc.Name, c: c})
		}
		if a := sc.HealthCheck.Active; a != nil && len(sc.Faults) > 0 {
			eventRows = append(eventRows, compareEvents(sc.Name, a.Interval, simulated, real)...)
		}
	}
	failed := writeTable(stdout, rows)
	if len(eventRows) > 0 {
		fmt.Fprintln(stdout)
		failed = writeEvents(stdout, eventRows) || failed
	}
	if failed {
		fmt.Fprintln(stdout, "\nFAIL: some figure is outside its bar")
		return 1
	}
	fmt.Fprintln(stdout, "\nok: every figure within its bar")
	return 0
}

func command(ctx context.Context, stderr io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	return cmd.Run()
}

type row struct {
	scenario string
	c        report.Comparison
}

// writeTable writes the agreement table in Markdown, raw and rig-corrected
// side by side, and reports whether any corrected figure is outside its bar.
func writeTable(w io.Writer, rows []row) (failed bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| scenario\t| algorithm\t| mean raw\t| mean corr\t| p50 raw\t| p50 corr\t| p99 raw\t| p99 corr\t| KS raw\t| KS corr\t| rig explains\t| verdict\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|---\t|---\t|---\t|---\t|---\t|---\t|---\t|---\t|")
	for _, r := range rows {
		c, k := r.c, r.c.RigCorrected
		verdict := "no rig measured"
		corr := func(f func(*report.RigCorrected) float64, pctFmt bool) string { return "-" }
		if k != nil {
			var bad []string
			if math.Abs(k.Rel.Mean) > maxMeanRel {
				bad = append(bad, "mean")
			}
			if math.Abs(k.Rel.P50) > maxP50Rel {
				bad = append(bad, "p50")
			}
			if math.Abs(k.Rel.P99) > maxP99Rel {
				bad = append(bad, "p99")
			}
			if k.KS >= maxKS {
				bad = append(bad, "KS")
			}
			verdict = "ok"
			if len(bad) > 0 {
				verdict, failed = "OUT: "+strings.Join(bad, ", "), true
			}
			corr = func(f func(*report.RigCorrected) float64, pctFmt bool) string {
				if pctFmt {
					return pct(f(k))
				}
				return fmt.Sprintf("%.3f", f(k))
			}
		} else {
			failed = true
		}
		share := "-"
		if s, ok := c.RigExplains(); ok {
			share = fmt.Sprintf("%.0f%%", 100*s)
		}
		fmt.Fprintf(tw, "| %s\t| %s\t| %s\t| %s\t| %s\t| %s\t| %s\t| %s\t| %.3f\t| %s\t| %s\t| %s\t|\n",
			r.scenario, c.Label,
			pct(c.Rel.Mean), corr(func(k *report.RigCorrected) float64 { return k.Rel.Mean }, true),
			pct(c.Rel.P50), corr(func(k *report.RigCorrected) float64 { return k.Rel.P50 }, true),
			pct(c.Rel.P99), corr(func(k *report.RigCorrected) float64 { return k.Rel.P99 }, true),
			c.KS, corr(func(k *report.RigCorrected) float64 { return k.KS }, false),
			share, verdict)
	}
	tw.Flush()
	return failed
}

func pct(x float64) string { return fmt.Sprintf("%+.1f%%", 100*x) }

// eventRow compares, for one algorithm, when the engines' balancers took the
// faulty server out and back, and how many requests failed.
type eventRow struct {
	scenario, label, server string
	interval                time.Duration
	simDown, realDown       float64 // ms; NaN: never
	simUp, realUp           float64
	simFailed, realFailed   int64
	downOK, upOK, failedOK  bool
	simDowns, realDowns     int // times marked down
}

// compareEvents pairs each algorithm's first "marked unhealthy" and the
// first "marked healthy" after it, per engine, on the server of the first
// crash.
func compareEvents(name string, interval time.Duration, s, r *report.Summary) []eventRow {
	var out []eventRow
	for i := range s.Algorithms {
		sa := &s.Algorithms[i]
		j := slices.IndexFunc(r.Algorithms, func(a report.Algorithm) bool { return a.Label == sa.Label })
		if j < 0 {
			continue
		}
		ra := &r.Algorithms[j]
		server := firstCrash(sa.Events)
		e := eventRow{scenario: name, label: sa.Label, server: server, interval: interval,
			simFailed: sa.Errors.Failed, realFailed: ra.Errors.Failed}
		e.simDown, e.simUp, e.simDowns = downUp(sa.Events, server)
		e.realDown, e.realUp, e.realDowns = downUp(ra.Events, server)
		tol := float64(interval) / 1e6
		e.downOK = math.Abs(e.simDown-e.realDown) <= tol
		e.upOK = math.Abs(e.simUp-e.realUp) <= tol
		e.failedOK = within(float64(e.realFailed), float64(e.simFailed), maxFailRel)
		out = append(out, e)
	}
	return out
}

func firstCrash(evs []report.Event) string {
	for _, e := range evs {
		if e.Kind == report.EventCrash && !e.End {
			return e.Server
		}
	}
	return ""
}

// downUp is when server was first marked unhealthy by any balancer, and
// when it was next marked healthy (ms; NaN if never), and how many times
// it was marked unhealthy in all.
func downUp(evs []report.Event, server string) (down, up float64, n int) {
	down, up = math.NaN(), math.NaN()
	for _, e := range evs {
		if e.Kind != report.EventHealth || e.Server != server {
			continue
		}
		switch {
		case !e.End:
			n++
			if math.IsNaN(down) {
				down = e.AtMS
			}
		case !math.IsNaN(down) && math.IsNaN(up):
			up = e.AtMS
		}
	}
	return down, up, n
}

func within(x, ref, rel float64) bool {
	if ref == 0 {
		return x == 0
	}
	return math.Abs(x-ref)/ref <= rel
}

func writeEvents(w io.Writer, rows []eventRow) (failed bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| scenario\t| algorithm\t| server\t| marked down sim / real (ms)\t| marked up sim / real (ms)\t| failed sim / real\t| verdict\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|---\t|---\t|---\t|")
	for _, e := range rows {
		var bad []string
		if !e.downOK {
			bad = append(bad, "down time")
		}
		if !e.upOK {
			bad = append(bad, "up time")
		}
		if !e.failedOK {
			bad = append(bad, "failures")
		}
		if e.simDowns != e.realDowns {
			bad = append(bad, fmt.Sprintf("marked down %d vs %d times", e.simDowns, e.realDowns))
		}
		verdict := "ok"
		if len(bad) > 0 {
			verdict, failed = "OUT: "+strings.Join(bad, ", "), true
		}
		fmt.Fprintf(tw, "| %s\t| %s\t| %s\t| %.0f / %.0f\t| %.0f / %.0f\t| %d / %d (%s)\t| %s\t|\n",
			e.scenario, e.label, e.server, e.simDown, e.realDown, e.simUp, e.realUp,
			e.simFailed, e.realFailed, pct(rel(float64(e.realFailed), float64(e.simFailed))), verdict)
	}
	tw.Flush()
	return failed
}

func rel(x, ref float64) float64 {
	if ref == 0 {
		return 0
	}
	return (x - ref) / ref
}
