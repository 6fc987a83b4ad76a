package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/report"
)

// percentileShades are the opacities of the p50, p90, p99 and p99.9 bars:
// the higher the percentile, the darker the bar.
// figure names each one's key in report.Algorithm.CI.
var percentileShades = []struct {
	name   string
	alpha  float64
	value  func(report.Latency) float64
	figure string
}{
	{"p50", 0.3, func(l report.Latency) float64 { return l.P50 }, "p50_ms"},
	{"p90", 0.5, func(l report.Latency) float64 { return l.P90 }, "p90_ms"},
	{"p99", 0.75, func(l report.Latency) float64 { return l.P99 }, "p99_ms"},
	{"p99.9", 1, func(l report.Latency) float64 { return l.P999 }, "p999_ms"},
}

// percentilesChart is (b): for each algorithm, a group of horizontal bars
// p50, p90, p99, p99.9 in its colour, darker for higher percentiles, each
// with its value. Horizontal bars keep long labels readable. In a run of
// several seeds, a bar with a confidence interval (report.Algorithm.CI) is
// the mean over the seeds, with the 95% interval as an error bar.
func percentilesChart(s *report.Summary) chart {
	n := len(s.Algorithms)
	leg := newLegend()
	for _, sh := range percentileShades {
		leg.add(sh.name, swatch{withAlpha(color.RGBA{0x40, 0x40, 0x40, 0xFF}, sh.alpha)})
	}
	h := vg.Length(math.Max(3.5, 1.2+0.6*float64(n))) * vg.Inch
	heading := seedsTitle(s, "latency percentiles", "mean ± 95% CI")
	return chart{
		name: "percentiles", title: "Latency percentiles",
		w: 9 * vg.Inch, h: h,
		draw: func(c draw.Canvas) {
			c = frame(c, heading, leg)
			p := newPlot("")
			p.X.Label.Text = "latency (ms)"
			addGrid(p, true, false)
			var bars rects
			var errs xErrPoints
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
					st, withCI := a.CI[sh.figure]
					if withCI {
						v = st.Mean
					}
					if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
						continue
					}
					yc := y + 0.3 - float64(j)*0.2
					bars = append(bars, rect{x0: 0, x1: v, y0: yc - thick/2, y1: yc + thick/2, fill: withAlpha(look.Color, sh.alpha)})
					label, end := sh.name+" "+sig3(v), v
					if ci := st.CI95; withCI && ci > 0 && !math.IsInf(ci, 0) {
						errs.XYs = append(errs.XYs, plotter.XY{X: v, Y: yc})
						errs.XErrors = append(errs.XErrors, struct{ Low, High float64 }{ci, ci})
						label = sh.name + " " + plusMinus(v, ci)
						end += ci
					}
					labels.items = append(labels.items, textItem{x: end, y: yc, dx: vg.Points(3), label: label})
					hi = math.Max(hi, end)
				}
			}
			if hi == 0 {
				hi = 1
			}
			p.Add(bars, labels)
			if len(errs.XYs) > 0 {
				if eb, err := plotter.NewXErrorBars(errs); err == nil {
					eb.LineStyle = draw.LineStyle{Color: color.RGBA{0x20, 0x20, 0x20, 0xFF}, Width: vg.Points(0.9)}
					eb.CapWidth = vg.Points(4)
					p.Add(eb)
				}
			}
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

// xErrPoints is plotter.XYs with symmetric x errors, for XErrorBars.
type xErrPoints struct {
	plotter.XYs
	plotter.XErrors
}

func (e xErrPoints) Len() int { return len(e.XYs) }

// seedsTitle is title's heading, but for a run of several seeds
// (report.Summary.Seeds) it names them and adds note, which says what
// shows the mean over them and its 95% confidence interval:
// "baseline: latency percentiles (engine sim, seeds 1-3, mean ± 95% CI)".
func seedsTitle(s *report.Summary, what, note string) string {
	if len(s.Seeds) < 2 {
		return title(s, what)
	}
	return fmt.Sprintf("%s: %s (engine %s, %s, %s)", s.Scenario, what, s.Engine, seedsText(s.Seeds), note)
}

// plusMinus writes "mean ± ci", mean with three significant digits and ci
// to the same decimal place, as the terminal table does: "61.2 ± 0.9".
func plusMinus(mean, ci float64) string {
	m := sig3(mean)
	decimals := 0
	if i := strings.IndexByte(m, '.'); i >= 0 {
		decimals = len(m) - i - 1
	}
	return m + " ± " + strconv.FormatFloat(ci, 'f', decimals, 64)
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
