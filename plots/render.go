// Package plots draws a run's charts with gonum/plot (DESIGN.md §5): the
// latency CDF, the percentiles per algorithm, each server's share of
// requests and utilisation, latency, offered rate and errors over time
// with the faults marked, and for a sweep latency against the swept
// parameter. Every chart
// is written as PNG and SVG; an algorithm has the same colour and glyph
// (Style) in all of them. The same summary always gives the same bytes.
package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/fulcrum-lb/fulcrum/report"
)

// PNGDPI is the resolution of the PNG files: 1.5 pixels per CSS pixel, sharp
// enough on most screens at a fraction of the size of 2x.
const PNGDPI = 144

// Chart is one rendered chart.
type Chart struct {
	Name   string    // file name without extension: "cdf", "timeline-p2c", ...
	Title  string    // what it shows, for report.html
	Width  vg.Length // drawn size; report.html shows it at this size
	Height vg.Length
	SVG    []byte
	PNG    []byte
}

// Files returns the chart's file names: Name.png and Name.svg.
func (c Chart) Files() []string { return []string{c.Name + ".png", c.Name + ".svg"} }

// Figure returns the chart as report.html embeds it.
func (c Chart) Figure() report.Figure {
	return report.Figure{
		Name:   c.Name,
		Title:  c.Title,
		PNG:    c.PNG,
		Width:  int(c.Width.Points()*96/72 + 0.5),
		Height: int(c.Height.Points()*96/72 + 0.5),
	}
}

// chart is a chart to render: draw draws it on a canvas of size w x h.
type chart struct {
	name, title string
	w, h        vg.Length
	draw        func(c draw.Canvas)
}

// Render draws every chart of s: the latency CDF, the percentiles, the
// servers, and one over-time chart per algorithm with a timeline. If other
// is not nil (the same scenario on the other engine, e.g. the simulator's
// prediction of a real run), Render adds after the CDF one of the two
// overlaid, s solid and other dashed.
func Render(s, other *report.Summary) ([]Chart, error) {
	if s == nil {
		return nil, fmt.Errorf("plots: nil summary")
	}
	return renderAll(summaryCharts(s, other), true, 0)
}

// summaryCharts lists the charts Render draws, in order.
func summaryCharts(s, other *report.Summary) []chart {
	cs := []chart{cdfChart(s)}
	if other != nil {
		cs = append(cs, overlayChart(s, other))
	}
	cs = append(cs, percentilesChart(s), serversChart(s))
	return append(cs, timelineCharts(s)...)
}

// renderAll renders charts in parallel, par at once (0: one per core), as
// SVG and, if withPNG, as PNG too; the result is in the order given. After a failure
// the charts after it not yet started are skipped; the error is that of
// the first chart, in the order given, that failed.
func renderAll(cs []chart, withPNG bool, par int) ([]Chart, error) {
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	out := make([]Chart, len(cs))
	errs := make([]error, len(cs))
	// firstFailed is the lowest index of a chart that failed so far: a
	// chart after it is not drawn (its result would be thrown away), one
	// before it still is, so that the error reported is always that of
	// the first failing chart in the order given, whichever goroutine
	// failed first.
	var firstFailed atomic.Int64
	firstFailed.Store(int64(len(cs)))
	var g errgroup.Group
	g.SetLimit(par)
	for i := range cs {
		g.Go(func() error {
			if int64(i) > firstFailed.Load() {
				return nil
			}
			out[i], errs[i] = render(cs[i], withPNG)
			if errs[i] != nil {
				for {
					f := firstFailed.Load()
					if int64(i) >= f || firstFailed.CompareAndSwap(f, int64(i)) {
						break
					}
				}
			}
			return errs[i]
		})
	}
	if g.Wait() != nil {
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// render draws c as SVG and, if withPNG, as PNG. gonum/plot panics on
// data it cannot draw; render turns that into an error, so that a chart
// never takes a run's results down with it.
func render(c chart, withPNG bool) (out Chart, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: drawing %s: %v", c.name, r)
		}
	}()
	out = Chart{Name: c.name, Title: c.title, Width: c.w, Height: c.h}

	svg := vgsvg.New(c.w, c.h)
	c.draw(draw.New(svg))
	var buf bytes.Buffer
	if _, err := svg.WriteTo(&buf); err != nil {
		return Chart{}, fmt.Errorf("plots: %s.svg: %w", c.name, err)
	}
	out.SVG = buf.Bytes()
	if !withPNG {
		return out, nil
	}

	img := vgimg.NewWith(vgimg.UseWH(c.w, c.h), vgimg.UseDPI(PNGDPI), vgimg.UseBackgroundColor(color.White))
	c.draw(draw.New(img))
	var pbuf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&pbuf, img.Image()); err != nil {
		return Chart{}, fmt.Errorf("plots: %s.png: %w", c.name, err)
	}
	out.PNG = pbuf.Bytes()
	return out, nil
}
