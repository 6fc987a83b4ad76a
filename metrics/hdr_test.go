package metrics

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The counts recorded through hdrGeometry.index are those the library's
// RecordValue keeps, value for value: every power of two and its
// neighbours up to the highest value, and random values spread over
// every magnitude, for both geometries in use.
func TestHDRIndexMatchesLibrary(t *testing.T) {
	if LatencyLowest != time.Nanosecond {
		t.Fatalf("latencyGeometry assumes a lowest discernible value of 1, LatencyLowest is %v", LatencyLowest)
	}
	for _, c := range []struct {
		name string
		g    hdrGeometry
	}{
		{"latency (ns, 3 digits)", latencyGeometry},
		{"timeline (µs, 2 digits)", timelineGeometry},
	} {
		t.Run(c.name, func(t *testing.T) {
			var values []int64
			for p := int64(1); p > 0 && p <= c.g.highest; p *= 2 {
				for _, v := range []int64{p - 1, p, p + 1, p + p/3} {
					if v >= 0 && v <= c.g.highest {
						values = append(values, v)
					}
				}
			}
			r := rand.New(rand.NewPCG(1, 2))
			for range 20000 {
				// log-uniform over [1, highest]
				v := int64(1) << r.IntN(63)
				v += r.Int64N(v)
				if v <= c.g.highest {
					values = append(values, v)
				}
			}
			values = append(values, c.g.highest)
			lib := hdrhistogram.New(1, c.g.highest, c.g.digits)
			own := make([]int64, c.g.n)
			for _, v := range values {
				if err := lib.RecordValue(v); err != nil {
					t.Fatalf("library refuses %d: %v", v, err)
				}
				i := c.g.index(v)
				if i < 0 || i >= len(own) {
					t.Fatalf("index(%d) = %d, outside [0, %d)", v, i, len(own))
				}
				own[i]++
			}
			if want := lib.Export().Counts; !slices.Equal(own, want) {
				for i := range own {
					if own[i] != want[i] {
						t.Fatalf("counts differ first at index %d: %d, library %d", i, own[i], want[i])
					}
				}
			}
			h := c.g.histogram(own)
			for _, q := range []float64{0, 50, 90, 99, 99.9, 100} {
				if got, want := h.ValueAtQuantile(q), lib.ValueAtQuantile(q); got != want {
					t.Errorf("p%v = %d, library %d", q, got, want)
				}
			}
			if h.TotalCount() != int64(len(values)) {
				t.Errorf("total %d, want %d", h.TotalCount(), len(values))
			}
		})
	}
}
