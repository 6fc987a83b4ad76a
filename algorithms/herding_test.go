package algorithms

// Herding: the proxy picks from many goroutines at once. If a pick did not
// count itself until Started, simultaneous picks would all see the same idle
// backend and pile onto it. Pick reserves the backend's slot itself (the
// in-flight counter is incremented inside Pick, as grpc-go's least_request
// picker does), so a burst spreads as it would one request at a time.

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// herd sends a burst of workers simultaneous picks (behind a barrier) to
// nb idle backends; each worker calls Started only once every worker has
// picked, the widest gap a proxy can leave between the two. It returns the
// largest number of picks that landed on one backend, over rounds rounds.
func herd(t *testing.T, name string, workers, nb, rounds int) []int {
	t.Helper()
	b, err := New(name, nil, LockedSource(rand.NewPCG(7, 8)))
	if err != nil {
		t.Fatal(err)
	}
	b.Update(0, makeBackends(nb))
	maxes := make([]int, rounds)
	for round := range rounds {
		var start, picked sync.WaitGroup
		start.Add(1)
		picked.Add(workers)
		ids := make([]int, workers)
		var done sync.WaitGroup
		for w := range workers {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				id, err := b.Pick(Request{Key: uint64(w)})
				ids[w] = id
				picked.Done()
				if err != nil {
					t.Error(err)
					return
				}
				picked.Wait()
				b.Started(id, 0)
			}()
		}
		start.Done()
		done.Wait()
		counts := make([]int, nb)
		for _, id := range ids {
			if id >= 0 {
				counts[id]++
			}
		}
		maxes[round] = slices.Max(counts)
		for _, id := range ids {
			b.Finished(id, 0, 0, true)
		}
		for id := range nb {
			if got := inflightOf(b, id); got != 0 {
				t.Fatalf("round %d: backend %d: %d in flight after the burst finished", round, id, got)
			}
		}
	}
	return maxes
}

// oneByOne is herd's reference: the same picks made one at a time, each
// counted before the next.
func oneByOne(t *testing.T, name string, picks, nb, rounds int) []int {
	t.Helper()
	b := mustNew(t, name, nil, 9)
	b.Update(0, makeBackends(nb))
	maxes := make([]int, rounds)
	for round := range rounds {
		counts := make([]int, nb)
		ids := make([]int, picks)
		for k := range ids {
			ids[k] = mustPick(t, b, uint64(k))
			b.Started(ids[k], 0)
			counts[ids[k]]++
		}
		maxes[round] = slices.Max(counts)
		for _, id := range ids {
			b.Finished(id, 0, 0, true)
		}
	}
	return maxes
}

func mean(xs []int) float64 {
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}

// TestHerding: a burst of 64 simultaneous picks over 8 idle backends lands
// as one pick at a time would. Before Pick counted its request (when
// Started did), every pick of the burst saw 8 idle backends: the busiest
// got 12 on average and up to 18 (a multinomial's maximum), for all three.
// Now least-connections spreads the burst exactly (8 each: a reservation
// only succeeds on a count that is still the least), and p2c as well as
// it does one pick at a time (busiest 9 on average, as one by one).
func TestHerding(t *testing.T) {
	const workers, nb, rounds = 64, 8, 50
	for _, c := range []struct {
		name  string
		exact bool // the burst must spread evenly
	}{{"least-connections", true}, {"weighted-least-connections", true}, {"p2c", false}} {
		t.Run(c.name, func(t *testing.T) {
			burst := herd(t, c.name, workers, nb, rounds)
			ref := oneByOne(t, c.name, workers, nb, rounds)
			t.Logf("%d picks over %d idle backends, most on one: simultaneous mean %.1f worst %d; one by one mean %.1f worst %d (even: %d)",
				workers, nb, mean(burst), slices.Max(burst), mean(ref), slices.Max(ref), workers/nb)
			switch {
			case c.exact && slices.Max(burst) > workers/nb+1:
				// workers/nb exactly, unless a pick lost its reservation
				// maxReserveTries-1 times in a row and took its last choice
				// unchecked (possible on a machine with many cores).
				t.Errorf("simultaneous picks herd: up to %d of %d on one of %d backends, want %d", slices.Max(burst), workers, nb, workers/nb)
			case mean(burst) > mean(ref)+1:
				// Up to 1 above the reference: 50 rounds' means of a maximum
				// whose spread is about one request.
				t.Errorf("simultaneous picks herd: mean maximum %.1f, one by one %.1f", mean(burst), mean(ref))
			}
		})
	}
}
