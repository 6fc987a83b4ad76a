package metrics

import (
	"math"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Timeline records latency and errors over time in fixed windows keyed by
// arrival time, for plots of a run as it went (faults, ejections, warm-up).
// Each window keeps a small HDR histogram (2 significant digits, 1µs..1h,
// a few kB), so memory grows with the number of windows, not of requests;
// engines size the width so a run has about report.MaxWindows of them.
type Timeline struct {
	width   time.Duration
	warmup  time.Duration
	windows []timelineWindow
	// the last window used and its bounds: arrivals come in order and
	// completions close behind, so most calls skip the division
	last       int
	start, end time.Duration
}

type timelineWindow struct {
	requests, completed, errors int64
	sum                         float64 // ms
	counts                      []int64 // an HDR histogram's, in µs (timelineGeometry)
}

// timelineHighestUS is the largest latency a window's histogram holds, in µs.
const timelineHighestUS = int64(time.Hour / time.Microsecond)

// NewTimeline returns a timeline of windows of the given width (> 0).
func NewTimeline(width, warmup time.Duration) *Timeline {
	if width <= 0 {
		width = time.Second
	}
	return &Timeline{width: width, warmup: warmup}
}

// TimelineWidth picks a round window width (1, 2 or 5 times a power of ten,
// at least 1ms) near expected/report.MaxWindows.
func TimelineWidth(expected time.Duration) time.Duration {
	target := float64(expected) / report.MaxWindows
	if target < float64(time.Millisecond) {
		return time.Millisecond
	}
	p := math.Pow(10, math.Floor(math.Log10(target)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= target {
			return time.Duration(m * p)
		}
	}
	return time.Duration(10 * p)
}

func (t *Timeline) window(arrival time.Duration) *timelineWindow {
	if arrival >= t.start && arrival < t.end {
		return &t.windows[t.last]
	}
	if arrival < 0 {
		arrival = 0
	}
	i := int(arrival / t.width)
	for len(t.windows) <= i {
		t.windows = append(t.windows, timelineWindow{})
	}
	t.last = i
	t.start = time.Duration(i) * t.width
	t.end = t.start + t.width
	return &t.windows[i]
}

// Arrival counts a request that arrived at the given time.
func (t *Timeline) Arrival(arrival time.Duration) { t.window(arrival).requests++ }

// Complete records the latency of a request that arrived at the given time.
func (t *Timeline) Complete(arrival, latency time.Duration) {
	w := t.window(arrival)
	w.completed++
	w.sum += float64(latency) / 1e6
	if w.counts == nil {
		w.counts = make([]int64, timelineGeometry.n)
	}
	us := int64(latency / time.Microsecond)
	w.counts[timelineGeometry.index(min(max(us, 1), timelineHighestUS))]++
}

// Error counts a request that arrived at the given time and did not complete.
func (t *Timeline) Error(arrival time.Duration) { t.window(arrival).errors++ }

// Report returns the timeline for summary.json; nil for a nil Timeline.
func (t *Timeline) Report() *report.Timeline {
	if t == nil {
		return nil
	}
	out := &report.Timeline{
		WindowMS: float64(t.width) / 1e6,
		WarmupMS: float64(t.warmup) / 1e6,
		Windows:  make([]report.Window, len(t.windows)),
	}
	for i, w := range t.windows {
		r := report.Window{
			StartMS:   float64(time.Duration(i)*t.width) / 1e6,
			Requests:  w.requests,
			Completed: w.completed,
			Errors:    w.errors,
		}
		if w.completed > 0 {
			r.MeanMS = w.sum / float64(w.completed)
			h := timelineGeometry.histogram(w.counts)
			r.P50MS = float64(h.ValueAtQuantile(50)) / 1e3
			r.P99MS = float64(h.ValueAtQuantile(99)) / 1e3
		}
		out.Windows[i] = r
	}
	return out
}
