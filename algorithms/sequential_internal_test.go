package algorithms

import "testing"

// SetSequential reaches every counter: those of backends already seen and
// those of backends that come later, so no count stays atomic-only (and
// none is counted both ways) after the promise.
func TestSetSequentialReachesEveryCounter(t *testing.T) {
	for _, c := range []struct {
		name   string
		before []int // IDs listed before the promise
		after  []int // IDs listed after it
	}{
		{"promise first", nil, []int{0, 1, 2}},
		{"promise after a set", []int{0, 2}, []int{0, 2}},
		{"new IDs after the promise", []int{1}, []int{1, 3, 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tb table
			if c.before != nil {
				tb.update(makeBackends(0)) // nothing yet
				tb.update(withIDs(c.before))
			}
			tb.SetSequential()
			tb.update(withIDs(c.after))
			for id, l := range tb.seen {
				if l != nil && !l.sequential {
					t.Errorf("ID %d counts atomically after SetSequential", id)
				}
			}
			s := tb.load()
			for i := range s.backends {
				s.take(i)
			}
			for _, id := range c.after {
				if got := tb.InFlight(id); got != 1 {
					t.Errorf("ID %d: %d in flight after one take, want 1", id, got)
				}
				tb.Finished(id, 0, 0, true)
				tb.Finished(id, 0, 0, true) // stray: stays at 0
				if got := tb.InFlight(id); got != 0 {
					t.Errorf("ID %d: %d in flight after two Finished, want 0", id, got)
				}
			}
		})
	}
}

func withIDs(ids []int) []Backend {
	bs := make([]Backend, len(ids))
	for i, id := range ids {
		bs[i] = Backend{ID: id, Name: "b", Weight: 1, Healthy: true}
	}
	return bs
}
