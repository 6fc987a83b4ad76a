package metrics

import (
	"math"
	"math/bits"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// hdrGeometry records into an HDR histogram's counts array directly, as
// hdrhistogram-go's RecordValue would, and builds the library's Histogram
// from it only when the figures are read. Recording is a simulated
// request's hottest bookkeeping: the library's RecordValue checks its
// arguments and overflow and recomputes the geometry on every call, twice
// per request (the run's histogram and the timeline's), and showed in
// profiles at about a twentieth of the engine's time. The index is the
// library's countsIndexFor for a lowest discernible value of 1 (unit
// magnitude 0); TestHDRIndexMatchesLibrary holds them equal.
type hdrGeometry struct {
	highest int64
	digits  int
	halfMag uint  // log2 of half the sub-bucket count
	mask    int64 // the sub-bucket count - 1
	n       int   // the counts array's length
}

func newHDRGeometry(highest int64, digits int) hdrGeometry {
	// As the library's geometryMagnitudes: unit resolution up to 2 x 10^digits,
	// rounded up to a power of two sub-buckets.
	subMag := uint(math.Ceil(math.Log2(2 * math.Pow10(digits))))
	return hdrGeometry{
		highest: highest,
		digits:  digits,
		halfMag: subMag - 1,
		mask:    1<<subMag - 1,
		n:       len(hdrhistogram.New(1, highest, digits).Export().Counts),
	}
}

// index is v's index in the counts array, for 0 <= v <= highest.
//
//	bucket = bitlen(v | mask) - (halfMag + 1)
//	index  = (bucket + 1) << halfMag + (v >> bucket) - 1 << halfMag
//	       = bucket << halfMag + (v >> bucket)
func (g *hdrGeometry) index(v int64) int {
	bucket := uint(bits.Len64(uint64(v|g.mask))) - (g.halfMag + 1)
	return int(bucket<<g.halfMag) + int(v>>bucket)
}

// histogram is the library's Histogram holding counts (copied).
func (g *hdrGeometry) histogram(counts []int64) *hdrhistogram.Histogram {
	return hdrhistogram.Import(&hdrhistogram.Snapshot{
		LowestTrackableValue:  1,
		HighestTrackableValue: g.highest,
		SignificantFigures:    int64(g.digits),
		Counts:                counts,
	})
}

// The two geometries in use: a run's latencies in ns, and a timeline
// window's in µs.
var (
	latencyGeometry  = newHDRGeometry(int64(LatencyHighest), LatencyDigits)
	timelineGeometry = newHDRGeometry(timelineHighestUS, 2)
)
