package plots

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Shades of the spans on over-time charts; light, so the curves stay on top.
var (
	warmupFill   = withAlpha(color.RGBA{0x80, 0x80, 0x80, 0xFF}, 0.22)
	crashFill    = withAlpha(color.RGBA{0xD5, 0x5E, 0x00, 0xFF}, 0.16)
	slowdownFill = withAlpha(color.RGBA{0xE6, 0x9F, 0x00, 0xFF}, 0.22)
	errorsFill   = withAlpha(color.RGBA{0xCC, 0x79, 0xA7, 0xFF}, 0.2)
	otherFill    = withAlpha(color.RGBA{0x56, 0xB4, 0xE9, 0xFF}, 0.16)

	unhealthyLine = draw.LineStyle{Color: color.RGBA{0x88, 0x22, 0x55, 0xFF}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(2)}}
	healthyLine   = draw.LineStyle{Color: color.RGBA{0x11, 0x77, 0x33, 0xFF}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(1.5), vg.Points(1.5)}}
	otherLine     = draw.LineStyle{Color: color.Gray{Y: 80}, Width: vg.Points(0.8)}
)

// maxEventLabels bounds the labels on an over-time chart: a flapping
// server still gets its lines, not a wall of text.
const maxEventLabels = 16

// timelineCharts is (d): for each algorithm with a timeline, p50 and p99
// latency, the offered rate and the error rate per window of arrivals, with
// the warm-up, the faults (crash to recover, slowdown to its end, errors to
// their end) shaded and the balancer's health changes as vertical lines.
func timelineCharts(s *report.Summary) []chart {
	var out []chart
	used := map[string]bool{}
	endMS, endKnown := runEnd(s.ScenarioResolved)
	for i := range s.Algorithms {
		a := &s.Algorithms[i]
		if a.Timeline == nil || len(a.Timeline.Windows) == 0 {
			continue
		}
		name := "timeline-" + report.FileLabel(a.Label)
		if used[name] {
			name = fmt.Sprintf("%s-%d", name, i+1)
		}
		used[name] = true
		look := Style(i)
		heading := title(s, a.Label+": latency, offered rate and errors over time")
		h := 5 * vg.Inch
		if timelineHasHerding(a.Timeline) { // a fourth panel: a taller chart keeps the others' height
			heading = title(s, a.Label+": latency, offered rate, herding and errors over time")
			h = 6.25 * vg.Inch
		}
		out = append(out, chart{
			name: name, title: a.Label + " over time",
			w: 9 * vg.Inch, h: h,
			draw: func(c draw.Canvas) { drawTimeline(c, heading, a, look, endMS, endKnown) },
		})
	}
	return out
}

// marks are a timeline's bands and lines, in seconds.
type marks struct {
	bands []band
	lines []vline
	kinds []string // the legend entries they need, in order of appearance
}

// eventMarks pairs a run's events into spans: a fault's start (crash,
// slowdown, errors) with the next end of the same kind on the same server;
// a span still open at the end runs to endS. Spans of several servers over
// the same times merge into one. Health changes become vertical lines,
// once per moment and server whichever balancer saw them; events of no
// known kind too. It reads the events' typed fields (report.Event.Typed
// fills them in for events that have only words); What is only shown.
func eventMarks(events []report.Event, warmupS, endS float64) marks {
	var m marks
	kind := map[string]bool{}
	need := func(k string) {
		if !kind[k] {
			kind[k] = true
			m.kinds = append(m.kinds, k)
		}
	}
	if warmupS > 0 {
		m.bands = append(m.bands, band{x0: 0, x1: warmupS, fill: warmupFill, label: "warm-up"})
		need("warm-up")
	}

	type open struct {
		at   float64
		what string // the start's words, the span's label
	}
	type spanKey struct {
		x0, x1 float64
		kind   report.EventKind
		what   string
	}
	type serverKind struct {
		server string
		kind   report.EventKind
	}
	opened := map[serverKind]open{}
	var order []spanKey
	servers := map[spanKey][]string{}
	closeSpan := func(k serverKind, at float64) {
		o, ok := opened[k]
		if !ok {
			return
		}
		delete(opened, k)
		sk := spanKey{o.at, at, k.kind, o.what}
		if _, seen := servers[sk]; !seen {
			order = append(order, sk)
		}
		servers[sk] = append(servers[sk], k.server)
	}
	type lineKey struct {
		at     float64
		server string
		kind   report.EventKind
		end    bool
		what   string
	}
	seenLine := map[lineKey]bool{}
	labelled := 0
	var openOrder []serverKind
	for _, e := range events {
		e = e.Typed()
		at := e.AtMS / 1000
		switch e.Kind {
		case report.EventCrash, report.EventSlowdown, report.EventErrors:
			k := serverKind{e.Server, e.Kind}
			if e.End {
				closeSpan(k, at)
				continue
			}
			if _, ok := opened[k]; ok {
				closeSpan(k, at) // a new fault ends the last
			}
			opened[k] = open{at, e.What}
			openOrder = append(openOrder, k)
			continue
		case report.EventLeave: // out of the pool until it (re)joins: a span
			k := serverKind{e.Server, e.Kind}
			if _, ok := opened[k]; !ok {
				opened[k] = open{at, e.What}
				openOrder = append(openOrder, k)
			}
			continue
		case report.EventDrained: // inside the leave's span
			continue
		case report.EventJoin:
			k := serverKind{e.Server, report.EventLeave}
			if _, ok := opened[k]; ok {
				closeSpan(k, at)
				continue
			}
		}
		lk := lineKey{e.AtMS, e.Server, e.Kind, e.End, e.What}
		if seenLine[lk] {
			continue
		}
		seenLine[lk] = true
		l := vline{x: at, style: otherLine}
		switch {
		case e.Kind == report.EventHealth && !e.End:
			l.style = unhealthyLine
			need("marked unhealthy")
		case e.Kind == report.EventHealth:
			l.style = healthyLine
			need("marked healthy")
		default:
			need("other event")
		}
		if labelled < maxEventLabels {
			l.label = e.Server + " " + e.What
			labelled++
		}
		m.lines = append(m.lines, l)
	}
	for _, k := range openOrder { // still open at the end, in order of opening
		if o, ok := opened[k]; ok {
			closeSpan(k, math.Max(endS, o.at))
		}
	}
	sortStable(order, func(a, b spanKey) bool { return a.x0 < b.x0 })
	for _, sk := range order {
		fill := otherFill
		switch sk.kind {
		case report.EventCrash:
			fill = crashFill
		case report.EventSlowdown:
			fill = slowdownFill
		case report.EventErrors:
			fill = errorsFill
		}
		need(string(sk.kind))
		who := servers[sk]
		label := strings.Join(who, ", ")
		if len(who) > 3 {
			label = fmt.Sprintf("%s, %s +%d more", who[0], who[1], len(who)-2)
		}
		m.bands = append(m.bands, band{x0: sk.x0, x1: sk.x1, fill: fill, label: label + " " + sk.what})
	}
	return m
}

// legendFor adds the legend entries of the marks' kinds.
func (m marks) legendFor(leg *legendCol) {
	for _, k := range m.kinds {
		switch k {
		case "warm-up":
			leg.add("warm-up", swatch{warmupFill})
		case "crash":
			leg.add("crash to recover", swatch{crashFill})
		case "slowdown":
			leg.add("slowdown", swatch{slowdownFill})
		case "errors":
			leg.add("injected errors", swatch{errorsFill})
		case string(report.EventLeave):
			leg.add("out of the pool", swatch{otherFill})
		case "marked unhealthy":
			leg.add(k, vlineThumb{unhealthyLine})
		case "marked healthy":
			leg.add(k, vlineThumb{healthyLine})
		default:
			leg.add(k, vlineThumb{otherLine})
		}
	}
}

// noLabels is a ticker that keeps another's ticks but not their labels,
// for the upper of two panels that share an x axis.
type noLabels struct{ plot.Ticker }

func (n noLabels) Ticks(lo, hi float64) []plot.Tick {
	ts := n.Ticker.Ticks(lo, hi)
	for i := range ts {
		ts[i].Label = ""
	}
	return ts
}

// offeredLine is the offered rate's style: a neutral grey, since the
// offered traffic is the scenario's, the same for every algorithm of an
// open-loop run.
var offeredLine = draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(1.2)}

// runEnd reads from a resolved scenario when its arrivals stop: at its
// duration, when the run has one and no request count (which may end it
// sooner). ok is false when that is not known.
func runEnd(resolved any) (endMS float64, ok bool) {
	data, err := json.Marshal(resolved)
	if err != nil {
		return 0, false
	}
	var r struct {
		Requests int64  `json:"requests"`
		Duration string `json:"duration"`
	}
	if json.Unmarshal(data, &r) != nil || r.Requests != 0 {
		return 0, false
	}
	d, err := time.ParseDuration(r.Duration)
	if err != nil || d <= 0 {
		return 0, false
	}
	return float64(d) / float64(time.Millisecond), true
}

// offeredRate is the rate of arrivals in each window of tl, in req/s, at
// the window's middle. A window the run ended in counts over the part of
// it the run covered (up to endMS, if endKnown); when that is not known
// (a run of a request count) the last window, likely cut short, is left
// out rather than drawn as a fall.
func offeredRate(tl *report.Timeline, endMS float64, endKnown bool) plotter.XYs {
	var pts plotter.XYs
	for i, w := range tl.Windows {
		width := tl.WindowMS
		last := i == len(tl.Windows)-1
		switch {
		case endKnown && w.StartMS+width > endMS:
			width = endMS - w.StartMS
		case !endKnown && last && len(tl.Windows) > 1:
			continue
		}
		if !(width > 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: (w.StartMS + width/2) / 1000, Y: float64(w.Requests) / (width / 1000)})
	}
	return pts
}

func drawTimeline(c draw.Canvas, heading string, a *report.Algorithm, look Look, endMS float64, endKnown bool) {
	tl := a.Timeline
	wS := tl.WindowMS / 1000
	last := tl.Windows[len(tl.Windows)-1]
	endS := last.StartMS/1000 + wS
	if !(endS > 0) {
		endS = 1
	}
	m := eventMarks(a.Events, tl.WarmupMS/1000, endS)

	p99Style := look.lineStyle(vg.Points(1.6), false)
	p50Style := look.lineStyle(vg.Points(1), false)
	p50Style.Color = withAlpha(look.Color, 0.5)
	leg := newLegend()
	leg.add("p99", lineThumb{p99Style})
	leg.add("p50", lineThumb{p50Style})
	leg.add("offered rate", lineThumb{offeredLine})
	leg.add("error rate", swatch{withAlpha(look.Color, 0.35)})
	m.legendFor(leg)
	c = frame(c, heading, leg)

	// Latency, split where a window completed nothing.
	lat := newPlot("")
	lat.Y.Label.Text = "latency (ms)"
	addGrid(lat, true, true)
	var segs50, segs99 []plotter.XYs
	var cur50, cur99 plotter.XYs
	lo, hi := math.Inf(1), 0.0
	flush := func() {
		if len(cur50) > 0 {
			segs50 = append(segs50, cur50)
		}
		if len(cur99) > 0 {
			segs99 = append(segs99, cur99)
		}
		cur50, cur99 = nil, nil
	}
	for _, w := range tl.Windows {
		x := (w.StartMS + tl.WindowMS/2) / 1000
		if w.Completed == 0 || !(w.P50MS > 0) || !(w.P99MS > 0) {
			flush()
			continue
		}
		cur50 = append(cur50, plotter.XY{X: x, Y: w.P50MS})
		cur99 = append(cur99, plotter.XY{X: x, Y: w.P99MS})
		lo = math.Min(lo, w.P50MS)
		hi = math.Max(hi, w.P99MS)
	}
	flush()
	tb := &bands{bands: m.bands, lines: m.lines, text: smallText(7.5), rows: 3}
	lat.Add(tb)
	addSegments(lat, segs50, p50Style)
	addSegments(lat, segs99, p99Style)
	if hi > 0 && hi/lo > 20 {
		setLogRange(&lat.Y, lo, hi)
		lat.Y.Label.Text = "latency (ms, log scale)"
	} else {
		lat.Y.Min, lat.Y.Max = 0, math.Max(hi, 1e-3)*1.1
	}
	// Room above the curves for the event labels.
	if lat.Y.Scale == (plot.LogScale{}) {
		lat.Y.Max *= 4
	} else {
		lat.Y.Max *= 1.3
	}

	// Offered rate: the arrivals of each window over its width.
	rate := newPlot("")
	rate.Y.Label.Text = "offered (req/s)"
	addGrid(rate, true, true)
	rate.Add(&bands{bands: m.bands, lines: m.lines})
	maxRate := 0.0
	if pts := offeredRate(tl, endMS, endKnown); len(pts) > 0 {
		for _, p := range pts {
			maxRate = math.Max(maxRate, p.Y)
		}
		addSegments(rate, []plotter.XYs{pts}, offeredLine)
	}
	rate.Y.Min, rate.Y.Max = 0, tickTop(math.Max(1, maxRate*1.05), 3)
	rate.Y.Tick.Marker = linTicks{n: 3}

	// Error rate.
	errs := newPlot("")
	errs.Y.Label.Text = "errors (%)"
	errs.X.Label.Text = "time since start (s), by arrival"
	addGrid(errs, true, true)
	errs.Add(&bands{bands: m.bands, lines: m.lines})
	var pts plotter.XYs
	maxErr := 0.0
	for i := range tl.Windows {
		w := &tl.Windows[i]
		if w.Requests == 0 {
			continue
		}
		r := 100 * w.ErrorRate()
		pts = append(pts, plotter.XY{X: (w.StartMS + tl.WindowMS/2) / 1000, Y: r})
		maxErr = math.Max(maxErr, r)
	}
	if len(pts) > 0 {
		l, err := plotter.NewLine(pts)
		if err == nil {
			l.LineStyle = look.lineStyle(vg.Points(1), false)
			l.FillColor = withAlpha(look.Color, 0.35)
			errs.Add(l)
		}
	}
	errs.Y.Min, errs.Y.Max = 0, math.Min(100, tickTop(math.Max(1, maxErr*1.15), 3))
	errs.Y.Tick.Marker = linTicks{n: 3} // a short panel

	// Three aligned panels, their data areas half the height for the
	// latency and a quarter each for the offered rate and the errors
	// (the bottom panel's canvas also holds the time axis); with load
	// information, a fourth for the herding index above the errors.
	ps := []*plot.Plot{lat, rate, errs}
	share := []float64{0.5, 0.25, 0.25}
	if herd := herdingPanel(tl, m, look); herd != nil {
		ps = []*plot.Plot{lat, rate, herd, errs}
		share = []float64{0.4, 0.2, 0.2, 0.2}
	}
	for _, p := range ps {
		p.X.Min, p.X.Max = 0, endS
	}
	rows := make([][]*plot.Plot, len(ps))
	for i, p := range ps {
		rows[i] = []*plot.Plot{p}
		if i < len(ps)-1 {
			p.X.Tick.Marker = noLabels{linTicks{}}
		}
	}
	cs := plot.Align(rows, draw.Tiles{Rows: len(ps), Cols: 1, PadY: vg.Points(4)}, c)
	gap := cs[0][0].Min.Y - cs[1][0].Max.Y
	top, bottom := cs[0][0].Max.Y, cs[len(ps)-1][0].Min.Y
	// How much a canvas holds beyond its data area (axes, tick labels
	// that stick out) depends a little on its height: settle it in a few
	// rounds.
	for range 3 {
		over := make([]vg.Length, len(ps))
		data := top - bottom - vg.Length(len(ps)-1)*gap
		for i, p := range ps {
			dc := p.DataCanvas(cs[i][0])
			over[i] = (cs[i][0].Max.Y - cs[i][0].Min.Y) - (dc.Max.Y - dc.Min.Y)
			data -= over[i]
		}
		data = max(data, 0)
		y := top
		for i := range ps {
			cs[i][0].Max.Y = y
			cs[i][0].Min.Y = y - over[i] - data*vg.Length(share[i])
			y = cs[i][0].Min.Y - gap
		}
	}
	for i, p := range ps {
		p.Draw(cs[i][0])
	}
	if len(segs99) == 0 {
		message(lat.DataCanvas(cs[0][0]), "no completed requests")
	}
}

// timelineHasHerding reports whether a window of tl has a herding index.
func timelineHasHerding(tl *report.Timeline) bool {
	for _, w := range tl.Windows {
		if w.Herding > 0 {
			return true
		}
	}
	return false
}

// herdingPanel draws the windows' herding index (report.Window.Herding,
// set when the scenario has load information), with 1, an even spread,
// as the floor of its axis; nil when no window has one.
func herdingPanel(tl *report.Timeline, m marks, look Look) *plot.Plot {
	var pts plotter.XYs
	top := 1.0
	for _, w := range tl.Windows {
		if w.Herding > 0 {
			pts = append(pts, plotter.XY{X: (w.StartMS + tl.WindowMS/2) / 1000, Y: w.Herding})
			top = math.Max(top, w.Herding)
		}
	}
	if len(pts) == 0 {
		return nil
	}
	p := newPlot("")
	p.Y.Label.Text = "herding"
	addGrid(p, true, true)
	p.Add(&bands{bands: m.bands, lines: m.lines})
	addSegments(p, []plotter.XYs{pts}, look.lineStyle(vg.Points(1), false))
	p.Y.Min, p.Y.Max = 0, tickTop(top*1.05, 3)
	p.Y.Tick.Marker = linTicks{n: 3}
	return p
}

// tickTop is the first labelled tick of linTicks{n} at or above m > 0 on
// an axis from 0 to it: an axis ending there ends on a label, so that its
// top label sticks out of the panel by the same length whatever the
// panel's height (which the panels' layout relies on).
func tickTop(m float64, n int) float64 {
	step := niceUp(m / float64(n))
	// m <= n x step, so the top is at most n steps up and linTicks{n}
	// picks the same step for [0, top].
	return math.Ceil(m/step-1e-9) * step
}

// addSegments adds one line per segment, all in one style.
func addSegments(p *plot.Plot, segs []plotter.XYs, style draw.LineStyle) {
	for _, seg := range segs {
		if len(seg) == 1 { // a lone window: a dot, not an invisible line
			sc, err := plotter.NewScatter(seg)
			if err == nil {
				sc.GlyphStyle = draw.GlyphStyle{Color: style.Color, Radius: style.Width, Shape: draw.CircleGlyph{}}
				p.Add(sc)
			}
			continue
		}
		l, err := plotter.NewLine(seg)
		if err != nil {
			continue
		}
		l.LineStyle = style
		p.Add(l)
	}
}
