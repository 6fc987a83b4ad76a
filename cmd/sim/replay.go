package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/fit"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

const replayUsage = `Usage: sim replay TRACE [--algorithms LIST] [--servers SCENARIO] [--out DIR] [--scenario FILE]

What would other algorithms have done to this traffic? Replays a trace
(bench run's trace-<label>.csv, or sim import's) through each algorithm in
the simulator: the trace's arrival times, clients, classes and service
times exactly, on servers fitted to it (sim fit's: one per backend in the
trace, each with the service distribution that fits it best and as many
workers as it had requests in service at once). It prints what was replayed and what was fitted, then runs as sim
run does (table, summary.json, charts).

  --algorithms LIST  the algorithms, as the algorithms key writes them
                     (default: the --servers scenario's, else
                     [round-robin, least-connections, p2c])
  --servers SCENARIO the servers, and everything else but the arrivals
                     (health checks, faults, timeouts, balancers, classes),
                     from this scenario instead of fitted ones: to replay
                     traffic captured on known servers (bench run's)
  --out DIR          where the results go (default results/runs/...)
  --scenario FILE    also write the scenario replayed, to edit and rerun
                     (e.g. to set the servers' concurrency you know)
`

func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim replay", stderr)
	algs := flags.String("algorithms", "", "")
	out := flags.String("out", "", "")
	keep := flags.String("scenario", "", "")
	servers := flags.String("servers", "", "")
	pos, code, ok := cli.ParseFlags(flags, replayUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "sim replay: want one TRACE\n\n%s", replayUsage)
		return cli.ExitUsage
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "sim replay: %v\n", err)
		return cli.ExitUsage
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if name = scenarios.SafeName(name); name == "" {
		name = "replay"
	}
	var yaml []byte
	var f *fit.Trace
	if *servers != "" {
		if yaml, err = onServers(*servers, path, *algs); err != nil {
			fmt.Fprintf(stderr, "sim replay: %v\n", err)
			return cli.ExitUsage
		}
	} else {
		if f, err = fit.FitTrace(path, fit.Options{Seed: 1}); err != nil {
			fmt.Fprintf(stderr, "sim replay: %v\n", err)
			return cli.ExitFailure
		}
		if *algs == "" {
			*algs = "[round-robin, least-connections, p2c]"
		}
		yaml = f.ReplayScenario(name, *algs, path)
	}
	dir, err := os.MkdirTemp("", "fulcrum-replay-")
	if err != nil {
		fmt.Fprintf(stderr, "sim replay: %v\n", err)
		return cli.ExitFailure
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, name+".yaml")
	if *keep != "" {
		file = *keep
	}
	if err := os.WriteFile(file, yaml, 0o644); err != nil {
		fmt.Fprintf(stderr, "sim replay: %v\n", err)
		return cli.ExitFailure
	}
	if _, err := scenarios.Open(file); err != nil {
		fmt.Fprintf(stderr, "sim replay: the replay's scenario does not load (--algorithms?): %v\n", err)
		return cli.ExitUsage
	}
	fmt.Fprintln(stdout, "replayed exactly: the trace's arrivals (times, clients, classes) and the service times it records")
	if f != nil {
		if f.NoService > 0 {
			fmt.Fprintf(stdout, "  (%d requests have none: drawn from their server's fit)\n", f.NoService)
		}
		fmt.Fprintln(stdout, "fitted: the servers:")
		for _, s := range f.Servers {
			fmt.Fprintf(stdout, "  %s: %s, KS %.3f, concurrency %d, %d requests\n", s.Name, specText(s.Service.Best.Spec), s.Service.Best.KS, s.Concurrency, s.Requests)
		}
	} else {
		fmt.Fprintf(stdout, "from %s: the servers and everything else (requests without a service time draw theirs)\n", *servers)
	}
	if *keep != "" {
		fmt.Fprintf(stdout, "scenario: %s\n", *keep)
	}
	runArgs := []string{file}
	if *out != "" {
		runArgs = append(runArgs, "--out", *out)
	}
	return cmdRun(ctx, runArgs, stdout, stderr)
}

// specText writes a distribution as a scenario file does.
func specText(s dist.Spec) string {
	d, err := dist.New(s)
	if err != nil {
		return s.Dist
	}
	return d.String()
}

// onServers is the scenario at path (a file or a shipped name) with its
// arrivals replaced by the trace's: its resolved form (which loads back as
// it was), arrivals {process: trace, file: trace}, no stopping rule (the
// trace ends the run), clients enough for the trace's, algorithms replaced
// if algs is set.
func onServers(path, tracePath, algs string) ([]byte, error) {
	sc, err := scenarios.Open(path)
	if err != nil {
		return nil, err
	}
	if algs != "" {
		if sc, err = sc.WithAlgorithms(algs); err != nil {
			return nil, fmt.Errorf("--algorithms: %w", err)
		}
	}
	raw, err := json.Marshal(sc.Resolved())
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	probe := sc.Clone()
	probe.Arrivals = scenarios.Arrivals{Process: "trace", File: tracePath, Speed: 1}
	info, err := model.ScanTrace(probe)
	if err != nil {
		return nil, err
	}
	m["arrivals"] = map[string]any{"process": "trace", "file": tracePath}
	delete(m, "requests")
	delete(m, "duration")
	if c, _ := m["clients"].(float64); int(c) < info.Clients {
		m["clients"] = info.Clients
	}
	return json.MarshalIndent(m, "", "  ")
}
