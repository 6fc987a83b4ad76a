package plots

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/fulcrum-lb/fulcrum/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.svg from the current output")

// serversSummary is a hand-built summary of algs algorithms over n
// servers whose shares and utilisations differ from server to server
// (a fixed pattern, no randomness): server k of algorithm i gets
// 1000+((k*7919+i*104729)%613) requests and a utilisation between 0.5
// and 0.95.
func serversSummary(algs, n int) *report.Summary {
	s := &report.Summary{Scenario: "servers", Engine: "sim", Seed: 3}
	for i := range algs {
		a := report.Algorithm{
			Label: fmt.Sprintf("alg-%d", i), Algorithm: "random",
			Fairness: report.Fairness{Jain: 0.99 - 0.01*float64(i)},
		}
		for k := range n {
			h := (k*7919 + i*104729) % 613
			a.Servers = append(a.Servers, report.Server{
				Name:        fmt.Sprintf("s-%d", k),
				Requests:    int64(1000 + h),
				Utilization: 0.5 + 0.45*float64(h)/612,
			})
			a.Requests += int64(1000 + h)
		}
		a.Completed = a.Requests
		s.Algorithms = append(s.Algorithms, a)
	}
	return s
}

// Up to the threshold the servers chart is today's, to the byte: golden
// SVGs of the bar and the line forms (go test ./plots -run
// TestServersGolden -update rewrites them after a change made on purpose).
func TestServersGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		s    *report.Summary
	}{
		{"bars-2x4", serversSummary(2, 4)},
		{"lines-3x100", serversSummary(3, 100)},
		{"unknown-utilisation", func() *report.Summary {
			s := serversSummary(2, 3)
			s.Algorithms[1].Servers[1].Utilization = math.NaN()
			return s
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := render(serversChart(c.s), false)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join("testdata", "servers-"+c.name+".svg")
			if *update {
				if err := os.WriteFile(file, got.SVG, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test ./plots -run TestServersGolden -update writes it)", err)
			}
			if !bytes.Equal(got.SVG, want) {
				t.Errorf("servers chart differs from %s (%d bytes, want %d)", file, len(got.SVG), len(want))
			}
		})
	}
}

// The servers chart keeps one mark per server up to maxServerMarks
// servers and shows distributions above: a share curve of at most
// maxCurvePoints points per algorithm, monotone from the most loaded
// server (x = 0) to the least (x = 100), whose mean over every server is
// the even share; and a histogram of utilisation whose bins hold every
// server.
func TestServersChartSwitch(t *testing.T) {
	perServer := "Requests and utilisation per server"
	dist := "Requests and utilisation over the servers (distributions)"
	for _, c := range []struct {
		algs, n    int
		title      string
		points     int // share curve points per algorithm
		binsAtMost int
	}{
		{2, 1, perServer, 0, 0},
		{3, 4, perServer, 0, 0},
		{2, maxServerMarks, perServer, 0, 0},
		{2, maxServerMarks + 1, dist, maxServerMarks + 1, maxUtilBins},
		{1, maxCurvePoints, dist, maxCurvePoints, maxUtilBins},
		{1, maxCurvePoints + 1, dist, maxCurvePoints, maxUtilBins},
		{3, 1000, dist, maxCurvePoints, maxUtilBins},
		{2, 100_000, dist, maxCurvePoints, maxUtilBins},
	} {
		t.Run(fmt.Sprintf("%dx%d", c.algs, c.n), func(t *testing.T) {
			s := serversSummary(c.algs, c.n)
			if got := serversChart(s).title; got != c.title {
				t.Fatalf("title %q, want %q", got, c.title)
			}
			if c.title == perServer {
				return
			}
			d := serverDists(s)
			if len(d.share) != c.algs || len(d.util) != c.algs || !d.utilKnown || !d.anyRequest {
				t.Fatalf("%d curves, %d histograms (known %v, requests %v); want %d of each",
					len(d.share), len(d.util), d.utilKnown, d.anyRequest, c.algs)
			}
			for i, pts := range d.share {
				a := &s.Algorithms[i]
				if len(pts) != c.points {
					t.Errorf("alg %d: %d points, want %d", i, len(pts), c.points)
				}
				if pts[0].X != 0 || pts[len(pts)-1].X != 100 {
					t.Errorf("alg %d: x from %v to %v, want 0 to 100", i, pts[0].X, pts[len(pts)-1].X)
				}
				// The extremes are exact: the busiest and the idlest server.
				var total, most, least float64 = 0, 0, math.Inf(1)
				for _, sv := range a.Servers {
					r := float64(sv.Requests)
					total += r
					most, least = math.Max(most, r), math.Min(least, r)
				}
				even := total / float64(c.n)
				if pts[0].Y != most/even || pts[len(pts)-1].Y != least/even {
					t.Errorf("alg %d: y from %v to %v, want %v to %v", i, pts[0].Y, pts[len(pts)-1].Y, most/even, least/even)
				}
				for j := 1; j < len(pts); j++ {
					if pts[j].X <= pts[j-1].X || pts[j].Y > pts[j-1].Y {
						t.Fatalf("alg %d: point %d %v after %v: not ranked", i, j, pts[j], pts[j-1])
					}
				}
				if c.n <= maxCurvePoints { // every server: the mean is the even share
					var sum float64
					for _, p := range pts {
						sum += p.Y
					}
					if m := sum / float64(len(pts)); math.Abs(m-1) > 1e-9 {
						t.Errorf("alg %d: mean %v over every server, want 1", i, m)
					}
				}
				bins := d.util[i]
				if len(bins) == 0 || len(bins) > c.binsAtMost {
					t.Errorf("alg %d: %d bins, want 1 to %d", i, len(bins), c.binsAtMost)
				}
				var pct float64
				for _, b := range bins {
					pct += b
				}
				if math.Abs(pct-100) > 1e-6 {
					t.Errorf("alg %d: bins hold %v%% of the servers, want 100", i, pct)
				}
				// Every utilisation falls in the bins' span.
				lo, hi := d.binStart, d.binStart+float64(len(bins))*d.binWidth
				for _, sv := range a.Servers {
					if u := 100 * sv.Utilization; u < lo || u >= hi {
						t.Fatalf("alg %d: utilisation %v outside the bins [%v, %v)", i, u, lo, hi)
					}
				}
			}
		})
	}
}

// A bin's count: the histogram puts each server in the bin its
// utilisation falls in, as % of the servers whose utilisation is known.
func TestUtilisationBins(t *testing.T) {
	s := serversSummary(1, 200)
	for k := range s.Algorithms[0].Servers {
		u := []float64{0.10, 0.10, 0.10, 0.50, math.NaN()}[k%5]
		s.Algorithms[0].Servers[k].Utilization = u
	}
	d := serverDists(s)
	// 10% to 50%: a width of 1 (40/40), bins from 10.
	if d.binStart != 10 || d.binWidth != 1 {
		t.Fatalf("bins from %v by %v, want from 10 by 1", d.binStart, d.binWidth)
	}
	bins := d.util[0]
	if len(bins) != 41 || bins[0] != 75 || bins[40] != 25 {
		t.Errorf("%d bins, first %v%%, last %v%%; want 41, 75%% (3 in 4 known) and 25%%", len(bins), bins[0], bins[40])
	}
	if steps := histSteps(bins, d.binStart, d.binWidth); len(steps) != 2*len(bins)+2 ||
		steps[0] != (plotter.XY{X: 10, Y: 0}) || steps[len(steps)-1] != (plotter.XY{X: 51, Y: 0}) {
		t.Errorf("outline %v ... %v, %d points", steps[0], steps[len(steps)-1], len(steps))
	}
}

// The distribution form draws, without NaN or Inf, what a real run can
// give: servers of unknown utilisation, an algorithm that routed nothing,
// algorithms over different numbers of servers, every server alike.
func TestServerDistEdgeCases(t *testing.T) {
	n := maxServerMarks + 50
	cases := map[string]struct {
		s                     *report.Summary
		anyRequest, utilKnown bool
		curves, hists         int
	}{
		"all unknown": {func() *report.Summary {
			s := serversSummary(2, n)
			for i := range s.Algorithms {
				for k := range s.Algorithms[i].Servers {
					s.Algorithms[i].Servers[k].Utilization = math.NaN()
				}
			}
			return s
		}(), true, false, 2, 0},
		"one routed nothing": {func() *report.Summary {
			s := serversSummary(2, n)
			for k := range s.Algorithms[1].Servers {
				s.Algorithms[1].Servers[k].Requests = 0
			}
			return s
		}(), true, true, 1, 2},
		"nothing anywhere": {func() *report.Summary {
			s := serversSummary(2, n)
			for i := range s.Algorithms {
				for k := range s.Algorithms[i].Servers {
					s.Algorithms[i].Servers[k] = report.Server{Name: "x", Utilization: math.NaN()}
				}
			}
			return s
		}(), false, false, 0, 0},
		"different counts": {func() *report.Summary {
			s := serversSummary(2, n)
			s.Algorithms[1].Servers = s.Algorithms[1].Servers[:7]
			return s
		}(), true, true, 2, 2},
		"all alike": {func() *report.Summary {
			s := serversSummary(1, n)
			for k := range s.Algorithms[0].Servers {
				s.Algorithms[0].Servers[k].Requests, s.Algorithms[0].Servers[k].Utilization = 10, 0.9
			}
			return s
		}(), true, true, 1, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := serverDists(c.s)
			curves, hists := 0, 0
			for i := range d.share {
				if d.share[i] != nil {
					curves++
				}
				if d.util[i] != nil {
					hists++
				}
			}
			if d.anyRequest != c.anyRequest || d.utilKnown != c.utilKnown || curves != c.curves || hists != c.hists {
				t.Errorf("requests %v, known %v, %d curves, %d histograms; want %v, %v, %d, %d",
					d.anyRequest, d.utilKnown, curves, hists, c.anyRequest, c.utilKnown, c.curves, c.hists)
			}
			cs, err := renderAll([]chart{serversChart(c.s)}, !raceEnabled, 1)
			if err != nil {
				t.Fatal(err)
			}
			checkSVGs(t, cs, !raceEnabled)
		})
	}
}

// 100,000 servers render, as SVG and PNG, into a chart whose size does
// not grow with the servers: about as many marks as at 1,000 (ticks and
// bins vary with the data), where one mark per server would be 100 times
// as many.
func TestServers100k(t *testing.T) {
	var paths, size []int
	for _, n := range []int{1000, 100_000} {
		s := serversSummary(2, n)
		cs, err := renderAll([]chart{serversChart(s)}, !raceEnabled, 1)
		if err != nil {
			t.Fatal(err)
		}
		checkSVGs(t, cs, !raceEnabled)
		paths = append(paths, bytes.Count(cs[0].SVG, []byte("<path")))
		size = append(size, len(cs[0].SVG))
	}
	if paths[1] > 2*paths[0] || size[1] > 2*size[0] {
		t.Errorf("%d SVG paths (%d bytes) at 1,000 servers, %d (%d bytes) at 100,000; want no more than twice",
			paths[0], size[0], paths[1], size[1])
	}
}

// BenchmarkServersChart draws the servers chart (SVG and PNG) at the
// threshold and far above it.
func BenchmarkServersChart(b *testing.B) {
	for _, n := range []int{maxServerMarks, 10_000, 100_000} {
		s := serversSummary(2, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := render(serversChart(s), true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
