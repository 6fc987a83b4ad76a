package algorithms

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// newSlowStart builds a weighted balancer with slow_start.
func newSlowStart(t *testing.T, name string, params map[string]any) (Balancer, error) {
	t.Helper()
	return New(name, params, LockedSource(rand.NewPCG(7, 0x5eed)))
}

var weightedNames = []string{"weighted-round-robin", "weighted-random", "weighted-least-connections"}

func TestSlowStartParams(t *testing.T) {
	for _, name := range weightedNames {
		for _, c := range []struct {
			v  any
			ok bool
		}{{"30s", true}, {"0s", true}, {0, true}, {10 * time.Second, true},
			{"-1s", false}, {"soon", false}, {5, false}, {1.5, false}, {nil, false}} {
			_, err := newSlowStart(t, name, map[string]any{"slow_start": c.v})
			var pe *ParamError
			if c.ok && err != nil || !c.ok && (!errors.As(err, &pe) || pe.Param != "slow_start") {
				t.Errorf("%s slow_start %v: err %v, want ok=%v", name, c.v, err, c.ok)
			}
		}
		if _, err := newSlowStart(t, name, map[string]any{"slow_strat": "1s"}); err == nil {
			t.Errorf("%s: unknown param accepted", name)
		}
	}
}

// TestSlowStartRamp: backends a, b, c of weight 1; c goes down and comes
// back at t=100s with a 10s window. Counting picks right after recovery, at
// half the window and after it, c's share is its effective weight f over
// f + 2: f = 0.1 (share 4.8%), 0.5 (20%), 1 (33.3%), within 2.5 points.
// weighted-least-connections is driven with requests held in flight (none
// finish), so its picks follow the weights too.
func TestSlowStartRamp(t *testing.T) {
	const window = 10 * time.Second
	for _, name := range weightedNames {
		t.Run(name, func(t *testing.T) {
			b, err := newSlowStart(t, name, map[string]any{"slow_start": "10s"})
			if err != nil {
				t.Fatal(err)
			}
			bs := abc(1, 1, 1)
			b.Update(0, bs) // the first Update: full weight at once
			share := func(now time.Duration) float64 {
				const n = 6000
				var c int
				for range n {
					id, err := b.Pick(Request{Now: now})
					if err != nil {
						t.Fatal(err)
					}
					if id == 2 {
						c++
					}
				}
				// Reset in-flight counts (weighted-least-connections).
				for id := range 3 {
					for inflightOf(b, id) > 0 {
						b.Finished(id, now, 0, true)
					}
				}
				return float64(c) / n
			}
			check := func(what string, got, f float64) {
				t.Helper()
				want := f / (f + 2)
				if math.Abs(got-want) > 0.025 {
					t.Errorf("%s: c's share %.3f, want %.3f +- 0.025", what, got, want)
				}
			}
			check("at the start", share(time.Second), 1)
			b.Update(50*time.Second, withHealth(bs, true, true, false))
			if got := share(60 * time.Second); got != 0 {
				t.Errorf("c down: share %.3f", got)
			}
			up := 100 * time.Second
			b.Update(up, bs)
			check("right after recovery", share(up), slowStartFloor)
			check("at half the window", share(up+window/2), 0.5)
			check("after the window", share(up+window), 1)
			// A backend first listed after the start ramps too.
			b.Update(200*time.Second, append(abc(1, 1, 1), Backend{ID: 3, Name: "d", Weight: 1, Healthy: true}))
			// c at full weight among a, b, c and d at half: 1 / 3.5.
			if got := share(200*time.Second + window/2); math.Abs(got-1/3.5) > 0.025 {
				t.Errorf("while d ramps: c's share %.3f, want %.3f +- 0.025", got, 1/3.5)
			}
		})
	}
}

func TestSlowStartOffAndNoAlloc(t *testing.T) {
	for _, name := range weightedNames {
		b, err := newSlowStart(t, name, map[string]any{"slow_start": "10s"})
		if err != nil {
			t.Fatal(err)
		}
		bs := abc(3, 2, 1)
		b.Update(0, withHealth(bs, true, true, false))
		b.Update(time.Second, bs)
		now := 2 * time.Second
		if n := testing.AllocsPerRun(100, func() {
			id, _ := b.Pick(Request{Now: now})
			b.Finished(id, now, 0, true)
		}); n != 0 {
			t.Errorf("%s: Pick while ramping allocates %v times", name, n)
		}
		// slow_start 0 behaves as the plain algorithm.
		plain := mustNew(t, name, nil, 7)
		off, _ := newSlowStart(t, name, map[string]any{"slow_start": "0s"})
		for _, x := range []Balancer{plain, off} {
			x.Update(0, withHealth(bs, true, true, false))
			x.Update(time.Second, bs)
		}
		if name != "weighted-random" { // random streams differ in seeding here
			for k := range 12 {
				p, _ := plain.Pick(Request{Now: time.Second})
				o, _ := off.Pick(Request{Now: time.Second})
				if p != o {
					t.Errorf("%s: pick %d: slow_start 0 gives %d, plain %d", name, k, o, p)
				}
			}
		}
	}
}
