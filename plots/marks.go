package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// rect is a filled rectangle in data coordinates (a bar).
type rect struct {
	x0, x1, y0, y1 float64
	fill           color.Color
}

// rects draws filled rectangles in data coordinates; gonum's BarChart
// sizes bars in absolute lengths, which grouped bars make awkward.
type rects []rect

func (rs rects) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, r := range rs {
		x0, x1, y0, y1 := trX(r.x0), trX(r.x1), trY(r.y0), trY(r.y1)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(r.fill, c.ClipPolygonXY(pts))
	}
}

func (rs rects) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, r := range rs {
		xmin = math.Min(xmin, math.Min(r.x0, r.x1))
		xmax = math.Max(xmax, math.Max(r.x0, r.x1))
		ymin = math.Min(ymin, math.Min(r.y0, r.y1))
		ymax = math.Max(ymax, math.Max(r.y0, r.y1))
	}
	return xmin, xmax, ymin, ymax
}

// labelBox is the backing of labels drawn over bands and lines.
var labelBox = withAlpha(color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}, 0.8)

// band is a span of the x axis shaded over the whole height of a panel,
// with an optional label along its top.
type band struct {
	x0, x1 float64
	fill   color.Color
	label  string
}

// vline is a vertical marker over the whole height of a panel, with an
// optional label beside its top.
type vline struct {
	x     float64
	style draw.LineStyle
	label string
}

// bands draws bands and vertical lines in data x and panel-relative y: they
// span the panel whatever the y range, and take no part in it. Labels are
// set in rows along the top so that they never overlap: each goes to the
// first row where it clears the previous label; one that fits no row is
// left out (the band or line is still drawn).
type bands struct {
	bands []band
	lines []vline
	text  text.Style // nil Handler: no labels
	rows  int
}

func (b *bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, s := range b.bands {
		x0, x1 := trX(s.x0), trX(s.x1)
		if x1-x0 < vg.Points(1) { // a very short span still shows
			x1 = x0 + vg.Points(1)
		}
		pts := []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}}
		c.FillPolygon(s.fill, c.ClipPolygonX(pts))
	}
	for _, l := range b.lines {
		x := trX(l.x)
		if x < c.Min.X || x > c.Max.X {
			continue
		}
		c.StrokeLine2(l.style, x, c.Min.Y, x, c.Max.Y)
	}
	if b.text.Handler == nil || b.rows == 0 {
		return
	}
	rowEnd := make([]vg.Length, b.rows)
	for i := range rowEnd {
		rowEnd[i] = c.Min.X - 1e9
	}
	h := b.text.Height("M") * 1.25
	pad := vg.Points(2)
	place := func(x vg.Length, label string) {
		if label == "" || x < c.Min.X-pad || x > c.Max.X {
			return
		}
		w := b.text.Width(label)
		if x+pad+w > c.Max.X { // keep it inside the panel
			x = c.Max.X - w - 2*pad
		}
		for r := range rowEnd {
			if x+pad > rowEnd[r] {
				pt := vg.Point{X: x + pad, Y: c.Max.Y - vg.Length(r+1)*h}
				// A light box behind the text keeps it readable over lines.
				d := b.text.FontExtents().Descent
				box := []vg.Point{
					{X: pt.X - 1, Y: pt.Y - d}, {X: pt.X + w + 1, Y: pt.Y - d},
					{X: pt.X + w + 1, Y: pt.Y + h - d}, {X: pt.X - 1, Y: pt.Y + h - d},
				}
				c.FillPolygon(labelBox, box)
				c.FillText(b.text, pt, label)
				rowEnd[r] = x + pad + w + pad
				return
			}
		}
	}
	// Bands and lines together, left to right, so rows fill in order.
	type item struct {
		x     vg.Length
		label string
	}
	var items []item
	for _, s := range b.bands {
		items = append(items, item{trX(s.x0), s.label})
	}
	for _, l := range b.lines {
		items = append(items, item{trX(l.x), l.label})
	}
	sortStable(items, func(a, b item) bool { return a.x < b.x })
	for _, it := range items {
		place(it.x, it.label)
	}
}

// sortStable is an insertion sort: the lists are short, and equal keys keep
// their order so that output is deterministic.
func sortStable[T any](s []T, less func(a, b T) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// swatch is a legend thumbnail: a filled square.
type swatch struct{ fill color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	h := c.Max.Y - c.Min.Y
	x0 := c.Min.X + (c.Max.X-c.Min.X-h)/2
	pts := []vg.Point{{X: x0, Y: c.Min.Y}, {X: x0 + h, Y: c.Min.Y}, {X: x0 + h, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}}
	c.FillPolygon(s.fill, pts)
}

// lineThumb is a legend thumbnail: a horizontal line.
type lineThumb struct{ style draw.LineStyle }

func (l lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.style, c.Min.X, y, c.Max.X, y)
}

// vlineThumb is a legend thumbnail: a short vertical line.
type vlineThumb struct{ style draw.LineStyle }

func (l vlineThumb) Thumbnail(c *draw.Canvas) {
	x := c.Center().X
	c.StrokeLine2(l.style, x, c.Min.Y, x, c.Max.Y)
}

// glyphThumb is a legend thumbnail: one glyph in the middle.
type glyphThumb struct{ style draw.GlyphStyle }

func (g glyphThumb) Thumbnail(c *draw.Canvas) {
	c.DrawGlyphNoClip(g.style, c.Center())
}

// texts draws labels at data coordinates, offset in points.
type texts struct {
	items []textItem
	style text.Style
}

type textItem struct {
	x, y   float64
	dx, dy vg.Length
	label  string
}

func (t texts) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, it := range t.items {
		pt := vg.Point{X: trX(it.x) + it.dx, Y: trY(it.y) + it.dy}
		if !c.Contains(pt) {
			continue
		}
		c.FillText(t.style, pt, it.label)
	}
}
