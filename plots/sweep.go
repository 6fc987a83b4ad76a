package plots

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Sweep draws (e), a sweep's latency against its parameter, into dir
// (which must exist) as sweep.png and sweep.svg, and returns their names:
// mean (left) and p99 (right), one line per algorithm in its Style with
// its 95% confidence intervals as error bars, and the theory curves dashed
// in the colour of the algorithm they describe. Files are written as
// WriteAll writes them.
func Sweep(dir string, sw *report.Sweep) ([]string, error) {
	c, err := RenderSweep(sw)
	if err != nil {
		return nil, err
	}
	return writeFiles(dir, chartFiles(c))
}

// RenderSweep draws the chart Sweep writes, in memory.
func RenderSweep(sw *report.Sweep) (Chart, error) {
	if sw == nil {
		return Chart{}, fmt.Errorf("plots: nil sweep")
	}
	cs, err := renderAll([]chart{sweepChart(sw)}, true, 0)
	if err != nil {
		return Chart{}, err
	}
	return cs[0], nil
}

func sweepChart(sw *report.Sweep) chart {
	index := map[string]int{}
	for i, l := range sw.Labels {
		index[l] = i
	}
	leg := newLegend()
	for i, l := range sw.Labels {
		look := Style(i)
		leg.add(l, lineThumb{look.lineStyle(vg.Points(1.4), false)}, glyphThumb{look.glyphStyle()})
	}
	seen := map[string]bool{}
	for _, th := range sw.Theory {
		name := th.Label + ": " + th.Model + " (theory)"
		if i, ok := index[th.Label]; ok && hasFigure(th.Figure) && !seen[name] {
			seen[name] = true
			leg.add(name, lineThumb{Style(i).lineStyle(vg.Points(1.4), true)})
		}
	}
	heading := fmt.Sprintf("%s: latency vs %s (engine %s, %s)", sw.Scenario, sw.Param, sw.Engine, seedsText(sw.Seeds))
	if sw.Shard != "" {
		heading += ", shard " + sw.Shard
	}
	return chart{
		name: "sweep", title: "Latency vs " + sw.Param,
		w: 11 * vg.Inch, h: 5.5 * vg.Inch,
		draw: func(c draw.Canvas) {
			c = frame(c, heading, leg)
			var row []*plot.Plot
			for _, f := range report.SweepLatencyFigures {
				row = append(row, sweepPanel(sw, index, f.Key, f.Caption()))
			}
			if sweepHasHerding(sw) {
				// Beside the latency: how unevenly arrivals spread.
				row = append(row, sweepPanel(sw, index, "herding", "herding index"))
			}
			cs := plot.Align([][]*plot.Plot{row}, draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Points(16)}, c)
			for i, p := range row {
				p.Draw(cs[0][i])
			}
		},
	}
}

// sweepHasHerding reports whether sw's points carry the herding index
// (sweeps of scenarios with load_info).
func sweepHasHerding(sw *report.Sweep) bool {
	for _, p := range sw.Points {
		if _, ok := p.Figures["herding"]; ok {
			return true
		}
	}
	return false
}

func hasFigure(key string) bool {
	for _, f := range report.SweepLatencyFigures {
		if f.Key == key {
			return true
		}
	}
	return false
}

// seedsText describes a sweep's seeds: "seed 1", "seeds 1-5", "seeds 1, 7, 9".
func seedsText(seeds []uint64) string {
	str := func(s uint64) string { return strconv.FormatUint(s, 10) }
	switch {
	case len(seeds) == 0:
		return "no seeds"
	case len(seeds) == 1:
		return "seed " + str(seeds[0])
	}
	consecutive := true
	for i := 1; i < len(seeds); i++ {
		consecutive = consecutive && seeds[i] == seeds[i-1]+1
	}
	if consecutive {
		return "seeds " + str(seeds[0]) + "-" + str(seeds[len(seeds)-1])
	}
	if len(seeds) > 6 {
		return strconv.Itoa(len(seeds)) + " seeds"
	}
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = str(s)
	}
	return "seeds " + strings.Join(parts, ", ")
}

// errPoints is plotter.XYs with symmetric y errors, for YErrorBars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

func (e errPoints) Len() int { return len(e.XYs) }

func sweepPanel(sw *report.Sweep, index map[string]int, key, ylabel string) *plot.Plot {
	p := newPlot("")
	p.X.Label.Text = sw.Param
	if sw.Unit != "" {
		p.X.Label.Text += " (" + sw.Unit + ")"
	}
	p.Y.Label.Text = ylabel
	addGrid(p, true, true)

	type series struct {
		pts  plotter.XYs
		errs plotter.YErrors
	}
	byLabel := make([]series, len(sw.Labels))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range sw.Points {
		i, ok := index[pt.Label]
		st, has := pt.Figures[key]
		if !ok || !has || !finite(pt.Value) || !finite(st.Mean) {
			continue
		}
		ci := st.CI95
		if !finite(ci) || ci < 0 {
			ci = 0
		}
		byLabel[i].pts = append(byLabel[i].pts, plotter.XY{X: pt.Value, Y: st.Mean})
		byLabel[i].errs = append(byLabel[i].errs, struct{ Low, High float64 }{ci, ci})
		lo = math.Min(lo, st.Mean-ci)
		hi = math.Max(hi, st.Mean+ci)
	}
	var theory []plotter.XYs
	var theoryLook []Look
	for _, th := range sw.Theory {
		i, ok := index[th.Label]
		if !ok || th.Figure != key {
			continue
		}
		var seg plotter.XYs
		flush := func() {
			if len(seg) > 0 {
				theory = append(theory, seg)
				theoryLook = append(theoryLook, Style(i))
			}
			seg = nil
		}
		for j, v := range th.Values {
			if j >= len(sw.Values) || !finite(v) || v <= 0 || !finite(sw.Values[j]) {
				flush() // unstable (-1) or missing: a gap
				continue
			}
			seg = append(seg, plotter.XY{X: sw.Values[j], Y: v})
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		flush()
	}

	// A log axis when the figures span more than a factor of 20 (latency
	// near saturation), with error bars clipped above zero.
	positiveLo := math.Inf(1)
	for _, s := range byLabel {
		for _, pt := range s.pts {
			if pt.Y > 0 {
				positiveLo = math.Min(positiveLo, pt.Y)
			}
		}
	}
	logY := hi > 0 && positiveLo < math.Inf(1) && hi/positiveLo > 20
	for i := range byLabel {
		s := byLabel[i]
		if len(s.pts) == 0 {
			continue
		}
		look := Style(i)
		if logY {
			var pts plotter.XYs
			var errs plotter.YErrors
			for k, pt := range s.pts {
				if pt.Y <= 0 {
					continue
				}
				e := s.errs[k]
				e.Low = math.Min(e.Low, pt.Y*0.999) // the bar stops above 0
				pts, errs = append(pts, pt), append(errs, e)
			}
			s = series{pts, errs}
			if len(s.pts) == 0 {
				continue
			}
		}
		l, sc, err := plotter.NewLinePoints(s.pts)
		if err != nil {
			continue
		}
		l.LineStyle = look.lineStyle(vg.Points(1.4), false)
		sc.GlyphStyle = look.glyphStyle()
		p.Add(l, sc)
		eb, err := plotter.NewYErrorBars(errPoints{s.pts, s.errs})
		if err == nil {
			eb.LineStyle = look.lineStyle(vg.Points(1), false)
			eb.CapWidth = vg.Points(5)
			p.Add(eb)
		}
	}
	for k, seg := range theory {
		if logY && seg[0].Y <= 0 {
			continue
		}
		l, err := plotter.NewLine(seg)
		if err != nil {
			continue
		}
		l.LineStyle = theoryLook[k].lineStyle(vg.Points(1.4), true)
		p.Add(l)
	}
	if logY {
		setLogRange(&p.Y, math.Max(lo, positiveLo/2), hi)
	} else if hi >= 0 && lo < math.Inf(1) {
		p.Y.Min, p.Y.Max = math.Min(0, lo), hi*1.05
	}
	// Room for the glyphs at both ends.
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, v := range sw.Values {
		if finite(v) {
			xlo, xhi = math.Min(xlo, v), math.Max(xhi, v)
		}
	}
	if xlo < xhi {
		pad := (xhi - xlo) * 0.03
		p.X.Min, p.X.Max = xlo-pad, xhi+pad
	}
	if lo == math.Inf(1) { // nothing to draw: a valid empty panel
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	}
	return p
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
