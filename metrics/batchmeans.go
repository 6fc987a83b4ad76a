package metrics

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// batchSlots is how many complete batches BatchMeans keeps at most; after a
// fold it holds half of them.
const batchSlots = 64

// BatchMeans estimates the confidence interval of the mean of a correlated,
// stationary series, such as latencies in completion order, in constant
// memory (the method of batch means with a fixed number of batches; Law and
// Kelton, Simulation Modeling and Analysis, §9.5.3; Fishman's doubling).
//
// Values go into consecutive batches of b values each; b starts at 1. When
// all 64 slots hold complete batches, adjacent pairs merge into 32 batches of
// 2b and b doubles. Once b is well beyond the series' correlation time, the
// batch means are nearly independent and normal, so
//
//	half-width = t_{K-1, (1+c)/2} * s / sqrt(K)
//
// where K is the number of complete batches (32..63 after the first fold), s
// the standard deviation of their means and t the Student's t quantile. For
// fewer than ~1000 values the batches are short and the interval is
// essentially the iid one.
//
// The zero value is ready to use.
type BatchMeans struct {
	sums  [batchSlots]float64 // sums of the complete batches
	n     int                 // complete batches
	size  int64               // values per batch; 0 means 1 (zero value)
	open  float64             // sum of the open batch
	openN int64
	total float64 // sum of every value
	count int64
}

// NewBatchMeans returns an empty BatchMeans (the same as its zero value).
func NewBatchMeans() *BatchMeans { return new(BatchMeans) }

// Add appends x to the series. It does not allocate.
func (b *BatchMeans) Add(x float64) {
	if b.size == 0 {
		b.size = 1
	}
	b.total += x
	b.count++
	b.open += x
	b.openN++
	if b.openN < b.size {
		return
	}
	b.sums[b.n] = b.open
	b.n++
	b.open, b.openN = 0, 0
	if b.n == batchSlots {
		for i := 0; i < batchSlots/2; i++ {
			b.sums[i] = b.sums[2*i] + b.sums[2*i+1]
		}
		b.n = batchSlots / 2
		b.size *= 2
	}
}

// Count is the number of values added.
func (b *BatchMeans) Count() int64 { return b.count }

// Mean is the mean of every value added, including those of the open batch;
// 0 if none.
func (b *BatchMeans) Mean() float64 {
	if b.count == 0 {
		return 0
	}
	return b.total / float64(b.count)
}

// Batches is the number of complete batches HalfWidth uses.
func (b *BatchMeans) Batches() int { return b.n }

// BatchSize is the number of values per batch.
func (b *BatchMeans) BatchSize() int64 { return max(b.size, 1) }

// HalfWidth is the half-width of the confidence interval of the mean at the
// given confidence level in (0, 1) (0.95 for 95%): t_{K-1,(1+c)/2} s/sqrt(K)
// over the K complete batches (values in the open batch are left out). It is
// 0 when there are fewer than two complete batches, where there is no
// estimate; Batches tells the two cases apart. It panics if confidence is not
// in (0, 1).
func (b *BatchMeans) HalfWidth(confidence float64) float64 {
	if !(confidence > 0 && confidence < 1) {
		panic("metrics: BatchMeans.HalfWidth confidence must be in (0, 1)")
	}
	k := b.n
	if k < 2 {
		return 0
	}
	var means [batchSlots]float64
	size := float64(b.BatchSize())
	for i := 0; i < k; i++ {
		means[i] = b.sums[i] / size
	}
	_, v := stat.MeanVariance(means[:k], nil) // unbiased, divides by K-1
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(k - 1)}.Quantile((1 + confidence) / 2)
	return t * math.Sqrt(v/float64(k))
}
