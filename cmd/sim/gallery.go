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

// gallerySweep is the sweep the gallery draws: the baseline from half to
// 95% load, 3 seeds a point, short enough to regenerate in seconds.
var gallerySweep = struct {
	scenario, param, values string
	seeds                   int
	requests                int64
}{"baseline", "arrivals.load", "0.5:0.95:0.05", 3, 50_000}

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

	for _, info := range scenarios.Shipped() {
		sc, err := scenarios.Open(info.Name)
		if err != nil {
			return err
		}
		s, err := sim.Run(ctx, sc, sim.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		charts, err := plots.Render(s, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", info.Name, err)
		}
		dir := filepath.Join(out, "gallery", info.Name)
		var names []string
		for _, c := range charts {
			if strings.HasPrefix(c.Name, "timeline-") && len(sc.Faults) == 0 {
				continue // timelines of a steady run are flat: show them where faults happen
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
		page.WriteString("```\n" + table.String() + "```\n\n")
		for _, n := range names {
			fmt.Fprintf(&page, "![%s %s](gallery/%s/%s.svg)\n\n", info.Name, n, info.Name, n)
		}
		fmt.Fprintf(stdout, "gallery: %s (%d charts)\n", info.Name, len(names))
	}

	g := gallerySweep
	sc, err := scenarios.Open(g.scenario)
	if err != nil {
		return err
	}
	sc = sc.Clone()
	sc.Requests = g.requests
	values, err := sweep.Values(g.values)
	if err != nil {
		return err
	}
	sw, err := sweep.Run(ctx, sc, sweep.Options{Param: g.param, Values: values, Seeds: g.seeds})
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
	if err := atomicfile.Write(filepath.Join(out, "gallery", "baseline-sweep", "sweep.svg"), svg); err != nil {
		return err
	}
	var table strings.Builder
	if err := sweep.WriteTable(&table, sw); err != nil {
		return err
	}
	fmt.Fprintf(&page, "\n## Latency against load\n\n"+
		"`go run ./cmd/sim sweep %s --param %s --values %s --seeds %d --requests %d`: "+
		"mean latency with 95%% confidence intervals over the seeds, and the closed forms "+
		"(M/M/1 per server for random, E_N/M/1 for round-robin) dashed beside them.\n\n```\n%s```\n\n"+
		"![latency against load](gallery/baseline-sweep/sweep.svg)\n",
		g.scenario, g.param, g.values, g.seeds, g.requests, table.String())
	fmt.Fprintln(stdout, "gallery: baseline sweep")
	return atomicfile.Write(filepath.Join(out, "README.md"), []byte(page.String()))
}
