package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/report"
)

// cdfPoints returns a's latency CDF as (latency ms, fraction of completed
// requests) points with latency > 0: from the quantile grid when the
// summary has it (a run in memory), else through the percentile figures
// (a summary read from summary.json). A run of points at the same latency
// keeps only its ends, which draw the same step.
func cdfPoints(a *report.Algorithm) plotter.XYs {
	if a.Completed == 0 {
		return nil
	}
	var pts plotter.XYs
	if q := a.LatencyQuantiles; len(q) > 0 {
		n := float64(len(q))
		for i, x := range q {
			pts = append(pts, plotter.XY{X: x, Y: (float64(i) + 0.5) / n})
		}
	} else {
		l := a.Latency
		pts = plotter.XYs{{X: l.P50, Y: 0.5}, {X: l.P90, Y: 0.9}, {X: l.P99, Y: 0.99}, {X: l.P999, Y: 0.999}, {X: l.Max, Y: 1}}
	}
	out := pts[:0]
	for i, p := range pts {
		if !(p.X > 0) || math.IsInf(p.X, 0) {
			continue
		}
		if len(out) > 0 && p.X < out[len(out)-1].X { // not monotone: skip
			continue
		}
		if len(out) >= 2 && out[len(out)-1].X == p.X && out[len(out)-2].X == p.X && i < len(pts)-1 {
			out[len(out)-1] = p
			continue
		}
		out = append(out, p)
	}
	return out
}

// quantile returns a's latency at p (0.5, 0.99): interpolated in the
// quantile grid when there is one, else the summary's figure.
func quantile(a *report.Algorithm, p float64) float64 {
	q := a.LatencyQuantiles
	if len(q) == 0 {
		switch p {
		case 0.5:
			return a.Latency.P50
		case 0.9:
			return a.Latency.P90
		case 0.99:
			return a.Latency.P99
		case 0.999:
			return a.Latency.P999
		}
		return math.NaN()
	}
	pos := p*float64(len(q)) - 0.5
	i := int(math.Floor(pos))
	if i < 0 {
		return q[0]
	}
	if i >= len(q)-1 {
		return q[len(q)-1]
	}
	f := pos - float64(i)
	return q[i]*(1-f) + q[i+1]*f
}

// cdfSeries is one curve of a CDF chart.
type cdfSeries struct {
	a      *report.Algorithm
	look   Look
	dashed bool
}

// cdfChart is (a): every algorithm's latency CDF on one chart, latency on
// a log axis, each curve's p50 and p99 marked with its glyph.
func cdfChart(s *report.Summary) chart {
	var series []cdfSeries
	leg := newLegend()
	for i := range s.Algorithms {
		a := &s.Algorithms[i]
		look := Style(i)
		series = append(series, cdfSeries{a, look, false})
		name := a.Label
		if len(cdfPoints(a)) == 0 {
			name += " (no completions)"
		}
		leg.add(name, lineThumb{look.lineStyle(vg.Points(1.5), false)}, glyphThumb{look.glyphStyle()})
	}
	heading := title(s, "latency CDF, p50 and p99 marked")
	if len(s.Algorithms) > 0 && len(s.Algorithms[0].LatencyQuantiles) == 0 {
		heading = title(s, "latency CDF through p50/p90/p99/p99.9/max")
	}
	return chart{
		name: "cdf", title: "Latency CDF",
		w: 9 * vg.Inch, h: 5.5 * vg.Inch,
		draw: func(c draw.Canvas) { drawCDF(c, heading, series, leg) },
	}
}

// overlayChart is the CDF of s (solid) over that of other (dashed), for
// the algorithms both have: the real engine beside the simulator.
func overlayChart(s, other *report.Summary) chart {
	var series []cdfSeries
	leg := newLegend()
	byLabel := map[string]*report.Algorithm{}
	for i := range other.Algorithms {
		byLabel[other.Algorithms[i].Label] = &other.Algorithms[i]
	}
	for i := range s.Algorithms {
		a := &s.Algorithms[i]
		look := Style(i)
		series = append(series, cdfSeries{a, look, false})
		o := byLabel[a.Label]
		if o != nil {
			series = append(series, cdfSeries{o, look, true})
		}
		name := a.Label
		switch {
		case o == nil:
			name += " (not in " + other.Engine + ")"
		case len(cdfPoints(a)) == 0 && len(cdfPoints(o)) == 0:
			name += " (no completions)"
		}
		leg.add(name, lineThumb{look.lineStyle(vg.Points(1.5), false)}, glyphThumb{look.glyphStyle()})
	}
	grey := Look{Color: color.RGBA{0x55, 0x55, 0x55, 0xFF}, Glyph: draw.CircleGlyph{}}
	leg.add(engineName(s)+" (solid)", lineThumb{grey.lineStyle(vg.Points(1.5), false)})
	leg.add(engineName(other)+" (dashed)", lineThumb{grey.lineStyle(vg.Points(1.5), true)})
	heading := s.Scenario + ": latency CDF, " + engineName(s) + " (solid) vs " + engineName(other) + " (dashed)"
	return chart{
		name: "cdf-vs-" + report.FileLabel(other.Engine), title: "Latency CDF: " + engineName(s) + " vs " + engineName(other),
		w: 9 * vg.Inch, h: 5.5 * vg.Inch,
		draw: func(c draw.Canvas) { drawCDF(c, heading, series, leg) },
	}
}

// engineName names a summary's engine and seed for an overlay's legend.
func engineName(s *report.Summary) string {
	return s.Engine + ", seed " + formatTick(float64(s.Seed))
}

func drawCDF(c draw.Canvas, heading string, series []cdfSeries, leg *legendCol) {
	c = frame(c, heading, leg)
	p := newPlot("")
	p.X.Label.Text = "latency (ms, log scale)"
	p.Y.Label.Text = "fraction of completed requests"
	addGrid(p, true, true)

	lo, hi := math.Inf(1), math.Inf(-1)
	curves := make([]plotter.XYs, len(series))
	for i, sr := range series {
		curves[i] = cdfPoints(sr.a)
		if len(curves[i]) > 0 {
			// The axis begins at the 1st percentile: below it, a log axis
			// would spend most of its width on the fastest 1%.
			first := curves[i][0].X
			if q := quantile(sr.a, 0.01); len(sr.a.LatencyQuantiles) > 0 && q > first {
				first = q
			}
			lo = math.Min(lo, first)
			hi = math.Max(hi, curves[i][len(curves[i])-1].X)
		}
	}
	empty := math.IsInf(lo, 1)
	setLogRange(&p.X, lo, hi) // again once every curve is in: Add widens it
	xmin, xmax := p.X.Min, p.X.Max
	p.Y.Tick.Marker = plot.ConstantTicks{
		{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"}, {Value: 0.5, Label: "0.5"},
		{Value: 0.75, Label: "0.75"}, {Value: 0.9, Label: "0.9"}, {Value: 0.99, Label: "0.99"}, {Value: 1},
	}

	// Reference lines at the two marked quantiles.
	ref := draw.LineStyle{Color: color.Gray{Y: 150}, Width: vg.Points(0.6), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
	for _, q := range []float64{0.5, 0.99} {
		l, _ := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: q}, {X: p.X.Max, Y: q}})
		l.LineStyle = ref
		p.Add(l)
	}
	p.Add(texts{style: smallText(8), items: []textItem{
		{x: p.X.Min, y: 0.5, dx: vg.Points(3), dy: vg.Points(2), label: "p50"},
		{x: p.X.Min, y: 0.99, dx: vg.Points(3), dy: -vg.Points(10), label: "p99"},
	}})

	for i, sr := range series {
		if len(curves[i]) == 0 {
			continue
		}
		l, err := plotter.NewLine(curves[i])
		if err != nil {
			continue
		}
		l.LineStyle = sr.look.lineStyle(vg.Points(1.5), sr.dashed)
		p.Add(l)
		var marks plotter.XYs
		for _, q := range []float64{0.5, 0.99} {
			if x := quantile(sr.a, q); x > 0 && !math.IsInf(x, 0) {
				marks = append(marks, plotter.XY{X: x, Y: q})
			}
		}
		if len(marks) > 0 {
			sc, err := plotter.NewScatter(marks)
			if err == nil {
				sc.GlyphStyle = sr.look.glyphStyle()
				if sr.dashed {
					sc.GlyphStyle.Shape = draw.RingGlyph{}
				}
				p.Add(sc)
			}
		}
	}
	p.X.Min, p.X.Max = xmin, xmax
	p.Y.Min, p.Y.Max = 0, 1
	p.Draw(c)
	if empty {
		message(p.DataCanvas(c), "no completed requests")
	}
}
