package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/report"
)

// title names what a chart shows and the run it comes from:
// "smoke: latency CDF (engine sim, seed 1)".
func title(s *report.Summary, what string) string {
	return fmt.Sprintf("%s: %s (engine %s, seed %d)", s.Scenario, what, s.Engine, s.Seed)
}

// legendCol is a legend drawn in a column to the right of a chart's
// panels, where it hides no data.
type legendCol struct {
	leg plot.Legend
	n   int
}

func newLegend() *legendCol {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(sans, 9)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(22)
	l.Padding = vg.Points(2)
	return &legendCol{leg: l}
}

func (l *legendCol) add(name string, thumbs ...plot.Thumbnailer) {
	l.leg.Add(name, thumbs...)
	l.n++
}

// frame fills c white, draws the title across its top and the legend (if
// any) in a column on the right, and returns the canvas left for the panels.
func frame(c draw.Canvas, heading string, l *legendCol) draw.Canvas {
	c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
	ts := textStyle(sansBold, 11)
	ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
	pad := vg.Points(6)
	c.FillText(ts, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - pad}, heading)
	top := ts.Height(heading) + 2*pad
	c = draw.Crop(c, pad, -pad, pad, -top)
	if l == nil || l.n == 0 {
		return c
	}
	r := l.leg.Rectangle(c)
	w := r.Max.X - r.Min.X + vg.Points(14)
	lc := draw.Crop(c, c.Max.X-c.Min.X-w+vg.Points(10), 0, 0, -vg.Points(4))
	l.leg.Draw(lc)
	return draw.Crop(c, 0, -w, 0, 0)
}

// message writes a note in the middle of an empty panel ("no completed
// requests").
func message(c draw.Canvas, msg string) {
	ts := textStyle(sans, 10)
	ts.Color = color.Gray{Y: 90}
	ts.XAlign, ts.YAlign = draw.XCenter, draw.YCenter
	c.FillText(ts, c.Center(), msg)
}

// logTicks labels a log axis at 1, 2 and 5 times powers of ten when it
// spans less than three decades, else at the powers of ten, with minor
// ticks at every integer multiple between. gonum's LogTicks labels only
// powers of ten, which leaves a narrow axis with one label or none.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	dense := math.Log10(hi/lo) < 3
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || dense && (m == 2 || m == 5) {
				t.Label = formatTick(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// formatTick writes a tick value without an exponent and without float
// noise: 0.2, 5, 1000.
func formatTick(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// setLogRange makes a a log axis over [lo, hi], widened to whole ticks.
func setLogRange(a *plot.Axis, lo, hi float64) {
	if !(lo > 0) || !(hi > 0) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		lo, hi = 1, 10
	}
	if hi <= lo {
		lo, hi = lo/2, hi*2
	}
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
	a.Min, a.Max = niceDown(lo), niceUp(hi)
}

// niceDown and niceUp round to 1, 2 or 5 times a power of ten, for log
// axes that begin and end on a tick.
func niceDown(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= x*(1+1e-9) {
			return m * p
		}
	}
	return p
}

func niceUp(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// smallText is the style of labels inside panels.
func smallText(size vg.Length) text.Style {
	ts := textStyle(sans, size)
	ts.Color = color.Gray{Y: 60}
	return ts
}

// linTicks labels a linear axis at about n (default 5) round values (1, 2
// or 5 times a power of ten apart), with the decimals the step needs and
// no more, and minor ticks between. gonum's default labels some ranges at
// two points only ("0.00", "25.00").
type linTicks struct{ n int }

func (t linTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return []plot.Tick{{Value: lo, Label: formatTick(lo)}}
	}
	n := t.n
	if n <= 0 {
		n = 5
	}
	step := niceUp((hi - lo) / float64(n))
	mant := step / math.Pow(10, math.Floor(math.Log10(step)))
	minor := step / 5
	if math.Abs(mant-2) < 1e-9 {
		minor = step / 4
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for k := math.Ceil(lo/minor - 1e-9); k*minor <= hi+minor*1e-9; k++ {
		v := k*minor + 0 // no -0
		t := plot.Tick{Value: v}
		if r := v / step; math.Abs(r-math.Round(r)) < 1e-6 {
			t.Label = strconv.FormatFloat(v, 'f', decimals, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
