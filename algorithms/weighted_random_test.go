package algorithms

import "testing"

func TestWeightedRandomShares(t *testing.T) {
	// Shares must fit weight / (healthy weight) by Pearson's chi-square at
	// the 0.001 level (checkFit); seeds are fixed, so this is deterministic.
	for _, c := range []struct {
		name    string
		weights []float64
		healthy []bool
		want    []float64
	}{
		{"1 2 3 4", []float64{1, 2, 3, 4}, nil, []float64{0.1, 0.2, 0.3, 0.4}},
		{"unhealthy excluded", []float64{1, 2, 3, 4}, []bool{true, false, true, true}, []float64{1.0 / 8, 0, 3.0 / 8, 4.0 / 8}},
		{"fractional", []float64{0.5, 0.25, 0.25}, nil, []float64{0.5, 0.25, 0.25}},
		{"one heavy among many", []float64{10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, nil,
			[]float64{0.5, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05}},
		{"single", []float64{3}, nil, []float64{1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mustNew(t, "weighted-random", nil, 7)
			bs := makeBackends(len(c.weights))
			for i, w := range c.weights {
				bs[i].Weight = w
			}
			if c.healthy != nil {
				bs = withHealth(bs, c.healthy...)
			}
			b.Update(0, bs)
			checkFit(t, "weighted-random", pickCounts(t, b, len(bs), 40000), c.want)
		})
	}
}

func TestWeightedRandomNoBackend(t *testing.T) {
	b := mustNew(t, "weighted-random", nil, 1)
	b.Update(0, withHealth(makeBackends(3), false, false, false))
	if _, err := b.Pick(Request{}); err != ErrNoBackend {
		t.Fatalf("Pick = %v, want ErrNoBackend", err)
	}
}

func TestWeightedRandomAllocs(t *testing.T) {
	b := mustNew(t, "weighted-random", nil, 1)
	b.Update(0, benchBackends())
	if n := testing.AllocsPerRun(1000, func() {
		id, _ := b.Pick(Request{})
		b.Finished(id, 0, 0, true)
	}); n != 0 {
		t.Fatalf("Pick allocates %v times", n)
	}
}
