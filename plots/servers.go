package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/report"
)

// maxBars is the most bars (servers x algorithms) a servers panel draws as
// grouped bars; beyond it each algorithm is a line of glyphs over the
// servers, which stays readable with a hundred servers.
const maxBars = 72

// maxServerMarks is the most servers the servers chart draws one mark
// (bar or glyph) each for. Above it the chart shows the servers as
// distributions (serverDistChart): one mark per server is unreadable at a
// thousand servers and took a minute to draw at ten thousand. 100 keeps
// every shipped scenario's chart (power-of-d and stale-load have 100
// servers) as it was, lines with a glyph per server, still readable there.
const maxServerMarks = 100

// serverCount is the number of servers of s: the most any algorithm has.
func serverCount(s *report.Summary) int {
	n := 0
	for _, a := range s.Algorithms {
		n = max(n, len(a.Servers))
	}
	return n
}

// serversChart is (c): each server's share of the requests (top) and its
// utilisation (bottom), for every algorithm, with Jain's fairness index in
// the legend ("Jain 0.997 ± 0.001": the mean over the seeds and its 95%
// confidence interval, in a run of several). Above maxServerMarks servers
// it is serverDistChart instead.
func serversChart(s *report.Summary) chart {
	if serverCount(s) > maxServerMarks {
		return serverDistChart(s)
	}
	var names []string
	for _, a := range s.Algorithms {
		if len(a.Servers) > len(names) {
			names = names[:0]
			for _, sv := range a.Servers {
				names = append(names, sv.Name)
			}
		}
	}
	nAlg, nSrv := len(s.Algorithms), len(names)
	bars := nAlg*nSrv <= maxBars
	leg := newLegend()
	for i, a := range s.Algorithms {
		look := Style(i)
		name := jainName(&a)
		if bars {
			leg.add(name, swatch{look.Color})
		} else {
			leg.add(name, lineThumb{look.lineStyle(vg.Points(1), false)}, glyphThumb{look.glyphStyle()})
		}
	}
	w := 9 * vg.Inch
	if bars && nSrv > 8 {
		w = vg.Length(math.Min(14, 6+0.09*float64(nAlg*nSrv))) * vg.Inch
	}
	heading := seedsTitle(s, "requests and utilisation per server",
		fmt.Sprintf("bars seed %d, Jain mean ± 95%% CI", s.Seed))
	return chart{
		name: "servers", title: "Requests and utilisation per server",
		w: w, h: 7 * vg.Inch,
		draw: func(c draw.Canvas) {
			c = frame(c, heading, leg)
			share := func(a *report.Algorithm) []float64 {
				var total float64
				for _, sv := range a.Servers {
					total += float64(sv.Requests)
				}
				out := make([]float64, len(a.Servers))
				for k, sv := range a.Servers {
					if total > 0 {
						out[k] = 100 * float64(sv.Requests) / total
					}
				}
				return out
			}
			util := func(a *report.Algorithm) []float64 {
				out := make([]float64, len(a.Servers))
				for k, sv := range a.Servers {
					out[k] = 100 * sv.Utilization
				}
				return out
			}
			top := serverPanel(s, names, bars, share, "share of requests (%)", false)
			bottom := serverPanel(s, names, bars, util, "utilisation (%)", true)
			ps := [][]*plot.Plot{{top}, {bottom}}
			cs := plot.Align(ps, draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(10)}, c)
			top.Draw(cs[0][0])
			bottom.Draw(cs[1][0])
			if nSrv == 0 {
				message(top.DataCanvas(cs[0][0]), "no servers")
			}
			// Someone else's servers (a scenario's urls) do not tell
			// their busy time: no bar, and say why rather than leave
			// the panel looking like 0%.
			if unknownUtilization(s) {
				message(bottom.DataCanvas(cs[1][0]), "no bar: utilisation unknown for servers given by urls (someone else's)")
			}
		},
	}
}

// serverPanel draws value(a)[k] for every algorithm a and server k.
func serverPanel(s *report.Summary, names []string, bars bool, value func(*report.Algorithm) []float64, ylabel string, xlabels bool) *plot.Plot {
	p := newPlot("")
	p.Y.Label.Text = ylabel
	addGrid(p, false, true)
	nAlg, nSrv := len(s.Algorithms), len(names)
	hi := 0.0
	if bars {
		var rs rects
		width := 0.8 / float64(max(nAlg, 1))
		for i := range s.Algorithms {
			look := Style(i)
			for k, v := range value(&s.Algorithms[i]) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				x0 := float64(k) - 0.4 + float64(i)*width
				rs = append(rs, rect{x0: x0, x1: x0 + width*0.92, y0: 0, y1: v, fill: look.Color})
				hi = math.Max(hi, v)
			}
		}
		p.Add(rs)
	} else {
		for i := range s.Algorithms {
			look := Style(i)
			var pts plotter.XYs
			for k, v := range value(&s.Algorithms[i]) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				pts = append(pts, plotter.XY{X: float64(k), Y: v})
				hi = math.Max(hi, v)
			}
			if len(pts) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(pts)
			if err != nil {
				continue
			}
			l.LineStyle = look.lineStyle(vg.Points(0.8), false)
			l.LineStyle.Color = withAlpha(look.Color, 0.6)
			sc.GlyphStyle = look.glyphStyle()
			sc.GlyphStyle.Radius = vg.Points(2.5)
			p.Add(l, sc)
		}
	}
	p.X.Min, p.X.Max = -0.6, float64(nSrv)-0.4
	if hi == 0 {
		hi = 1
	}
	p.Y.Min, p.Y.Max = 0, hi*1.08
	// Label every server if they fit, else every k-th.
	step := max(1, (nSrv+23)/24)
	var ticks plot.ConstantTicks
	for k, name := range names {
		t := plot.Tick{Value: float64(k)}
		if k%step == 0 && xlabels {
			t.Label = name
		}
		ticks = append(ticks, t)
	}
	p.X.Tick.Marker = ticks
	if nSrv > 12 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	if xlabels {
		p.X.Label.Text = "server"
	}
	p.X.Tick.Label.Color = color.Black
	return p
}

// unknownUtilization reports whether any server's utilisation is unknown
// (NaN: someone else's server, report.Server).
func unknownUtilization(s *report.Summary) bool {
	for _, a := range s.Algorithms {
		for _, sv := range a.Servers {
			if !sv.UtilizationKnown() {
				return true
			}
		}
	}
	return false
}

// jainName is an algorithm's legend entry in the servers chart: its label
// and Jain's index, "p2c  (Jain 0.997 ± 0.001)" over several seeds.
func jainName(a *report.Algorithm) string {
	jain := strconv.FormatFloat(a.Fairness.Jain, 'f', 3, 64)
	if st, ok := a.CI["jain"]; ok {
		jain = strconv.FormatFloat(st.Mean, 'f', 3, 64) + " ± " + strconv.FormatFloat(st.CI95, 'f', 3, 64)
	}
	return a.Label + "  (Jain " + jain + ")"
}
