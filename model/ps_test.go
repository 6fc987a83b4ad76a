package model

import (
	"maps"
	"testing"
	"time"
)

// psOp is one change to a PS server at a time: add a job (size > 0),
// remove one (size 0), or set the slowdown (slow > 0).
type psOp struct {
	at   time.Duration
	id   int
	size time.Duration
	slow float64
}

// playPS drives a PS server through ops as an engine would: before each op,
// every completion Next predicts up to its time. It returns when each job
// was done.
func playPS(conc int, ops []psOp) map[int]time.Duration {
	p := NewPS[int](conc)
	done := map[int]time.Duration{}
	var ids []int
	complete := func(until time.Duration, last bool) {
		for {
			at, ok := p.Next(0)
			if !ok || (!last && at > until) {
				return
			}
			for _, id := range p.Done(at, ids[:0]) {
				done[id] = at
			}
		}
	}
	for _, op := range ops {
		complete(op.at, false)
		switch {
		case op.slow > 0:
			p.SetSlow(op.at, op.slow)
		case op.size > 0:
			p.Add(op.at, op.id, op.size)
		default:
			p.Remove(op.at, op.id)
		}
	}
	complete(0, true)
	return done
}

func TestPSByHand(t *testing.T) {
	const ms = time.Millisecond
	for _, tc := range []struct {
		name string
		conc int
		ops  []psOp
		want map[int]time.Duration
	}{
		{"sizes 3 and 1 together on c=1 finish at 2 and 4", 1,
			[]psOp{{0, 1, 3 * ms, 0}, {0, 2, 1 * ms, 0}},
			map[int]time.Duration{1: 4 * ms, 2: 2 * ms}},
		{"c=2 runs two at full speed", 2,
			[]psOp{{0, 1, 3 * ms, 0}, {0, 2, 1 * ms, 0}},
			map[int]time.Duration{1: 3 * ms, 2: 1 * ms}},
		{"three of size 2 on c=2 are all done at 3", 2,
			[]psOp{{0, 1, 2 * ms, 0}, {0, 2, 2 * ms, 0}, {0, 3, 2 * ms, 0}},
			map[int]time.Duration{1: 3 * ms, 2: 3 * ms, 3: 3 * ms}},
		{"a slowdown from 1 to 3 halves the pace of a job in progress", 1,
			[]psOp{{0, 1, 3 * ms, 0}, {1 * ms, 0, 0, 2}, {3 * ms, 0, 0, 1}},
			map[int]time.Duration{1: 4 * ms}},
		{"removing the size-3 job at 1 lets the size-1 one finish at 1.5", 1,
			[]psOp{{0, 1, 3 * ms, 0}, {0, 2, 1 * ms, 0}, {1 * ms, 1, 0, 0}},
			map[int]time.Duration{2: 1500 * time.Microsecond}},
		{"a third of size 1 arriving at 1 on c=1 with two of size 2", 1,
			// 0-1: two at 1/2, 1.5 left each. From 1, three at 1/3: the
			// newcomer's 1 takes 3, done at 4; the others then have 0.5
			// left each, at 1/2: done at 5.
			[]psOp{{0, 1, 2 * ms, 0}, {0, 2, 2 * ms, 0}, {1 * ms, 3, 1 * ms, 0}},
			map[int]time.Duration{1: 5 * ms, 2: 5 * ms, 3: 4 * ms}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := playPS(tc.conc, tc.ops); !maps.Equal(got, tc.want) {
				t.Errorf("done %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPSCounts(t *testing.T) {
	p := NewPS[int](2)
	for k := range 5 {
		if full := p.Full(3); full != (k-2 >= 3) {
			t.Errorf("n=%d: Full(3) = %v", k, full)
		}
		if shared := p.Shared(); shared != (k >= 2) {
			t.Errorf("n=%d: Shared() = %v", k, shared)
		}
		if p.Busy() != min(k, 2) || p.Len() != k {
			t.Errorf("n=%d: Busy %d, Len %d", k, p.Busy(), p.Len())
		}
		p.Add(0, k, time.Millisecond)
	}
	if p.Full(0) {
		t.Error("queue limit 0 is unbounded")
	}
	if p.Remove(0, 99) {
		t.Error("removed a job that is not there")
	}
	p.Clear(time.Millisecond)
	if _, ok := p.Next(0); ok || p.Len() != 0 {
		t.Errorf("after Clear: %d jobs", p.Len())
	}
	// Empty again, V restarts: a new job takes exactly its size.
	p.Add(2*time.Millisecond, 7, 3)
	if at, ok := p.Next(0); !ok || at != 2*time.Millisecond+3 {
		t.Errorf("after Clear: next %v %v, want 2ms+3ns", at, ok)
	}
}
