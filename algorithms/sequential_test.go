package algorithms_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// A balancer told that one goroutine drives it (Sequential, the
// simulator's case) makes the same picks with the same seed and keeps the
// same counts in flight as one that counts with atomics, stray Finished
// calls included: dropping the atomics changes the cost, not the results.
func TestSequentialSameAsAtomic(t *testing.T) {
	seen := 0
	for _, info := range algorithms.List() {
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed%d", info.Name, seed), func(t *testing.T) {
				plain, err := algorithms.New(info.Name, nil, rand.NewPCG(seed, 7))
				if err != nil {
					t.Skipf("needs params: %v", err)
				}
				q, ok := plain.(algorithms.Sequential)
				if !ok {
					t.Skip("counts nothing in flight of its own")
				}
				seen++
				// Seed 2 makes the promise after the first Update, over
				// counters that already exist; the others before.
				late := seed == 2
				if !late {
					q.SetSequential()
				}
				atomic, err := algorithms.New(info.Name, nil, rand.NewPCG(seed, 7))
				if err != nil {
					t.Fatal(err)
				}
				promise := func() {
					if late {
						q.SetSequential()
					}
				}
				picks, counts := drive(t, plain, seed, promise), drive(t, atomic, seed, func() {})
				if i := firstDiff(picks.ids, counts.ids); i >= 0 {
					t.Fatalf("pick %d: sequential chose %d, atomic %d", i, picks.ids[i], counts.ids[i])
				}
				if !slices.Equal(picks.inflight, counts.inflight) {
					t.Fatalf("in flight at the end: sequential %v, atomic %v", picks.inflight, counts.inflight)
				}
				if picks.stray == 0 {
					t.Fatal("the script made no stray Finished: the floor at zero went untested")
				}
			})
		}
	}
	if seen == 0 {
		t.Fatal("no algorithm implements Sequential")
	}
}

type driven struct {
	ids      []int   // the picks, in order
	inflight []int64 // InFlight per backend after the script
	stray    int     // Finished calls on a backend with nothing in flight
}

// drive runs a seeded script of 3000 steps on b: picks, answers to a
// random outstanding pick, stray answers, and a backend going unhealthy
// and back, the state a run of the simulator puts a balancer through.
// afterUpdate runs after the first Update.
func drive(t *testing.T, b algorithms.Balancer, seed uint64, afterUpdate func()) driven {
	t.Helper()
	const n = 7
	backends := make([]algorithms.Backend, n)
	for i := range backends {
		backends[i] = algorithms.Backend{ID: i, Name: fmt.Sprintf("b%d", i), Weight: float64(1 + i%3), Healthy: true}
	}
	b.Update(0, backends)
	afterUpdate()
	script := rand.New(rand.NewPCG(seed, 99))
	var out driven
	var outstanding []int
	counter, _ := b.(algorithms.InFlightCounter)
	for step := range 3000 {
		now := time.Duration(step) * time.Millisecond
		// Half picks, two fifths answers, a few strays, and 1 in 100 a
		// health change (an Update: maglev rebuilds its table on each).
		switch x := script.IntN(100); {
		case x < 50:
			id, err := b.Pick(algorithms.Request{Now: now, Key: script.Uint64()})
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			b.Started(id, now)
			out.ids = append(out.ids, id)
			outstanding = append(outstanding, id)
		case x < 90 && len(outstanding) > 0:
			k := script.IntN(len(outstanding))
			id := outstanding[k]
			outstanding = slices.Delete(outstanding, k, k+1)
			b.Finished(id, now, time.Duration(1+script.IntN(20))*time.Millisecond, x < 85)
		case x < 99:
			id := script.IntN(n)
			if counter != nil && counter.InFlight(id) == 0 {
				out.stray++
			}
			b.Finished(id, now, time.Millisecond, true) // never picked, or already answered
		default:
			backends[script.IntN(n)].Healthy = script.IntN(2) == 0
			backends[0].Healthy = true // at least one to pick from
			b.Update(now, backends)
		}
	}
	if counter != nil {
		for id := range n {
			out.inflight = append(out.inflight, counter.InFlight(id))
		}
	}
	return out
}

func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
