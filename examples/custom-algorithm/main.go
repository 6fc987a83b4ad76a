// Command custom-algorithm is Fulcrum used as a library by a program of its
// own: it registers a strategy that is not in Fulcrum's catalogue
// (latencyp2c: two random choices decided by an average of latency), then
// runs a scenario through Fulcrum's simulator or its real engine with that
// strategy beside p2c, and prints Fulcrum's table.
//
//	go run . sim real-smoke                       # a shipped scenario, simulated
//	go run . bench real-smoke --requests 2000     # the same on a real proxy and backends
//	go run . sim my.yaml --algorithms '[p2c, {name: latency-p2c, alpha: 0.5}]' --out results
//
// The scenario's own algorithms are replaced by --algorithms (default: p2c
// and latency-p2c); a scenario file may also name latency-p2c itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/realproxy"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"

	"example.com/custom-algorithm/latencyp2c"
)

const usage = `Usage: custom-algorithm sim|bench SCENARIO [--algorithms LIST] [--requests N] [--out DIR]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Registration is explicit, before anything reads a scenario: from here
	// on "latency-p2c" is a strategy like p2c, in both engines.
	if err := algorithms.Register(latencyp2c.Spec); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(args) < 2 || (args[0] != "sim" && args[0] != "bench") {
		fmt.Fprint(stderr, usage)
		return 2
	}
	engine, file := args[0], args[1]
	fs := flag.NewFlagSet("custom-algorithm "+engine, flag.ContinueOnError)
	fs.SetOutput(stderr)
	algs := fs.String("algorithms", "[p2c, latency-p2c]", "the algorithms to run, as a scenario's algorithms key")
	requests := fs.Int64("requests", 0, "measured requests per algorithm, instead of the scenario's")
	out := fs.String("out", "", "also write summary.json, summary.csv and run.json into this directory")
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}

	loaded, err := scenarios.Open(file) // a file, or a shipped scenario's name
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	sc, err := loaded.Clone().WithAlgorithms(*algs)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if *requests > 0 {
		sc.Requests = *requests
	}

	start := time.Now()
	var s *report.Summary
	switch engine {
	case "sim":
		s, err = sim.Run(ctx, sc, sim.Options{})
	case "bench":
		s, err = realproxy.Run(ctx, sc, realproxy.Options{})
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := report.WriteTable(stdout, s); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *out != "" {
		r := report.NewRun(start, os.Args, file)
		r.Finish(time.Now())
		if err := report.WriteDir(*out, s, r); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintln(stdout, "results:", *out)
	}
	return 0
}
