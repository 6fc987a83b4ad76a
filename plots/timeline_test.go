package plots

import (
	"math"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/fulcrum-lb/fulcrum/report"
)

func TestRunEnd(t *testing.T) {
	for _, c := range []struct {
		name     string
		resolved any
		end      float64
		ok       bool
	}{
		{"duration only", map[string]any{"requests": 0, "duration": "1m0s"}, 60000, true},
		{"no requests key", map[string]any{"duration": "1.5s"}, 1500, true},
		{"request count", map[string]any{"requests": 5000, "duration": "0s"}, 0, false},
		{"both", map[string]any{"requests": 5000, "duration": "10s"}, 0, false},
		{"no duration", map[string]any{"requests": 0, "duration": "0s"}, 0, false},
		{"bad duration", map[string]any{"duration": "soon"}, 0, false},
		{"nil", nil, 0, false},
		{"unencodable", map[string]any{"x": func() {}}, 0, false},
	} {
		end, ok := runEnd(c.resolved)
		if end != c.end || ok != c.ok {
			t.Errorf("%s: runEnd = %v, %v; want %v, %v", c.name, end, ok, c.end, c.ok)
		}
	}
}

// offeredRate counts each window's arrivals over its width; the window the
// run ended in over the part it covered, or not at all when the end is not
// known.
func TestOfferedRate(t *testing.T) {
	tl := &report.Timeline{WindowMS: 500, Windows: []report.Window{
		{StartMS: 0, Requests: 100},
		{StartMS: 500, Requests: 0}, // an off period: a true zero
		{StartMS: 1000, Requests: 250},
		{StartMS: 1500, Requests: 30},
	}}
	near := func(got, want plotter.XYs) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if math.Abs(got[i].X-want[i].X) > 1e-9 || math.Abs(got[i].Y-want[i].Y) > 1e-9 {
				return false
			}
		}
		return true
	}
	for _, c := range []struct {
		name     string
		endMS    float64
		endKnown bool
		want     plotter.XYs
	}{
		{"whole windows", 2000, true, plotter.XYs{{X: 0.25, Y: 200}, {X: 0.75, Y: 0}, {X: 1.25, Y: 500}, {X: 1.75, Y: 60}}},
		{"last window cut short", 1600, true, plotter.XYs{{X: 0.25, Y: 200}, {X: 0.75, Y: 0}, {X: 1.25, Y: 500}, {X: 1.55, Y: 300}}},
		{"end not known", 0, false, plotter.XYs{{X: 0.25, Y: 200}, {X: 0.75, Y: 0}, {X: 1.25, Y: 500}}},
	} {
		if got := offeredRate(tl, c.endMS, c.endKnown); !near(got, c.want) {
			t.Errorf("%s: offeredRate = %v, want %v", c.name, got, c.want)
		}
	}
	// One window, end not known: it is all there is, so it stays.
	one := &report.Timeline{WindowMS: 100, Windows: []report.Window{{Requests: 7}}}
	if got := offeredRate(one, 0, false); !near(got, plotter.XYs{{X: 0.05, Y: 70}}) {
		t.Errorf("one window: offeredRate = %v", got)
	}
	// A window that begins at or after the end (arrivals stamped at the
	// very end) has no width: left out.
	if got := offeredRate(tl, 1500, true); len(got) != 3 {
		t.Errorf("end at a window's start: offeredRate = %v, want 3 points", got)
	}
}

// tickTop ends an axis on a labelled tick of linTicks.
func TestTickTop(t *testing.T) {
	for _, m := range []float64{1, 1.05, 7, 99, 210, 1060, 1600, 2999, 3000, 45678} {
		top := tickTop(m, 3)
		if top < m {
			t.Errorf("tickTop(%v) = %v, below m", m, top)
		}
		ticks := linTicks{n: 3}.Ticks(0, top)
		last := ticks[len(ticks)-1]
		if math.Abs(last.Value-top) > 1e-9*top || last.Label == "" {
			t.Errorf("tickTop(%v) = %v, but linTicks' last tick is %+v", m, top, last)
		}
	}
}
