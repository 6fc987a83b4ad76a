package plots

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
)

// keep, if set (FULCRUM_PLOTS_OUT=DIR go test ./plots), keeps every chart
// the tests draw in DIR/<test name>/ to be looked at.
var keep = os.Getenv("FULCRUM_PLOTS_OUT")

func outDir(t *testing.T) string {
	t.Helper()
	if keep == "" {
		return t.TempDir()
	}
	dir := filepath.Join(keep, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// simulate runs a shipped scenario with at most requests measured requests
// per algorithm (its duration, if any, still caps the run).
func simulate(t testing.TB, name string, requests int64) *report.Summary {
	t.Helper()
	sc, err := scenarios.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	sc = sc.Clone()
	if requests > 0 {
		sc.Requests = requests
	}
	s, err := sim.Run(context.Background(), sc, sim.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// checkFiles checks that every name is in dir, that each PNG decodes to
// an image of the chart's size, and that each SVG is one whole document.
func checkFiles(t *testing.T, dir string, names []string) {
	t.Helper()
	if len(names) == 0 {
		t.Fatal("no files written")
	}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(n) {
		case ".png":
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
				t.Errorf("%s: %dx%d pixels, want a readable size", n, b.Dx(), b.Dy())
			}
		case ".svg":
			if !bytes.HasPrefix(data, []byte("<?xml")) || !bytes.HasSuffix(data, []byte("</svg>\n")) {
				t.Errorf("%s: not a whole SVG document", n)
			}
			if bytes.Contains(data, []byte("NaN")) || bytes.Contains(data, []byte("Inf")) {
				t.Errorf("%s: holds NaN or Inf", n)
			}
		case ".html":
		default:
			t.Errorf("unexpected file %s", n)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// checkSVGs checks that every chart has a whole SVG document without NaN
// or Inf in it, and a PNG if withPNG.
func checkSVGs(t *testing.T, cs []Chart, withPNG bool) {
	t.Helper()
	for _, c := range cs {
		if !bytes.HasPrefix(c.SVG, []byte("<?xml")) || !bytes.HasSuffix(c.SVG, []byte("</svg>\n")) {
			t.Errorf("%s.svg: not a whole SVG document", c.Name)
		}
		if bytes.Contains(c.SVG, []byte("NaN")) || bytes.Contains(c.SVG, []byte("Inf")) {
			t.Errorf("%s.svg: holds NaN or Inf", c.Name)
		}
		if withPNG {
			if _, err := png.Decode(bytes.NewReader(c.PNG)); err != nil {
				t.Errorf("%s.png: %v", c.Name, err)
			}
		}
	}
}

// Every shipped scenario, run short, draws all its charts (as SVG only
// under the race detector, where a PNG takes a second).
func TestShippedScenarios(t *testing.T) {
	for _, info := range scenarios.Shipped() {
		t.Run(info.Name, func(t *testing.T) {
			t.Parallel()
			s := simulate(t, info.Name, 3000)
			cs, err := renderAll(summaryCharts(s, nil), !raceEnabled, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkSVGs(t, cs, !raceEnabled)
			var names []string
			for _, c := range cs {
				names = append(names, c.Name)
			}
			want := []string{"cdf", "percentiles", "servers"}
			for _, a := range s.Algorithms {
				want = append(want, "timeline-"+report.FileLabel(a.Label))
			}
			if !slices.Equal(names, want) {
				t.Errorf("charts %q, want %q", names, want)
			}
			if keep != "" && !raceEnabled {
				if _, err := WriteReport(outDir(t), s, nil); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// WriteReport writes every chart as PNG and SVG, and report.html.
func TestWriteReport(t *testing.T) {
	s := edgeSummary(1, 2)
	dir := outDir(t)
	names, err := WriteReport(dir, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cdf.png", "cdf.svg", "percentiles.png", "percentiles.svg",
		"servers.png", "servers.svg", "timeline-alg-00.png", "timeline-alg-00.svg", report.ReportHTML}
	if !slices.Equal(names, want) {
		t.Errorf("wrote %q, want %q", names, want)
	}
	checkFiles(t, dir, names)
	page, _ := os.ReadFile(filepath.Join(dir, report.ReportHTML))
	if n := strings.Count(string(page), "<img "); n != 4 {
		t.Errorf("report.html has %d images, want 4", n)
	}
}

// The failover scenario at full length has every kind of event: a crash
// with health checks on both sides, and a slowdown of two servers. The
// time its report takes is logged, not checked (BenchmarkRenderPowerOfD).
func TestFailoverEventsAndSpeed(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("simulates 2 minutes of traffic and times the drawing")
	}
	s := simulate(t, "failover", 0)
	kinds := map[string]bool{}
	for _, e := range s.Algorithms[0].Events {
		kinds[e.What] = true
	}
	for _, k := range []string{"crash", "recover", "unhealthy", "healthy", "slowdown x4", "end slowdown"} {
		if !kinds[k] {
			t.Errorf("failover has no %q event; got %v", k, kinds)
		}
	}
	m := eventMarks(s.Algorithms[0].Events, 10, 120)
	var labels []string
	for _, b := range m.bands {
		labels = append(labels, b.label)
	}
	if !slices.Contains(labels, "web-3 crash") || !slices.Contains(labels, "web-6, web-7 slowdown x4") {
		t.Errorf("band labels %q, want web-3 crash and the merged slowdown", labels)
	}
	start := time.Now()
	dir := outDir(t)
	names, err := WriteReport(dir, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, names)
	t.Logf("failover: %d files in %v", len(names), time.Since(start))
}

// power-of-d has 100 servers: its servers chart switches from bars to
// lines. How fast it draws is BenchmarkRenderPowerOfD's to measure, not a
// test's to check.
func TestPowerOfDCharts(t *testing.T) {
	if raceEnabled {
		t.Skip("simulating power-of-d takes about 10s under the race detector")
	}
	s := simulate(t, "power-of-d", 20000)
	charts, err := Render(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 3+len(s.Algorithms) {
		t.Errorf("%d charts, want %d", len(charts), 3+len(s.Algorithms))
	}
	checkSVGs(t, charts, true)
	if keep != "" {
		if _, err := writeFiles(outDir(t), allFiles(charts)); err != nil {
			t.Fatal(err)
		}
	}
}

func allFiles(cs []Chart) []atomicfile.File {
	var fs []atomicfile.File
	for _, c := range cs {
		fs = append(fs, chartFiles(c)...)
	}
	return fs
}

// The same summary gives the same bytes, SVG and PNG, in any run.
func TestDeterministic(t *testing.T) {
	s := simulate(t, "smoke", 2000)
	same := func(s, other *report.Summary) {
		t.Helper()
		a, err := renderAll(summaryCharts(s, other), false, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := renderAll(summaryCharts(s, other), false, 1) // one at a time: the same bytes
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if !bytes.Equal(a[i].SVG, b[i].SVG) {
				t.Errorf("%s.svg differs between two renders", a[i].Name)
			}
		}
	}
	same(s, s)
	// A summary read back from summary.json has no quantile grid.
	dir := t.TempDir()
	if err := report.WriteDir(dir, s, nil); err != nil {
		t.Fatal(err)
	}
	back, err := report.ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	same(back, nil)

	x, err := render(cdfChart(s), true)
	if err != nil {
		t.Fatal(err)
	}
	y, err := render(cdfChart(s), true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.PNG, y.PNG) {
		t.Error("cdf.png differs between two renders")
	}
}

// edgeSummary is a hand-built summary of n algorithms over servers servers.
func edgeSummary(n, servers int) *report.Summary {
	s := &report.Summary{Scenario: "edge", Engine: "sim", Seed: 7}
	for i := range n {
		a := report.Algorithm{
			Label: fmt.Sprintf("alg-%02d", i), Algorithm: "random",
			Requests: 1000, Completed: 1000,
			Latency:  report.Latency{Mean: 3 + float64(i), P50: 2 + float64(i), P90: 5 + float64(i), P99: 9 + float64(i), P999: 20 + float64(i), Max: 40 + float64(i)},
			Fairness: report.Fairness{Jain: 1},
		}
		for k := range servers {
			a.Servers = append(a.Servers, report.Server{Name: fmt.Sprintf("s%d", k), Requests: int64(1000 / servers), Utilization: 0.5})
		}
		a.LatencyQuantiles = make([]float64, report.QuantileGrid)
		for j := range a.LatencyQuantiles {
			p := (float64(j) + 0.5) / report.QuantileGrid
			a.LatencyQuantiles[j] = -a.Latency.Mean * math.Log(1-p)
		}
		a.Timeline = &report.Timeline{WindowMS: 100, WarmupMS: 200}
		for w := range 20 {
			a.Timeline.Windows = append(a.Timeline.Windows, report.Window{
				StartMS: float64(w * 100), Requests: 50, Completed: 50, MeanMS: 3, P50MS: 2, P99MS: 9 + float64(w%3),
			})
		}
		s.Algorithms = append(s.Algorithms, a)
	}
	return s
}

func TestEdgeCases(t *testing.T) {
	cases := map[string]func() *report.Summary{
		"no algorithms": func() *report.Summary { return edgeSummary(0, 0) },
		"one server":    func() *report.Summary { return edgeSummary(3, 1) },
		"20 algorithms": func() *report.Summary { return edgeSummary(20, 4) },
		"no completions": func() *report.Summary {
			s := edgeSummary(2, 3)
			a := &s.Algorithms[1]
			a.Completed, a.Latency, a.LatencyQuantiles = 0, report.Latency{}, nil
			a.Errors.Failed = a.Requests
			for i := range a.Timeline.Windows {
				w := &a.Timeline.Windows[i]
				w.Completed, w.Errors, w.MeanMS, w.P50MS, w.P99MS = 0, w.Requests, 0, 0, 0
			}
			return s
		},
		"nothing completed anywhere": func() *report.Summary {
			s := edgeSummary(2, 2)
			for i := range s.Algorithms {
				a := &s.Algorithms[i]
				a.Completed, a.Latency, a.LatencyQuantiles, a.Timeline = 0, report.Latency{}, nil, nil
			}
			return s
		},
		"zero-length timeline": func() *report.Summary {
			s := edgeSummary(2, 2)
			s.Algorithms[0].Timeline = &report.Timeline{WindowMS: 100}
			s.Algorithms[1].Timeline = nil
			return s
		},
		"one window": func() *report.Summary {
			s := edgeSummary(1, 2)
			s.Algorithms[0].Timeline.Windows = s.Algorithms[0].Timeline.Windows[:1]
			return s
		},
		"constant latency": func() *report.Summary {
			s := edgeSummary(2, 2)
			for i := range s.Algorithms {
				a := &s.Algorithms[i]
				for j := range a.LatencyQuantiles {
					a.LatencyQuantiles[j] = 5
				}
				a.Latency = report.Latency{Mean: 5, P50: 5, P90: 5, P99: 5, P999: 5, Max: 5}
			}
			return s
		},
		"events": func() *report.Summary {
			s := edgeSummary(2, 3)
			ev := []report.Event{
				report.FaultEvent(300, "s1", "crash", false, 0),
				report.HealthEvent(500, "s1", 0, false),
				report.HealthEvent(500, "s1", 1, false),
				report.FaultEvent(800, "s1", "crash", true, 0),
				report.HealthEvent(900, "s1", 0, true),
				report.FaultEvent(1000, "s0", "slowdown", false, 4),
				report.FaultEvent(1000, "s2", "slowdown", false, 4),
				report.FaultEvent(1400, "s0", "slowdown", true, 0),
				report.FaultEvent(1400, "s2", "slowdown", true, 0),
				report.FaultEvent(1500, "s2", "errors", false, 0.5),      // never ends
				{AtMS: 1600, Server: "s0", What: "recover failed: boom"}, // of no known kind
			}
			for i := range 40 { // a flapping server
				ev = append(ev, report.HealthEvent(1000+float64(i*20), "s0", 0, i%2 == 1))
			}
			for i := range s.Algorithms {
				s.Algorithms[i].Events = ev
			}
			return s
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := mk()
			cs, err := renderAll(summaryCharts(s, mk()), false, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkSVGs(t, cs, false)
			figs := make([]report.Figure, len(cs))
			for i, c := range cs {
				figs[i] = c.Figure()
			}
			if _, err := report.EncodeHTML(s, mk(), figs); err != nil {
				t.Fatal(err)
			}
			if keep != "" && !raceEnabled {
				if _, err := WriteReport(outDir(t), s, mk()); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestEventMarks(t *testing.T) {
	typed := []report.Event{
		report.FaultEvent(1000, "b-1", "crash", false, 0),
		report.HealthEvent(1200, "b-1", 0, false),
		report.HealthEvent(1200, "b-1", 1, false),
		report.FaultEvent(2000, "b-1", "crash", true, 0),
		report.HealthEvent(2200, "b-1", 0, true),
		report.FaultEvent(3000, "b-2", "slowdown", false, 4),
	}
	// The same events as an older summary.json or an engine that sets
	// only What has them: the marks must not change.
	words := make([]report.Event, len(typed))
	for i, e := range typed {
		words[i] = report.Event{AtMS: e.AtMS, Server: e.Server, What: e.What, Balancer: e.Balancer}
	}
	for name, ev := range map[string][]report.Event{"typed": typed, "words only": words} {
		m := eventMarks(ev, 0.5, 4)
		want := []band{
			{x0: 0, x1: 0.5, label: "warm-up"},
			{x0: 1, x1: 2, label: "b-1 crash"},
			{x0: 3, x1: 4, label: "b-2 slowdown x4"}, // open to the end
		}
		if len(m.bands) != len(want) {
			t.Fatalf("%s: bands %+v, want %+v", name, m.bands, want)
		}
		for i, w := range want {
			g := m.bands[i]
			if g.x0 != w.x0 || g.x1 != w.x1 || g.label != w.label {
				t.Errorf("%s: band %d = [%v, %v] %q, want [%v, %v] %q", name, i, g.x0, g.x1, g.label, w.x0, w.x1, w.label)
			}
		}
		if len(m.lines) != 2 || m.lines[0].label != "b-1 unhealthy" || m.lines[1].label != "b-1 healthy" {
			t.Errorf("%s: lines %+v, want one unhealthy (once for two balancers) and one healthy", name, m.lines)
		}
		if !slices.Equal(m.kinds, []string{"warm-up", "marked unhealthy", "marked healthy", "crash", "slowdown"}) {
			t.Errorf("%s: legend kinds %q", name, m.kinds)
		}
	}
}

func TestStylePalette(t *testing.T) {
	seen := map[string]int{}
	for i := range 42 {
		l := Style(i)
		k := fmt.Sprintf("%v %T", l.Color, l.Glyph)
		if j, ok := seen[k]; ok {
			t.Errorf("Style(%d) looks like Style(%d)", i, j)
		}
		seen[k] = i
	}
	if Style(42) != Style(0) || Style(3) != Style(3) {
		t.Error("Style does not cycle after 42")
	}
}

func TestSweep(t *testing.T) {
	sw := &report.Sweep{
		Scenario: "baseline", Engine: "sim", Param: "arrivals.load",
		Values: []float64{0.5, 0.7, 0.9, 0.99},
		Seeds:  []uint64{1, 2, 3},
		Labels: []string{"random", "round-robin", "p2c"},
		Theory: []report.TheoryCurve{
			{Label: "random", Model: "M/M/1 per server", Figure: "mean_ms", Values: []float64{20, 33.3, 100, -1}},
			{Label: "random", Model: "M/M/1 per server", Figure: "p99_ms", Values: []float64{92, 153, 460, -1}},
			{Label: "nobody", Model: "x", Figure: "mean_ms", Values: []float64{1, 2, 3, 4}},
		},
	}
	for i, v := range sw.Values {
		for j, l := range sw.Labels {
			mean := 10 / (1 - v) / float64(j+1)
			sw.Points = append(sw.Points, report.SweepPoint{Value: v, Label: l, Figures: map[string]report.Stat{
				"mean_ms": {Mean: mean, CI95: mean * 0.1 * float64(i), N: 3},
				"p99_ms":  {Mean: 4.6 * mean, CI95: mean * 0.5, N: 3},
			}})
		}
	}
	dir := outDir(t)
	names, err := Sweep(dir, sw)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"sweep.png", "sweep.svg"}) {
		t.Errorf("names %v", names)
	}
	checkFiles(t, dir, names)
	a, _ := render(sweepChart(sw), false)
	b, _ := render(sweepChart(sw), false)
	if !bytes.Equal(a.SVG, b.SVG) {
		t.Error("sweep.svg differs between two renders")
	}

	// Empty, one-point and linear-scale sweeps draw too.
	one := *sw
	one.Points, one.Theory = sw.Points[:1], nil
	flat := *sw
	flat.Points = nil
	for _, p := range sw.Points {
		p.Figures = map[string]report.Stat{"mean_ms": {Mean: 10 + p.Value, CI95: 1}}
		flat.Points = append(flat.Points, p)
	}
	flat.Unit, flat.Seeds = "s", []uint64{4}
	for _, x := range []*report.Sweep{{Scenario: "x", Param: "p"}, &one, &flat} {
		c, err := render(sweepChart(x), false)
		if err != nil {
			t.Error(err)
		}
		checkSVGs(t, []Chart{c}, false)
	}
	if _, err := Sweep(dir, nil); err == nil {
		t.Error("Sweep(nil) succeeded")
	}
}

// A failing write leaves nothing behind.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	// A directory where a file should go makes its rename fail.
	if err := os.MkdirAll(filepath.Join(dir, "b.png", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := []atomicfile.File{
		{Name: "a.png", Data: []byte("a")}, {Name: "a.svg", Data: []byte("a")},
		{Name: "b.png", Data: []byte("b")}, {Name: "c.svg", Data: []byte("c")},
	}
	if _, err := writeFiles(dir, files); err == nil {
		t.Fatal("writeFiles succeeded over a directory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "b.png" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left behind: %v", names)
	}
	// Into a directory that is not there: an error, nothing written.
	if _, err := writeFiles(filepath.Join(dir, "missing"), files); err == nil {
		t.Error("writeFiles into a missing directory succeeded")
	}
	names, err := writeFiles(dir, files[:2])
	if err != nil || !slices.Equal(names, []string{"a.png", "a.svg"}) {
		t.Errorf("writeFiles: %v, %v", names, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "a.png")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("a.png: %v, %v; want mode 0644", fi, err)
	}
}

// BenchmarkRenderPowerOfD draws every chart of power-of-d (100 servers):
// the cost a `sim run` pays after its simulation.
func BenchmarkRenderPowerOfD(b *testing.B) {
	s := simulate(b, "power-of-d", 20000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Render(s, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLinTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (linTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{0, 27.5, []string{"0", "10", "20"}},
		{0, 1, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0, 1.08, []string{"0.0", "0.5", "1.0"}},
		{-0.6, 3.6, []string{"0", "1", "2", "3"}},
		{0, 4300, []string{"0", "1000", "2000", "3000", "4000"}},
	} {
		if got := labels(c.lo, c.hi); !slices.Equal(got, c.want) {
			t.Errorf("Ticks(%v, %v) labels %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

// TestRenderAllFirstError: of the charts that fail (gonum/plot panics),
// the error is that of the first in the order given, whichever failed
// first; one at a time, no chart after a failed one is drawn.
func TestRenderAllFirstError(t *testing.T) {
	for _, par := range []int{1, 2, 8} {
		var drawn atomic.Int32
		// "b" has started before "c" fails (else "b" would rightly be
		// skipped, never drawn, and "c" reported), and fails after it.
		var started, failed sync.WaitGroup
		started.Add(1)
		failed.Add(1)
		ok := func(name string) chart {
			return chart{name: name, w: vg.Centimeter, h: vg.Centimeter, draw: func(draw.Canvas) { drawn.Add(1) }}
		}
		bad := func(name string, after func()) chart {
			return chart{name: name, w: vg.Centimeter, h: vg.Centimeter, draw: func(draw.Canvas) { after(); panic("no data") }}
		}
		cs := []chart{ok("a"), bad("b", func() {}), bad("c", func() {}), ok("d"), ok("e")}
		if par > 2 {
			// "b" and "c" run at once; "b" fails last, and is still the one reported.
			cs[1] = bad("b", func() { started.Done(); failed.Wait() })
			cs[2] = bad("c", func() { started.Wait(); failed.Done() })
		}
		_, err := renderAll(cs, false, par)
		if want := "plots: drawing b: no data"; err == nil || err.Error() != want {
			t.Errorf("parallelism %d: %v; want %q", par, err, want)
		}
		if par == 1 && drawn.Load() != 1 {
			t.Errorf("parallelism 1: %d charts drawn; want 1, the one before the failure", drawn.Load())
		}
	}
}
