package plots

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/report"
)

// percentileShades are the opacities of the p50, p90, p99 and p99.9 bars:
// the higher the percentile, the darker the bar.
var percentileShades = []struct {
	name  string
	alpha float64
	value func(report.Latency) float64
}{
	{"p50", 0.3, func(l report.Latency) float64 { return l.P50 }},
	{"p90", 0.5, func(l report.Latency) float64 { return l.P90 }},
	{"p99", 0.75, func(l report.Latency) float64 { return l.P99 }},
	{"p99.9", 1, func(l report.Latency) float64 { return l.P999 }},
}

// percentilesChart is (b): for each algorithm, a group of horizontal bars
// p50, p90, p99, p99.9 in its colour, darker for higher percentiles, each
// with its value. Horizontal bars keep long labels readable.
func percentilesChart(s *report.Summary) chart {
	n := len(s.Algorithms)
	leg := newLegend()
	for _, sh := range percentileShades {
		leg.add(sh.name, swatch{withAlpha(color.RGBA{0x40, 0x40, 0x40, 0xFF}, sh.alpha)})
	}
	h := vg.Length(math.Max(3.5, 1.2+0.6*float64(n))) * vg.Inch
	heading := title(s, "latency percentiles")
	return chart{
		name: "percentiles", title: "Latency percentiles",
		w: 9 * vg.Inch, h: h,
		draw: func(c draw.Canvas) {
			c = frame(c, heading, leg)
			p := newPlot("")
			p.X.Label.Text = "latency (ms)"
			addGrid(p, true, false)
			var bars rects
			var labels texts
			labels.style = smallText(7.5)
			labels.style.YAlign = draw.YCenter
			ticks := plot.ConstantTicks{}
			hi := 0.0
			const thick = 0.19
			for i := range s.Algorithms {
				a := &s.Algorithms[i]
				y := float64(n - 1 - i) // the first algorithm on top
				ticks = append(ticks, plot.Tick{Value: y, Label: a.Label})
				if a.Completed == 0 {
					labels.items = append(labels.items, textItem{x: 0, y: y, dx: vg.Points(3), label: "no completed requests"})
					continue
				}
				look := Style(i)
				for j, sh := range percentileShades {
					v := sh.value(a.Latency)
					if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
						continue
					}
					yc := y + 0.3 - float64(j)*0.2
					bars = append(bars, rect{x0: 0, x1: v, y0: yc - thick/2, y1: yc + thick/2, fill: withAlpha(look.Color, sh.alpha)})
					labels.items = append(labels.items, textItem{x: v, y: yc, dx: vg.Points(3), label: sh.name + " " + sig3(v)})
					hi = math.Max(hi, v)
				}
			}
			if hi == 0 {
				hi = 1
			}
			p.Add(bars, labels)
			p.X.Min, p.X.Max = 0, hi*1.18 // room for the values
			p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
			p.Y.Tick.Marker = ticks
			p.Y.Tick.Length = 0
			p.Draw(c)
			if n == 0 {
				message(p.DataCanvas(c), "no algorithms")
			}
		},
	}
}

// sig3 writes x with three significant digits and no exponent, as the
// terminal table does: 0.0123, 9.80, 24.0, 612, 1230.
func sig3(x float64) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	e := strconv.FormatFloat(x, 'e', 2, 64)
	r, _ := strconv.ParseFloat(e, 64)
	exp := int(math.Floor(math.Log10(math.Abs(r))))
	return strconv.FormatFloat(r, 'f', max(0, 2-exp), 64)
}
