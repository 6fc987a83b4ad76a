// Package metrics holds the streaming statistics both engines record while a
// run goes on: a latency histogram (Latency), batch means for the confidence
// interval of a mean over a correlated series (BatchMeans), and the fairness
// of a spread of requests over servers (Fairness). Their memory does not grow
// with the number of requests.
//
// None of the types is safe for concurrent use: give each goroutine its own
// and Merge them, or lock around them.
package metrics

import (
	"math/bits"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/fulcrum-lb/fulcrum/report"
)

// The histogram's range and precision (DESIGN.md §4): 1 ns to 1 h at 3
// significant digits, i.e. every recorded value is reported within 0.1%.
const (
	LatencyLowest  = time.Nanosecond
	LatencyHighest = time.Hour
	LatencyDigits  = 3
)

// Latency records durations in an HDR histogram of nanoseconds for the
// quantiles, and exactly their count, sum and maximum for the mean and max.
// The zero value is not usable; call NewLatency. It takes about 270 kB
// whatever the number of values.
type Latency struct {
	counts     []int64                 // the HDR histogram's counts (latencyGeometry)
	h          *hdrhistogram.Histogram // built from counts when read; nil when stale
	count      int64
	sumHi      uint64 // the exact sum of recorded ns, as a 128-bit integer
	sumLo      uint64
	max        time.Duration
	outOfRange int64
}

// NewLatency returns an empty Latency.
func NewLatency() *Latency {
	return &Latency{counts: make([]int64, latencyGeometry.n)}
}

// hist is the histogram of the recorded durations, built when first read
// after a change.
func (l *Latency) hist() *hdrhistogram.Histogram {
	if l.h == nil {
		l.h = latencyGeometry.histogram(l.counts)
	}
	return l.h
}

// Record adds one duration. A negative one counts as 0 and one above
// LatencyHighest goes into the histogram as LatencyHighest; both are counted
// by OutOfRange. The count, sum (hence Mean) and Max use the duration as
// given (negatives as 0). Record does not allocate.
func (l *Latency) Record(d time.Duration) {
	if d < 0 {
		d = 0
		l.outOfRange++
	}
	v := d
	if v > LatencyHighest {
		v = LatencyHighest
		l.outOfRange++
	}
	// v is in range, so its index is too.
	l.counts[latencyGeometry.index(int64(v))]++
	l.h = nil
	l.count++
	var c uint64
	l.sumLo, c = bits.Add64(l.sumLo, uint64(d), 0)
	l.sumHi += c
	if d > l.max {
		l.max = d
	}
}

// Count is the number of recorded durations.
func (l *Latency) Count() int64 { return l.count }

// OutOfRange is how many recorded durations were negative or above
// LatencyHighest; the histogram's quantiles saw them clamped.
func (l *Latency) OutOfRange() int64 { return l.outOfRange }

// Mean is the exact mean of the recorded durations in seconds; 0 if none.
func (l *Latency) Mean() float64 { return l.meanNs() / 1e9 }

func (l *Latency) meanNs() float64 {
	if l.count == 0 {
		return 0
	}
	// sumHi*2^64 + sumLo, in float64.
	sum := float64(l.sumHi)*(1<<64) + float64(l.sumLo)
	return sum / float64(l.count)
}

// Max is the exact largest recorded duration; 0 if none.
func (l *Latency) Max() time.Duration { return l.max }

// Quantile is the q-quantile of the recorded durations for q in [0, 1]
// (q = 0.5 is the median, 0.999 p99.9): the smallest recorded value v, up to
// the histogram's 0.1% precision, such that a fraction q of the values are
// <= v. It reports the top of v's histogram bucket, capped at Max, so
// Quantile(1) == Max. 0 if nothing was recorded; q outside [0, 1] is clamped.
func (l *Latency) Quantile(q float64) time.Duration {
	if l.count == 0 {
		return 0
	}
	v := time.Duration(l.hist().ValueAtQuantile(q * 100)) // hdrhistogram takes a percentile
	if v > l.max {
		v = l.max
	}
	return v
}

// QuantileGrid is the distribution of the recorded durations as n
// quantiles in milliseconds, the shape of report.Algorithm.LatencyQuantiles:
// element i is Quantile(p) at p = (i+0.5)/n. nil if nothing was recorded
// or n < 1.
func (l *Latency) QuantileGrid(n int) []float64 {
	if l.count == 0 || n < 1 {
		return nil
	}
	grid := make([]float64, n)
	for i := range grid {
		grid[i] = ms(l.Quantile((float64(i) + 0.5) / float64(n)))
	}
	return grid
}

// Histogram is a copy of l's HDR histogram of the recorded durations, in
// nanoseconds (LatencyLowest to LatencyHighest, LatencyDigits significant
// digits), with out-of-range durations clamped as Record says; its tag and
// start and end times are unset. It is what HdrHistogram's tools read, e.g.
// written with hdrhistogram.HistogramLogWriter, and l is unchanged by what
// is done to it.
func (l *Latency) Histogram() *hdrhistogram.Histogram {
	return latencyGeometry.histogram(l.counts) // a copy
}

// Merge adds other's durations to l. other is unchanged.
func (l *Latency) Merge(other *Latency) {
	for i, n := range other.counts { // same geometry
		l.counts[i] += n
	}
	l.h = nil
	l.count += other.count
	var c uint64
	l.sumLo, c = bits.Add64(l.sumLo, other.sumLo, 0)
	l.sumHi += other.sumHi + c
	if other.max > l.max {
		l.max = other.max
	}
	l.outOfRange += other.outOfRange
}

// Reset empties l, keeping its memory.
func (l *Latency) Reset() {
	clear(l.counts)
	l.h = nil
	l.count, l.sumHi, l.sumLo, l.max, l.outOfRange = 0, 0, 0, 0, 0
}

// Summary is l in summary.json's shape, in milliseconds: the exact mean and
// max, and p50, p90, p99 and p99.9 from the histogram. MeanCI95 is left 0 for
// the caller (see BatchMeans).
func (l *Latency) Summary() report.Latency {
	return report.Latency{
		Mean: l.meanNs() / 1e6,
		P50:  ms(l.Quantile(0.5)),
		P90:  ms(l.Quantile(0.9)),
		P99:  ms(l.Quantile(0.99)),
		P999: ms(l.Quantile(0.999)),
		Max:  ms(l.max),
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
