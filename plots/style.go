package plots

import (
	"image/color"

	xfont "golang.org/x/image/font"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Look is how one algorithm is drawn in every chart: its colour, the glyph
// that marks its points and its name in legends.
type Look struct {
	Color color.RGBA
	Glyph draw.GlyphDrawer
}

// palette is Okabe and Ito's colour-blind-safe set ("Color Universal
// Design", 2002) without its yellow, which is too pale on white, ordered so
// that neighbours differ in hue and lightness.
var palette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0x00, 0x00, 0x00, 0xFF}, // black
}

// glyphs has a length prime to len(palette), so that (colour, glyph) pairs
// repeat only after len(palette)*len(glyphs) = 42 algorithms.
var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{},
	draw.BoxGlyph{},
	draw.PyramidGlyph{},
	draw.CrossGlyph{},
	draw.RingGlyph{},
	draw.PlusGlyph{},
}

// Style returns the look of the algorithm at index i of a summary (or of a
// sweep's labels): a colour from a colour-blind-safe palette and a glyph,
// both cycling, so that the same algorithm looks the same in every chart.
func Style(i int) Look {
	if i < 0 {
		i = -i
	}
	return Look{Color: palette[i%len(palette)], Glyph: glyphs[i%len(glyphs)]}
}

// glyphStyle is the look's glyph at the usual size.
func (l Look) glyphStyle() draw.GlyphStyle {
	return draw.GlyphStyle{Color: l.Color, Radius: vg.Points(3.5), Shape: l.Glyph}
}

// lineStyle is a line in the look's colour; dashed for the second engine of
// an overlay and for theory.
func (l Look) lineStyle(width vg.Length, dashed bool) draw.LineStyle {
	s := draw.LineStyle{Color: l.Color, Width: width}
	if dashed {
		s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return s
}

// withAlpha returns c with its opacity set to a (0-1), premultiplied as
// color.RGBA wants.
func withAlpha(c color.RGBA, a float64) color.RGBA {
	return color.RGBA{
		R: uint8(float64(c.R) * a), G: uint8(float64(c.G) * a), B: uint8(float64(c.B) * a),
		A: uint8(255 * a),
	}
}

// Fonts: Liberation Sans (metrically Arial) reads better than the default
// serif at small sizes.
var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

func textStyle(f font.Font, size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(f, size),
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot with the house style: sans-serif text, a light
// grid, the title on top.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansBold, 11)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 10)
		a.Tick.Label.Font = font.From(sans, 9)
		a.Padding = vg.Points(2)
		a.Tick.Marker = linTicks{}
	}
	p.Legend.TextStyle.Font = font.From(sans, 9)
	p.Legend.ThumbnailWidth = vg.Points(22)
	return p
}

// addGrid adds light grid lines; vertical or horizontal ones may be left
// out (nil) for bar charts.
func addGrid(p *plot.Plot, vertical, horizontal bool) {
	g := plotter.NewGrid()
	light := draw.LineStyle{Color: color.Gray{Y: 225}, Width: vg.Points(0.5)}
	g.Vertical, g.Horizontal = light, light
	if !vertical {
		g.Vertical.Color = nil
	}
	if !horizontal {
		g.Horizontal.Color = nil
	}
	p.Add(g)
}
