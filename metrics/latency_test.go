package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
)

// hdrRelErr is the histogram's worst relative bucket width at 3 significant
// digits: 2048 sub-buckets per power of two, of which the upper 1024 are
// used, so 1/1024.
const hdrRelErr = 1.0 / 1024

func expSample(seed uint64, n int, mean time.Duration) []time.Duration {
	r := rand.New(rand.NewPCG(seed, 0))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(r.ExpFloat64() * float64(mean))
	}
	return out
}

// TestLatencyQuantiles compares the histogram's quantiles with the exact
// order statistics of a seeded sample: each is the top of the bucket that
// holds the exact one, so exact <= got <= exact (1 + 1/1024) + 1ns.
func TestLatencyQuantiles(t *testing.T) {
	xs := expSample(1, 200_000, 10*time.Millisecond)
	l := NewLatency()
	var sum int64
	for _, x := range xs {
		l.Record(x)
		sum += int64(x)
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	n := len(sorted)
	for _, q := range []float64{0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1} {
		// hdrhistogram's rank: round(q N), at least 1.
		rank := max(1, int(q*float64(n)+0.5))
		exact := sorted[rank-1]
		got := l.Quantile(q)
		if q == 0 {
			// The bottom of the lowest bucket.
			if got > exact || float64(got) < float64(exact)*(1-hdrRelErr)-1 {
				t.Errorf("Quantile(0) = %v, min %v", got, exact)
			}
			continue
		}
		if got < exact || float64(got) > float64(exact)*(1+hdrRelErr)+1 {
			t.Errorf("Quantile(%v) = %v, exact %v", q, got, exact)
		}
	}
	if l.Quantile(1) != sorted[n-1] || l.Max() != sorted[n-1] {
		t.Errorf("Quantile(1) = %v, Max() = %v, want %v", l.Quantile(1), l.Max(), sorted[n-1])
	}
	if want := float64(sum) / float64(n) / 1e9; l.Mean() != want {
		t.Errorf("Mean() = %v, want exactly %v", l.Mean(), want)
	}
	if l.Count() != int64(n) || l.OutOfRange() != 0 {
		t.Errorf("Count() = %d, OutOfRange() = %d", l.Count(), l.OutOfRange())
	}
}

func TestLatencyOutOfRange(t *testing.T) {
	l := NewLatency()
	l.Record(-5)
	l.Record(2 * time.Hour)
	l.Record(time.Millisecond)
	if l.Count() != 3 || l.OutOfRange() != 2 {
		t.Fatalf("Count() = %d, OutOfRange() = %d, want 3, 2", l.Count(), l.OutOfRange())
	}
	if l.Max() != 2*time.Hour {
		t.Errorf("Max() = %v, want the exact 2h", l.Max())
	}
	if want := (2*time.Hour + time.Millisecond).Seconds() / 3; math.Abs(l.Mean()-want) > 1e-12 {
		t.Errorf("Mean() = %v, want %v (negative counted as 0, 2h exactly)", l.Mean(), want)
	}
	if q := l.Quantile(0.9); q < time.Hour || float64(q) > float64(time.Hour)*(1+hdrRelErr) {
		t.Errorf("Quantile(0.9) = %v, want 1h clamped", q)
	}
	if q := l.Quantile(0); q != 0 {
		t.Errorf("Quantile(0) = %v, want 0", q)
	}
}

// The sum is a 128-bit integer: 2^62 ns (146 years) eight times does not overflow.
func TestLatencyHugeSum(t *testing.T) {
	l := NewLatency()
	for range 8 {
		l.Record(1 << 62)
	}
	if want := float64(int64(1)<<62) / 1e9; math.Abs(l.Mean()-want) > 1e-12*want {
		t.Errorf("Mean() = %v, want %v", l.Mean(), want)
	}
}

// TestLatencyQuantileGrid checks the grid against Quantile at the cell
// midpoints, in ms, and that an empty Latency has no grid.
func TestLatencyQuantileGrid(t *testing.T) {
	l := NewLatency()
	if g := l.QuantileGrid(report.QuantileGrid); g != nil {
		t.Errorf("empty Latency: grid %v, want nil", g)
	}
	for _, x := range expSample(2, 10_000, 10*time.Millisecond) {
		l.Record(x)
	}
	if g := l.QuantileGrid(0); g != nil {
		t.Errorf("QuantileGrid(0) = %v, want nil", g)
	}
	for _, n := range []int{1, 4, report.QuantileGrid} {
		g := l.QuantileGrid(n)
		if len(g) != n || !slices.IsSorted(g) {
			t.Errorf("QuantileGrid(%d): %d points, sorted %v", n, len(g), slices.IsSorted(g))
			continue
		}
		for i, v := range g {
			p := (float64(i) + 0.5) / float64(n)
			if want := float64(l.Quantile(p)) / 1e6; v != want {
				t.Errorf("QuantileGrid(%d)[%d] = %v, want Quantile(%v) = %v ms", n, i, v, p, want)
			}
		}
	}
}

func TestLatencyEmpty(t *testing.T) {
	l := NewLatency()
	if l.Count() != 0 || l.Mean() != 0 || l.Max() != 0 || l.Quantile(0.5) != 0 {
		t.Errorf("empty Latency: %d %v %v %v", l.Count(), l.Mean(), l.Max(), l.Quantile(0.5))
	}
	if s := l.Summary(); s != (report.Latency{}) {
		t.Errorf("empty Summary() = %+v", s)
	}
}

func TestLatencyMerge(t *testing.T) {
	xs := expSample(2, 50_000, time.Millisecond)
	whole, a, b := NewLatency(), NewLatency(), NewLatency()
	for i, x := range xs {
		whole.Record(x)
		if i%3 == 0 {
			a.Record(x)
		} else {
			b.Record(x)
		}
	}
	b.Record(3 * time.Hour)
	whole.Record(3 * time.Hour)
	a.Merge(b)
	if a.Count() != whole.Count() || a.Max() != whole.Max() || a.OutOfRange() != whole.OutOfRange() {
		t.Errorf("merged count/max/out = %d %v %d, want %d %v %d",
			a.Count(), a.Max(), a.OutOfRange(), whole.Count(), whole.Max(), whole.OutOfRange())
	}
	if math.Abs(a.Mean()-whole.Mean()) > 1e-15*whole.Mean() {
		t.Errorf("merged Mean() = %v, want %v", a.Mean(), whole.Mean())
	}
	if a.Summary() != whole.Summary() {
		t.Errorf("merged Summary() = %+v, want %+v", a.Summary(), whole.Summary())
	}
	a.Reset()
	if a.Count() != 0 || a.Quantile(0.5) != 0 || a.Max() != 0 {
		t.Error("Reset did not empty the Latency")
	}
}

func TestLatencySummary(t *testing.T) {
	l := NewLatency()
	for i := 1; i <= 1000; i++ {
		l.Record(time.Duration(i) * time.Millisecond)
	}
	s := l.Summary()
	// ranks 500, 900, 990, 999; each within the bucket precision above.
	near := func(got, want float64) bool { return got >= want && got <= want*(1+hdrRelErr) }
	if s.Mean != 500.5 || s.Max != 1000 || !near(s.P50, 500) || !near(s.P90, 900) ||
		!near(s.P99, 990) || !near(s.P999, 999) || s.MeanCI95 != 0 {
		t.Errorf("Summary() = %+v", s)
	}
}

func TestLatencyRecordNoAlloc(t *testing.T) {
	l := NewLatency()
	if n := testing.AllocsPerRun(1000, func() { l.Record(12345678) }); n != 0 {
		t.Errorf("Record allocates %v times", n)
	}
}

func BenchmarkLatencyRecord(b *testing.B) {
	xs := expSample(3, 1<<16, 10*time.Millisecond)
	l := NewLatency()
	i := 0
	for b.Loop() {
		l.Record(xs[i&(len(xs)-1)])
		i++
	}
}

func TestLatencyHistogram(t *testing.T) {
	l := NewLatency()
	for _, d := range expSample(7, 10000, 10*time.Millisecond) {
		l.Record(d)
	}
	h := l.Histogram()
	if h.TotalCount() != l.Count() {
		t.Fatalf("histogram count %d, want %d", h.TotalCount(), l.Count())
	}
	for _, q := range []float64{0.5, 0.99, 0.999} {
		if got, want := time.Duration(h.ValueAtQuantile(q*100)), l.Quantile(q); min(got, l.Max()) != want {
			t.Errorf("histogram's %v-quantile %v, want %v", q, got, want)
		}
	}
	// A copy: recording into it leaves l alone.
	_ = h.RecordValue(int64(time.Second))
	if l.Histogram().TotalCount() != l.Count() {
		t.Error("recording into Histogram's result changed l")
	}
}
