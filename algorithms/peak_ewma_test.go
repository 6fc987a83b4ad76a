package algorithms

import (
	"testing"
	"time"
)

// feed finishes one request of latency lat on id at now, as if picked.
func feed(b Balancer, id int, now, lat time.Duration) {
	load(b, id, 1)
	b.Started(id, now-lat)
	b.Finished(id, now, lat, true)
}

// serve picks n times from now on, a pick every step, each request
// finishing at once with its backend's latency lat[id]; it returns the
// picks per backend.
func serve(t *testing.T, b Balancer, now, step time.Duration, n int, lat []time.Duration) []int {
	t.Helper()
	counts := make([]int, len(lat))
	for k := range n {
		now += step
		id, err := b.Pick(Request{Now: now, Key: uint64(k + 1)})
		if err != nil {
			t.Fatal(err)
		}
		b.Started(id, now)
		b.Finished(id, now, lat[id], true)
		counts[id]++
	}
	return counts
}

func TestPeakEWMAMovesOffSlowBackend(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name  string
		rises int // high-latency responses from backend 2 before counting
	}{
		{"one slow response", 1},
		{"three slow responses", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mustNew(t, "peak-ewma", nil, 3)
			b.Update(0, makeBackends(4))
			lat := []time.Duration{5 * ms, 5 * ms, 5 * ms, 5 * ms}
			before := serve(t, b, 0, ms, 2000, lat)
			for _, n := range before {
				if n < 300 { // each ~500: the same latency, p2c spreads evenly
					t.Fatalf("before the rise: picks %v", before)
				}
			}
			now := 2 * time.Second
			for range c.rises {
				now += ms
				feed(b, 2, now, 200*ms)
			}
			lat[2] = 200 * ms
			after := serve(t, b, now, ms, 1000, lat)
			// Backend 2's estimate is >= 200ms * exp(-1s/10s) > 180ms for the
			// whole second, against 5ms * (0+1) for any other: it never wins.
			if after[2] != 0 {
				t.Fatalf("after %d slow responses, backend 2 got %d of 1000 picks: %v", c.rises, after[2], after)
			}
		})
	}
}

func TestPeakEWMACostCountsInflight(t *testing.T) {
	// Two backends, both measured at 10ms; 1 has 3 in flight: cost 10 vs 40,
	// so 0 wins every pick (the pair is always both).
	b := mustNew(t, "peak-ewma", nil, 1)
	b.Update(0, makeBackends(2))
	feed(b, 0, time.Millisecond, 10*time.Millisecond)
	feed(b, 1, time.Millisecond, 10*time.Millisecond)
	load(b, 1, 3)
	for range 50 {
		id, err := b.Pick(Request{Now: 2 * time.Millisecond})
		if err != nil || id != 0 {
			t.Fatalf("Pick = %d, %v; want 0", id, err)
		}
		b.Finished(id, 2*time.Millisecond, 10*time.Millisecond, true)
	}
}

func TestPeakEWMARecovers(t *testing.T) {
	// A slow backend's estimate decays while it is idle: after a few decay
	// times it is tried again.
	b := mustNew(t, "peak-ewma", map[string]any{"decay": "1s"}, 2)
	b.Update(0, makeBackends(2))
	feed(b, 0, time.Millisecond, 5*time.Millisecond)
	feed(b, 1, time.Millisecond, 500*time.Millisecond)
	lat := []time.Duration{5 * time.Millisecond, 5 * time.Millisecond}
	if got := serve(t, b, time.Millisecond, time.Millisecond, 100, lat); got[1] != 0 {
		t.Fatalf("right after: %v", got)
	}
	if got := serve(t, b, 10*time.Second, time.Millisecond, 100, lat); got[1] == 0 {
		t.Fatalf("10 decay times later, backend 1 still avoided: %v", got)
	}
}

func TestEWMANoBackend(t *testing.T) {
	for _, name := range []string{"peak-ewma", "least-response-time", "weighted-random", "sticky"} {
		b := mustNew(t, name, nil, 1)
		b.Update(0, withHealth(makeBackends(2), false, false))
		if _, err := b.Pick(Request{Key: 3}); err != ErrNoBackend {
			t.Errorf("%s: Pick = %v, want ErrNoBackend", name, err)
		}
	}
}
