package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/realproxy"
	"github.com/fulcrum-lb/fulcrum/realproxy/promexport"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/sim"
	"github.com/fulcrum-lb/fulcrum/verdict"
)

const runUsage = `Usage: bench run SCENARIO [--out DIR] [--seed N] [--requests N] [--algorithms LIST] [--no-plots] [--repeat N] [--compare-sim] [--admin ADDR] [--verbose]

Measures every algorithm of SCENARIO, one after the other, on a real
reverse proxy in front of real local backends (all in this process, on
127.0.0.1), driven by vegeta with the scenario's seeded arrivals. Prints a
table and a verdict (which algorithm to run and why, tested over the
repetitions with --repeat 4 or more) and writes summary.json, summary.csv, run.json and, for each
algorithm, vegeta's results as vegeta-<label>.bin (for vegeta report and
vegeta plot) and its trace as trace-<label>.csv (every request of the
first repetition, DESIGN.md §8: for sim fit and replay) into
results/runs/<scenario name>/<UTC start time>-real/, or into --out DIR.
Flags may come before or after SCENARIO.

Before the algorithms, it measures the rig's own latency (load generator,
proxy, loopback hops, backend HTTP handling): the same servers and
arrivals at the scenario's rate, every service time 0s, round-robin, no
faults, the scenario's measured requests clamped to 1000..3000. It is
printed and recorded in run.json (rig_latency_ms).

  --out DIR       write the results into DIR (created if missing)
  --seed N        seed for this run, instead of the scenario's
  --requests N    measured requests per algorithm, instead of the
                  scenario's (its duration, if any, still caps the run)
  --algorithms LIST
                  the algorithms to run, instead of the scenario's, as its
                  algorithms key writes them: a YAML list such as
                  '[p2c, {name: p2c, choices: 3, label: p3c}]'
  --no-plots      write the numbers only (summary.json, summary.csv,
                  run.json, summary.bench.txt, the latency logs): no
                  charts and no report.html
  --repeat N      measure each algorithm N times, interleaved (A B C A B C),
                  and merge the repetitions (default 1)
  --compare-sim   also simulate the same scenario and seed, print the
                  real and simulated latencies side by side and store the
                  comparison in summary.json (compare_sim); each algorithm
                  is compared raw and against the simulation plus the
                  measured rig latency (rig_corrected), with the share of
                  the mean gap that the rig explains
  --admin ADDR    serve the Prometheus metrics of the proxies the run
                  starts at http://ADDR/metrics while it runs, labelled
                  algorithm (the measured label; "rig" for the rig) and
                  balancer (the instance): host:port, or a bare port (on
                  127.0.0.1); off by default, so that runs side by side
                  never clash. The address is logged on stderr
  --verbose       say on stderr what the run is doing: when the
                  simulation starts, when the first answers come in (the
                  backends, the proxy and the load generator are up) and
                  when each algorithm's measurement is done

An interrupted run (SIGINT, e.g. Ctrl-C, or SIGTERM) stops its load
generator, proxies and backends (no listener is left), removes its
temporary files, writes no result file and no run directory (--out DIR is
left as it was) and exits 130. The results are written into a hidden .NAME.partial-* directory beside the
run directory and renamed into place whole, so a signal while they are
written still exits 130 with nothing left; only a second signal ends the
process at once, and may leave that .partial-* directory.
`

// maxRepeat bounds --repeat: a typo should not start a day-long run.
const maxRepeat = 1000

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("bench run", stderr)
	rf := cli.NewRunFlags(flags)
	repeat := cli.UintFlag{Value: 1}
	flags.Var(&repeat, "repeat", "")
	compareSim := flags.Bool("compare-sim", false, "")
	verbose := flags.Bool("verbose", false, "")
	adminFlag := flags.String("admin", "", "")
	if code, ok := rf.Parse(runUsage, args, stdout, stderr); !ok {
		return code
	}
	admin := proxy.AdminOff
	if *adminFlag != "" {
		var err error
		if admin, err = proxy.ParseAdmin(*adminFlag); err != nil {
			fmt.Fprintf(stderr, "bench run: --admin %v\n", err)
			return cli.ExitUsage
		}
	}
	if repeat.Value == 0 || repeat.Value > maxRepeat {
		fmt.Fprintf(stderr, "bench run: --repeat %d: want 1 to %d\n", repeat.Value, maxRepeat)
		return cli.ExitUsage
	}
	sc := rf.Load(stderr)
	if sc == nil {
		return cli.ExitUsage
	}
	nrep := int(repeat.Value)
	if *compareSim {
		// Someone else's servers are simulated only through a fitted
		// model of them (their group's service): refuse before any work.
		if err := sc.Unsimulated("--compare-sim"); err != nil {
			fmt.Fprintf(stderr, "%v\nbench run: --compare-sim needs a fitted service for every group of urls (the simulation runs it in their place); add one, or run without --compare-sim\n", err)
			return cli.ExitUsage
		}
	}
	if n := sc.Network; n.Dist != "constant" || n.Value != 0 {
		// Loopback is the real engine's network; the simulator adds the
		// scenario's delay to every hop, so --compare-sim would show the gap.
		fmt.Fprintf(stderr, "bench run: note: the scenario's network delay (%s) is not emulated by the real engine: its hops are loopback\n", describeDist(n))
	}

	start := time.Now()
	info := report.NewRun(start, append([]string{"bench", "run"}, args...), sc.File)

	// The metrics of every proxy the run starts, on one admin listener for
	// the whole run.
	var observer func(string, int) proxy.Observer
	if admin != proxy.AdminOff {
		hub := promexport.NewHub()
		srv, err := proxy.ServeAdmin(admin, promexport.Handler(hub), log.New(stderr, "bench run: admin: ", 0))
		if err != nil {
			if ae := (*proxy.AdminListenError)(nil); errors.As(err, &ae) {
				fmt.Fprintf(stderr, "bench run: %s\n", adminProblem(ae, "--admin"))
			} else {
				fmt.Fprintf(stderr, "bench run: --admin: %v\n", err)
			}
			return cli.ExitFailure
		}
		defer srv.Close()
		observer = hub.Observer
		fmt.Fprintf(stderr, "bench run: %s: metrics at http://%s/metrics while it runs\n", sc.Name, srv.Addr())
	}

	runCtx, stop := cli.NotifyContext(ctx)
	defer stop()
	interrupted := func() int {
		fmt.Fprintf(stderr, "bench run: %s: interrupted; nothing written\n", sc.Name)
		return cli.ExitInterrupted
	}

	// The simulator first: it takes a moment, and a failure there should
	// not cost a whole real run.
	var simSummary *report.Summary
	say := func(format string, a ...any) {
		if *verbose {
			fmt.Fprintf(stderr, "bench run: %s: "+format+"\n", append([]any{sc.Name}, a...)...)
		}
	}
	if *compareSim {
		say("simulating, for --compare-sim")
		var err error
		simSummary, err = sim.Run(runCtx, sc.Clone(), sim.Options{})
		if runCtx.Err() != nil {
			return interrupted()
		}
		if err != nil {
			fmt.Fprintf(stderr, "bench run: %s: simulating: %v\n", sc.Name, err)
			return cli.ExitFailure
		}
	}

	// vegeta's files go to a staging directory until the run has succeeded.
	staging, err := os.MkdirTemp("", "fulcrum-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "bench run: %v\n", err)
		return cli.ExitFailure
	}
	defer os.RemoveAll(staging)

	// One bar for the rig's requests and the algorithms' together, so that
	// it fills once.
	var pacing []realproxy.Pacing
	rigScenario := realproxy.RigScenario(sc)
	bar := cli.StartProgress(stderr, sc.Name, cli.ExpectedArrivals(rigScenario)+cli.ExpectedArrivals(sc)*int64(nrep))
	progress := bar.Func()
	if *verbose {
		// Progress is called from one goroutine, after answers came back.
		first, inner := true, progress
		progress = func(n int64) {
			if first {
				first = false
				say("measuring: the first answers are in (backends, proxy and load generator up)")
			}
			if inner != nil {
				inner(n)
			}
		}
	}
	// The rig first, on the same machine just before the measurement, so
	// that it sees the same conditions.
	say("measuring the rig: %d zero-service requests at %.4g req/s", rigScenario.Requests, rigScenario.Arrivals.Rate)
	var rigPacing *realproxy.Pacing
	rig, err := realproxy.MeasureRig(runCtx, sc, realproxy.Options{
		Progress: progress,
		OnPacing: func(p realproxy.Pacing) { rigPacing = &p },
		Observer: observer,
	})
	if runCtx.Err() != nil {
		bar.Stop()
		return interrupted()
	}
	if err != nil {
		bar.Stop()
		fmt.Fprintf(stderr, "bench run: %s: measuring the rig: %v\n", sc.Name, err)
		return cli.ExitFailure
	}
	say("rig measured: mean %.3g ms, p50 %.3g ms, p99 %.3g ms", rig.Latency.Mean, rig.Latency.P50, rig.Latency.P99)
	summary, err := realproxy.Run(runCtx, sc, realproxy.Options{
		Repeat:    nrep,
		Progress:  progress,
		VegetaDir: staging,
		OnPacing: func(p realproxy.Pacing) {
			pacing = append(pacing, p)
			say("%s #%d measured: %d requests sent", p.Label, p.Repeat+1, p.Sent)
		},
		Observer: observer,
	})
	bar.Stop()
	if runCtx.Err() != nil {
		return interrupted()
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench run: %s: %v\n", sc.Name, err)
		return cli.ExitFailure
	}
	info.Finish(time.Now())
	verdict.Attach(summary, sc)
	info.Layout = realproxy.Layout(sc, nrep)
	for _, p := range pacing {
		if w := pacingWarning(p); w != "" {
			fmt.Fprintf(stderr, "bench run: warning: %s\n", w)
		}
		key := "pacing " + p.Label
		if nrep > 1 {
			key += " #" + strconv.Itoa(p.Repeat+1)
		}
		info.Layout[key] = fmt.Sprintf("sent %d, lag mean %v p99 %v max %v, %d errors unattributed",
			p.Sent, p.LagMean, p.LagP99, p.LagMax, p.Unattributed)
	}
	info.RigLatency = &rig.Latency
	info.Layout["rig"] = fmt.Sprintf("%d zero-service requests (%d completed) at %.4g req/s through round-robin, measured before the algorithms",
		rig.Requests, rig.Completed, rig.Rate)
	if p := rigPacing; p != nil {
		if w := pacingWarning(*p); w != "" {
			fmt.Fprintf(stderr, "bench run: warning: %s\n", w)
		}
		info.Layout["rig pacing"] = fmt.Sprintf("sent %d, lag mean %v p99 %v max %v, %d errors unattributed",
			p.Sent, p.LagMean, p.LagP99, p.LagMax, p.Unattributed)
	}
	if simSummary != nil {
		summary.CompareSim = metrics.CompareEngines(simSummary, summary)
		metrics.CorrectForRig(summary.CompareSim, simSummary, summary, rig.Quantiles, rig.Latency.Mean)
	}

	if err := report.WriteTable(stdout, summary); err != nil {
		fmt.Fprintf(stderr, "bench run: %v\n", err)
		return cli.ExitFailure
	}
	if sc.Foreign() {
		writeServerSplit(stdout, summary) // servers.go
	}
	fmt.Fprintf(stdout, "\nrig latency (%d zero-service requests at %.4g req/s, measured first): mean %.3g ms, p50 %.3g ms, p99 %.3g ms\n",
		rig.Requests, rig.Rate, rig.Latency.Mean, rig.Latency.P50, rig.Latency.P99)
	if simSummary != nil {
		fmt.Fprintln(stdout)
		if err := report.WriteComparison(stdout, summary.CompareSim); err != nil {
			fmt.Fprintf(stderr, "bench run: %v\n", err)
			return cli.ExitFailure
		}
	}
	fmt.Fprintln(stdout)
	if err := report.WriteVerdict(stdout, summary.Verdict); err != nil {
		fmt.Fprintf(stderr, "bench run: %v\n", err)
		return cli.ExitFailure
	}
	write := func(dir string) error { return writeResults(dir, staging, summary, info) }
	rf.Report(summary, simSummary) // full CDFs, and the real-vs-sim overlay
	// A signal while the results are written still stops the command: Save
	// then leaves no run directory.
	if err := rf.Save(runCtx, stdout, sc.Name, start, "-real", write); err != nil {
		if runCtx.Err() != nil {
			return interrupted()
		}
		fmt.Fprintf(stderr, "bench run: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
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

// describeDist writes a distribution as a scenario file would.
func describeDist(s dist.Spec) string {
	if d, err := dist.New(s); err == nil {
		return d.String()
	}
	return s.Dist
}

// maxLagP99 is how late the load generator may send its 99th percentile
// request before the run is flagged: later than that, arrivals bunch up,
// queues grow that the scenario does not have, and every latency is
// overstated. On an idle 2-core machine the lag's p99 is about 1ms (Go's
// timers); a machine busy with other work has produced seconds.
const maxLagP99 = 10 * time.Millisecond

// pacingWarning says what is wrong with a measurement's pacing, or "".
func pacingWarning(p realproxy.Pacing) string {
	if p.LagP99 <= maxLagP99 {
		return ""
	}
	return fmt.Sprintf("%s: the load generator fell behind the schedule (lag p99 %v, max %v): "+
		"arrivals bunched, so latencies are overstated; run it on a quieter machine or at a lower rate",
		p.Label, p.LagP99.Round(time.Microsecond), p.LagMax.Round(time.Microsecond))
}
