package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/report"
)

// maxCurvePoints is the most points a sorted share curve is drawn
// through: a curve over 100,000 servers sampled at 512 ranks looks the
// same as one through every server, at a two-hundredth of the cost.
const maxCurvePoints = 512

// curveGlyphs is how many glyphs mark each share curve (evenly along it),
// so that curves of close colours can be told apart as in the legend.
const curveGlyphs = 9

// maxUtilBins is about the most bins of the utilisation histogram; the
// width is rounded up to 1, 2 or 5 times a power of ten, so there may be
// fewer.
const maxUtilBins = 40

// serverDist is what the servers chart shows above maxServerMarks
// servers, per algorithm (in the summary's order):
//
//   - share: the servers ranked by their share of the requests, most
//     first, as x = rank in % of the algorithm's servers (0 the most
//     loaded, 100 the least) and y = the server's requests over the even
//     share (requests / servers), so 1 is even whatever the number of
//     servers; sampled at at most maxCurvePoints ranks, the first and the
//     last always among them. nil when the algorithm routed nothing.
//   - util: the histogram of the servers' utilisation (%), as the % of the
//     servers whose utilisation is known in each bin; bins are shared by
//     all algorithms (start + k*width). nil when no server's utilisation
//     is known (someone else's servers, report.Server).
type serverDist struct {
	servers    []int
	share      []plotter.XYs
	util       [][]float64
	binStart   float64
	binWidth   float64
	utilKnown  bool // some algorithm has a server of known utilisation
	anyRequest bool // some algorithm routed a request
}

// serverDists computes the distributions of s's per-server figures.
func serverDists(s *report.Summary) serverDist {
	d := serverDist{
		servers: make([]int, len(s.Algorithms)),
		share:   make([]plotter.XYs, len(s.Algorithms)),
		util:    make([][]float64, len(s.Algorithms)),
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range s.Algorithms {
		a := &s.Algorithms[i]
		n := len(a.Servers)
		d.servers[i] = n
		d.share[i] = shareCurve(a.Servers)
		if d.share[i] != nil {
			d.anyRequest = true
		}
		for _, sv := range a.Servers {
			if u := 100 * sv.Utilization; !math.IsNaN(u) && !math.IsInf(u, 0) {
				lo, hi = math.Min(lo, u), math.Max(hi, u)
			}
		}
	}
	if lo > hi {
		return d
	}
	d.utilKnown = true
	// Bins narrower than a tenth of a point would only show float noise
	// (every server alike is one bin).
	d.binWidth = math.Max(niceUp(math.Max(hi-lo, 1e-9)/maxUtilBins), 0.1)
	d.binStart = math.Floor(lo/d.binWidth) * d.binWidth
	bins := int(math.Floor((hi-d.binStart)/d.binWidth)) + 1
	for i := range s.Algorithms {
		counts := make([]float64, bins)
		known := 0
		for _, sv := range s.Algorithms[i].Servers {
			u := 100 * sv.Utilization
			if math.IsNaN(u) || math.IsInf(u, 0) {
				continue
			}
			b := min(max(int(math.Floor((u-d.binStart)/d.binWidth)), 0), bins-1)
			counts[b]++
			known++
		}
		if known == 0 {
			continue
		}
		for b := range counts {
			counts[b] *= 100 / float64(known)
		}
		d.util[i] = counts
	}
	return d
}

// shareCurve is the sorted share curve of one algorithm's servers (see
// serverDist); nil if they received no request.
func shareCurve(servers []report.Server) plotter.XYs {
	n := len(servers)
	var total float64
	for _, sv := range servers {
		total += float64(sv.Requests)
	}
	if n == 0 || !(total > 0) {
		return nil
	}
	even := total / float64(n)
	rel := make([]float64, n)
	for k, sv := range servers {
		rel[k] = float64(sv.Requests) / even
	}
	slices.Sort(rel)
	slices.Reverse(rel)
	m := min(n, maxCurvePoints)
	pts := make(plotter.XYs, m)
	for j := range pts {
		r := j // every rank
		if m < n {
			// m ranks evenly spread from the first to the last:
			// the curve is monotone, so it stays within a sample's
			// neighbours in between.
			r = int(math.Round(float64(j) * float64(n-1) / float64(m-1)))
		}
		x := 0.0
		if n > 1 {
			x = 100 * float64(r) / float64(n-1)
		}
		pts[j] = plotter.XY{X: x, Y: rel[r]}
	}
	return pts
}

// histSteps is the outline of a histogram of counts in bins start +
// k*width: up and down at every bin edge, from 0 to 0.
func histSteps(counts []float64, start, width float64) plotter.XYs {
	pts := make(plotter.XYs, 0, 2*len(counts)+2)
	pts = append(pts, plotter.XY{X: start, Y: 0})
	for b, c := range counts {
		x0 := start + float64(b)*width
		pts = append(pts, plotter.XY{X: x0, Y: c}, plotter.XY{X: x0 + width, Y: c})
	}
	return append(pts, plotter.XY{X: start + float64(len(counts))*width, Y: 0})
}

// serverDistChart is the servers chart above maxServerMarks servers: the
// sorted share curve of every algorithm with the even share marked (top)
// and the histogram of the servers' utilisation (bottom), each algorithm
// in its colour and Jain's index in the legend, as in the one-mark-per-
// server form.
func serverDistChart(s *report.Summary) chart {
	d := serverDists(s)
	n := serverCount(s)
	leg := newLegend()
	for i := range s.Algorithms {
		look := Style(i)
		leg.add(jainName(&s.Algorithms[i]), lineThumb{look.lineStyle(vg.Points(1.2), false)}, glyphThumb{look.glyphStyle()})
	}
	evenStyle := draw.LineStyle{Color: color.Gray{Y: 90}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	leg.add("even share", lineThumb{evenStyle})
	heading := seedsTitle(s, fmt.Sprintf("requests and utilisation over %d servers", n),
		fmt.Sprintf("curves seed %d, Jain mean ± 95%% CI", s.Seed))
	return chart{
		name: "servers", title: "Requests and utilisation over the servers (distributions)",
		w: 9 * vg.Inch, h: 7 * vg.Inch,
		draw: func(c draw.Canvas) {
			c = frame(c, heading, leg)
			top := sharePanel(d, evenStyle)
			bottom := utilPanel(d)
			ps := [][]*plot.Plot{{top}, {bottom}}
			cs := plot.Align(ps, draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(10)}, c)
			top.Draw(cs[0][0])
			bottom.Draw(cs[1][0])
			if !d.anyRequest {
				message(top.DataCanvas(cs[0][0]), "no requests routed")
			}
			if !d.utilKnown {
				message(bottom.DataCanvas(cs[1][0]), "no histogram: utilisation unknown for servers given by urls (someone else's)")
			}
		},
	}
}

// sharePanel draws the sorted share curves and the even share.
func sharePanel(d serverDist, even draw.LineStyle) *plot.Plot {
	p := newPlot("")
	p.X.Label.Text = "servers ranked by share of requests, most first (% of servers)"
	p.Y.Label.Text = "requests ÷ even share"
	addGrid(p, true, true)
	lo, hi := 1.0, 1.0
	for i, pts := range d.share {
		if len(pts) == 0 {
			continue
		}
		look := Style(i)
		l, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		l.LineStyle = look.lineStyle(vg.Points(1.2), false)
		p.Add(l)
		var marks plotter.XYs
		for g := range curveGlyphs {
			marks = append(marks, pts[g*(len(pts)-1)/(curveGlyphs-1)])
		}
		if sc, err := plotter.NewScatter(marks); err == nil {
			sc.GlyphStyle = look.glyphStyle()
			p.Add(sc)
		}
		// Sorted most first: the first point is the highest, the last the lowest.
		hi, lo = math.Max(hi, pts[0].Y), math.Min(lo, pts[len(pts)-1].Y)
	}
	if l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: 100, Y: 1}}); err == nil {
		l.LineStyle = even
		p.Add(l)
	}
	pad := math.Max(hi-lo, 0.02) * 0.06
	p.X.Min, p.X.Max = 0, 100
	p.Y.Min, p.Y.Max = math.Max(0, lo-pad), hi+pad
	return p
}

// utilPanel draws the histograms of utilisation, one outline each.
func utilPanel(d serverDist) *plot.Plot {
	p := newPlot("")
	p.X.Label.Text = "utilisation (%)"
	p.Y.Label.Text = "servers (%)"
	addGrid(p, false, true)
	hi := 0.0
	bins := 0
	for i, counts := range d.util {
		if counts == nil {
			continue
		}
		bins = len(counts)
		look := Style(i)
		l, err := plotter.NewLine(histSteps(counts, d.binStart, d.binWidth))
		if err != nil {
			continue
		}
		l.LineStyle = look.lineStyle(vg.Points(1.2), false)
		l.FillColor = withAlpha(look.Color, 0.12)
		p.Add(l)
		hi = math.Max(hi, slices.Max(counts))
	}
	if bins == 0 {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 100, 0, 1
		return p
	}
	p.X.Min, p.X.Max = d.binStart, d.binStart+float64(bins)*d.binWidth
	p.Y.Min, p.Y.Max = 0, hi*1.08
	return p
}
