package algorithms

import "testing"

func TestWeightedLeastConnections(t *testing.T) {
	// score = (inflight+1)/weight, lowest wins, ties uniform.
	for _, c := range []struct {
		name    string
		weights []float64
		loads   []int
		healthy []bool
		want    []float64
	}{
		{"idle: heaviest wins (the +1)", []float64{1, 2, 3}, []int{0, 0, 0}, nil, among(3, 2)},
		{"scores 1, 1, 1", []float64{1, 2, 3}, []int{0, 1, 2}, nil, among(3, 0, 1, 2)},
		{"scores 1, 2, 2", []float64{1, 2, 3}, []int{0, 3, 5}, nil, among(3, 0)},
		{"scores 1, 1 with weights 3, 1", []float64{3, 1}, []int{2, 0}, nil, among(2, 0, 1)},
		{"fractional weights: scores 2, 1", []float64{0.5, 1}, []int{0, 0}, nil, among(2, 1)},
		{"fractional weights: scores 0.3, 0.3", []float64{10, 10 / 3.0}, []int{2, 0}, nil, among(2, 0, 1)},
		{"best unhealthy", []float64{5, 1, 1}, []int{0, 4, 4}, []bool{false, true, true}, among(3, 1, 2)},
		{"equal weights: least-connections", []float64{2, 2, 2, 2}, []int{1, 0, 3, 0}, nil, among(4, 1, 3)},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mustNew(t, "weighted-least-connections", nil, 1)
			bs := makeBackends(len(c.weights))
			for i := range bs {
				bs[i].Weight = c.weights[i]
			}
			if c.healthy != nil {
				bs = withHealth(bs, c.healthy...)
			}
			b.Update(0, bs)
			for id, l := range c.loads {
				load(b, id, l)
			}
			checkFit(t, c.name, pickCounts(t, b, len(c.weights), 3000), c.want)
		})
	}
}

func TestWeightedLeastConnectionsHoldsRatio(t *testing.T) {
	// Requests that never finish pile up in proportion to the weights:
	// weights 3 and 1 keep in-flight counts within one of 3:1.
	b := mustNew(t, "weighted-least-connections", nil, 1)
	bs := makeBackends(2)
	bs[0].Weight = 3
	b.Update(0, bs)
	for k := range 400 {
		b.Started(mustPick(t, b, 0), 0)
		l0, l1 := inflightOf(b, 0), inflightOf(b, 1)
		if d := l0 - 3*l1; d < -3 || d > 3 {
			t.Fatalf("after %d picks: in flight %d and %d, not 3:1", k+1, l0, l1)
		}
	}
}
