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

// percentileShades are the percentiles drawn as bars, each with its
// opacity: the higher the percentile, the darker the bar.
var percentileShades = []struct {
	report.FigureDef
	alpha float64
}{
	{report.FiguresNamed("p50")[0], 0.3},
	{report.FiguresNamed("p90")[0], 0.5},
	{report.FiguresNamed("p99")[0], 0.75},
	{report.FiguresNamed("p999")[0], 1},
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
		leg.add(sh.Title, swatch{withAlpha(color.RGBA{0x40, 0x40, 0x40, 0xFF}, sh.alpha)})
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
					v := sh.Value(a)
					st, withCI := a.CI[sh.Key]
					if withCI {
						v = st.Mean
					}
					if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
						continue
					}
					yc := y + 0.3 - float64(j)*0.2
					bars = append(bars, rect{x0: 0, x1: v, y0: yc - thick/2, y1: yc + thick/2, fill: withAlpha(look.Color, sh.alpha)})
					label, end := sh.Title+" "+report.Sig3(v), v
					if ci := st.CI95; withCI && ci > 0 && !math.IsInf(ci, 0) {
						errs.XYs = append(errs.XYs, plotter.XY{X: v, Y: yc})
						errs.XErrors = append(errs.XErrors, struct{ Low, High float64 }{ci, ci})
						label = sh.Title + " " + plusMinus(v, ci)
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
	m := report.Sig3(mean)
	decimals := 0
	if i := strings.IndexByte(m, '.'); i >= 0 {
		decimals = len(m) - i - 1
	}
	return m + " ± " + strconv.FormatFloat(ci, 'f', decimals, 64)
}
