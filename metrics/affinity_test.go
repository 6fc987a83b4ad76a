package metrics

import (
	"math"
	"testing"
)

func TestAffinity(t *testing.T) {
	a := NewAffinity(3, 4)
	// client 0 always on server 1; client 1 split 3:1; client 2 round robin.
	for range 4 {
		a.Add(0, 1)
	}
	a.Add(1, 2)
	a.Add(1, 2)
	a.Add(1, 2)
	a.Add(1, 0)
	for s := range 4 {
		a.Add(2, s)
	}
	want := float64(4+3+1) / 12
	if got := a.Value(); math.Abs(got-want) > 1e-12 {
		t.Errorf("affinity %v, want %v", got, want)
	}
	a.Add(5, 0) // out of range: ignored
	a.Add(0, 9)
	if got := a.Value(); math.Abs(got-want) > 1e-12 {
		t.Errorf("out-of-range adds counted: %v", got)
	}
	if NewAffinity(1<<20, 1<<10) != nil {
		t.Error("a huge table was allocated")
	}
	var none *Affinity
	none.Add(0, 0)
	if none.Value() != 0 {
		t.Error("nil affinity not 0")
	}
}
