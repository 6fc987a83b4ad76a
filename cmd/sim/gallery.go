package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/plots"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
	"github.com/fulcrum-lb/fulcrum/sweep"
	"github.com/fulcrum-lb/fulcrum/verdict"
)

const galleryUsage = `Usage: sim gallery [--out DIR]

Regenerates the gallery: runs every shipped scenario with its own seed and
size, plus a load sweep of the baseline, and writes the charts as SVG into
DIR/gallery/ and a page showing them, with the result tables, as
DIR/README.md (default DIR: results). The output depends only on the code
and the scenarios, so a change to an algorithm shows up as a reviewable
diff of that page and its charts.

  --out DIR   where to write (default results)
`

// gallerySweeps are the sweeps the gallery draws, short enough to
// regenerate in seconds: the baseline from half to 95% load, and the
// bursty scenario from on/off to Poisson at the same mean load.
var gallerySweeps = []struct {
	scenario, param, values string
	seeds                   int
	requests                int64
	dir, title, text        string
}{
	{"baseline", "arrivals.load", "0.5:0.95:0.05", 3, 50_000, "baseline-sweep", "Latency against load",
		"mean latency with 95% confidence intervals over the seeds, and the closed forms " +
			"(M/M/1 per server for random, E_N/M/1 for round-robin) dashed beside them."},
	{"bursty", "arrivals.states[1].factor", "0:1:0.25", 3, 50_000, "bursty-sweep", "Latency against burstiness",
		"the quiet state's factor from 0 (on/off bursts, the scenario itself) to 1 (Poisson), " +
			"at the same mean load 0.7: every algorithm's tail grows with burstiness, load-blind ones' most."},
	{"stale-load", "load_info.refresh", "0s,200ms,500ms,1s,2s,4s,6s,10s", 3, 100_000, "stale-load-sweep", "Latency against the age of load information",
		"the servers' queue lengths refreshed every T, from always current to 50 mean service times " +
			"(Mitzenmacher 2000): least-connections is the best at T = 0 and herds onto the few servers that looked " +
			"shortest as T grows, crossing random's M/M/1 line (2s) between T = 0.5s and 1s; p2c degrades gracefully " +
			"and falls behind random only at 50 service times. " +
			"The right panel is the herding index (1: arrivals spread evenly; random routing about 2 here)."},
}

// realTableFile, in a scenario's gallery directory, holds the real engine's
// table for it, measured by hand and committed.
const realTableFile = "real.txt"

func cmdGallery(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("sim gallery", stderr)
	out := flags.String("out", "results", "")
	pos, code, ok := cli.ParseFlags(flags, galleryUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "sim gallery: unexpected argument %q\n\n%s", pos[0], galleryUsage)
		return cli.ExitUsage
	}
	ctx, stop := cli.NotifyContext(ctx)
	defer stop()
	if err := writeGallery(ctx, *out, stdout); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "sim gallery: interrupted")
			return cli.ExitInterrupted
		}
		fmt.Fprintf(stderr, "sim gallery: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}

func writeGallery(ctx context.Context, out string, stdout io.Writer) error {
	var page strings.Builder
	page.WriteString(`# Gallery

What Fulcrum produces for each shipped scenario, from the simulator: the
comparison table and the charts ` + "`sim run`" + ` writes (report.html holds the same,
and PNGs). Regenerate everything on this page with

` + "```sh\ngo run ./cmd/sim gallery\n```" + `

The page and its SVGs depend only on the code and the scenarios (same seed,
same bytes), so a change to an algorithm or to the engine shows up here as a
diff to review. Baselines for CI are in [baselines/](baselines/).

`)
	for _, info := range scenarios.Shipped() {
		page.WriteString("- [" + info.Name + "](#" + info.Name + "): " + info.Description + "\n")
	}
	page.WriteString("- [latency against load](#latency-against-load): the baseline swept from 50% to 95% load\n")
	page.WriteString("- [latency against burstiness](#latency-against-burstiness): bursty swept from on/off to Poisson\n")
	page.WriteString("- [latency against the age of load information](#latency-against-the-age-of-load-information): stale-load swept from always-current to 10s-old queue lengths\n")

	for _, info := range scenarios.Shipped() {
		sc, err := scenarios.Open(info.Name)
		if err != nil {
			return err
		}
		s, err := sim.Run(ctx, sc, sim.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		verdict.Attach(s, sc)
		charts, err := plots.Render(s, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		dir := filepath.Join(out, "gallery", info.Name)
		var names []string
		for _, c := range charts {
			if strings.HasPrefix(c.Name, "timeline-") && len(sc.Faults) == 0 && sc.LoadInfo == nil && report.TrafficPlain(sc.Resolved()) {
				continue // timelines of a steady run are flat: show them where faults happen, the traffic changes or herding is measured
			}
			if err := atomicfile.Write(filepath.Join(dir, c.Name+".svg"), c.SVG); err != nil {
				return err
			}
			names = append(names, c.Name)
		}
		fmt.Fprintf(&page, "\n## %s\n\n%s. Scenario: [scenarios/%s.yaml](../scenarios/%s.yaml); seed %d.\n\n",
			info.Name, info.Description, info.Name, info.Name, s.Seed)
		var table strings.Builder
		if err := report.WriteTable(&table, s); err != nil {
			return err
		}
		table.WriteString("\n")
		if err := report.WriteVerdict(&table, s.Verdict); err != nil {
			return err
		}
		page.WriteString("```\n" + table.String() + "```\n\n")
		// The real engine's table, where one was measured and committed
		// (bench run is too slow to rerun here): shown as it was printed.
		if real, err := os.ReadFile(filepath.Join(out, "gallery", info.Name, realTableFile)); err == nil {
			page.WriteString("The same on the real engine (`bench run`; the command and the machine are in the table's first lines):\n\n```\n" + string(real) + "```\n\n")
		}
		for _, n := range names {
			fmt.Fprintf(&page, "![%s %s](gallery/%s/%s.svg)\n\n", info.Name, n, info.Name, n)
		}
		fmt.Fprintf(stdout, "gallery: %s (%d charts)\n", info.Name, len(names))
	}

	for _, g := range gallerySweeps {
		if err := gallerySweep(ctx, out, &page, g.scenario, g.param, g.values, g.seeds, g.requests, g.dir, g.title, g.text); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "gallery: "+g.scenario+" sweep")
	}
	return atomicfile.Write(filepath.Join(out, "README.md"), []byte(page.String()))
}

// gallerySweep runs one sweep and adds its section to page, its chart
// under out/gallery/dir.
func gallerySweep(ctx context.Context, out string, page *strings.Builder, scenario, param, valueSpec string, seeds int, requests int64, dir, title, text string) error {
	sc, err := scenarios.Open(scenario)
	if err != nil {
		return err
	}
	sc = sc.Clone()
	sc.Requests = requests
	parse := sweep.Values
	if _, duration, err := sc.Number(param); err != nil {
		return err
	} else if duration {
		parse = sweep.DurationValues
	}
	values, err := parse(valueSpec)
	if err != nil {
		return err
	}
	sw, err := sweep.Run(ctx, sc, sweep.Options{Param: param, Values: values, Seeds: seeds})
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	tmp, err := os.MkdirTemp("", "fulcrum-gallery-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := plots.Sweep(tmp, sw); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	svg, err := os.ReadFile(filepath.Join(tmp, "sweep.svg"))
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(out, "gallery", dir, "sweep.svg"), svg); err != nil {
		return err
	}
	var table strings.Builder
	if err := sweep.WriteTable(&table, sw); err != nil {
		return err
	}
	fmt.Fprintf(page, "\n## %s\n\n"+
		"`go run ./cmd/sim sweep %s --param '%s' --values %s --seeds %d --requests %d`: %s\n\n```\n%s```\n\n"+
		"![%s](gallery/%s/sweep.svg)\n",
		title, scenario, param, valueSpec, seeds, requests, text, table.String(), strings.ToLower(title), dir)
	return nil
}
