package external

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// step is one call in a scripted run of a strategy.
type step struct {
	update []algorithms.Backend // Update with these, or else:
	finish int                  // Finished for the request of pick number finish (1-based), or else:
	// a Pick, whose answer must be one of want (nil: ErrNoBackend), the
	// same as pick number like, and not the same as pick number unlike.
	want         []int
	like, unlike int
	latency      time.Duration // of a finish
}

// TestLeastLoaded drives the Python example through scripted runs. With
// two healthy backends both are always the candidates, so its choices are
// exact whatever its random draws: fewer in flight wins, then lower EWMA.
func TestLeastLoaded(t *testing.T) {
	needPython(t)
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{
			name:  "before any update",
			steps: []step{{}},
		},
		{
			name: "healthy only",
			steps: append([]step{{update: backends(5, 1, 3)}},
				slices.Repeat([]step{{want: []int{0, 2, 4}}}, 30)...),
		},
		{
			name: "none healthy, then one",
			steps: []step{
				{update: backends(3, 0, 1, 2)},
				{},
				{update: backends(3, 0, 2)},
				{want: []int{1}},
				{want: []int{1}},
			},
		},
		{
			name: "counts in flight from the pick, uncounts at finished",
			steps: []step{
				{update: backends(2)},
				{want: []int{0, 1}},                    // 1: a
				{want: []int{0, 1}, unlike: 1},         // 2: b, as a has one in flight
				{finish: 1, latency: time.Millisecond}, // a: 0 in flight, EWMA 0.3ms
				{want: []int{0, 1}, like: 1},           // 3: a, fewer in flight than b
				{finish: 3, latency: time.Millisecond}, // a: 0 in flight, EWMA 0.51ms
				{finish: 2, latency: time.Microsecond}, // b: 0 in flight, EWMA 0.3µs
				{want: []int{0, 1}, like: 2},           // 4: b, the tie goes to the lower EWMA
				{finish: 4, latency: 10 * time.Millisecond},
				{want: []int{0, 1}, like: 1}, // 5: a, now b's EWMA is higher
			},
		},
		{
			name: "in-flight counts survive updates",
			steps: []step{
				{update: backends(2)},
				{want: []int{0, 1}},            // 1: a
				{update: backends(3, 2)},       // a new set: 2 is listed, down
				{want: []int{0, 1}, unlike: 1}, // 2: b, as a still has one in flight
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			b := open(t, Config{Command: leastLoaded}, 1)
			runSteps(t, b, tc.steps)
		})
	}
}

// runSteps runs steps against b.
func runSteps(t *testing.T, b *Balancer, steps []step) {
	t.Helper()
	var picks []int
	now := time.Duration(0)
	for i, s := range steps {
		now += time.Millisecond
		switch {
		case s.update != nil:
			b.Update(now, s.update)
		case s.finish > 0:
			b.Finished(picks[s.finish-1], now, s.latency, true)
		default:
			id, err := b.Pick(algorithms.Request{Now: now, Key: uint64(i)})
			switch {
			case s.want == nil && !errors.Is(err, algorithms.ErrNoBackend):
				t.Fatalf("step %d: Pick = %d, %v; want ErrNoBackend", i, id, err)
			case s.want == nil:
				continue
			case err != nil:
				t.Fatalf("step %d: %v", i, err)
			case !slices.Contains(s.want, id):
				t.Fatalf("step %d: picked %d, want one of %v", i, id, s.want)
			case s.like > 0 && id != picks[s.like-1]:
				t.Fatalf("step %d: picked %d, want %d as pick %d", i, id, picks[s.like-1], s.like)
			case s.unlike > 0 && id == picks[s.unlike-1]:
				t.Fatalf("step %d: picked %d, as pick %d; want the other", i, id, s.unlike)
			}
			b.Started(id, now)
			picks = append(picks, id)
		}
	}
}

// TestLeastLoadedDeterministic checks that the Python example makes the
// same choices for the same seed, and other choices for another, over a
// run that keeps a few requests in flight so that both its random draws
// and its counts matter.
func TestLeastLoadedDeterministic(t *testing.T) {
	needPython(t)
	leakcheck.Check(t)
	run := func(seed uint64) []int {
		b := open(t, Config{Command: leastLoaded}, seed)
		b.Update(0, backends(8, 5))
		var picks []int
		for i := range 300 {
			now := time.Duration(i) * time.Millisecond
			id, err := b.Pick(algorithms.Request{Now: now, Key: uint64(i)})
			if err != nil {
				t.Fatalf("seed %d, pick %d: %v", seed, i, err)
			}
			if id == 5 {
				t.Fatalf("seed %d, pick %d: picked the unhealthy backend 5", seed, i)
			}
			b.Started(id, now)
			picks = append(picks, id)
			if i >= 3 { // four in flight at a time
				old := picks[i-3]
				b.Finished(old, now, time.Duration(1+old)*time.Millisecond, true)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		return picks
	}
	a, again, other := run(1), run(1), run(2)
	if !slices.Equal(a, again) {
		t.Errorf("seed 1 twice gave different picks:\n%v\n%v", a, again)
	}
	if slices.Equal(a, other) {
		t.Errorf("seeds 1 and 2 gave the same picks: %v", a)
	}
}

// TestLeastLoadedParams checks that the example refuses bad params with
// its own message.
func TestLeastLoadedParams(t *testing.T) {
	needPython(t)
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"alhpa": 0.5}, `refused to start: unknown params ['alhpa'] (known: alpha)`},
		{map[string]any{"alpha": 2}, `refused to start: alpha 2.0 is not in (0, 1]`},
	} {
		t.Run(fmt.Sprint(tc.params), func(t *testing.T) {
			leakcheck.Check(t)
			_, err := New(Config{Command: leastLoaded, Params: tc.params}, rand1())
			checkErr(t, err, leastLoaded, []string{tc.want})
		})
	}
}

// TestConcurrent calls the balancer from many goroutines at once, as the
// proxy does, with Update from another one (run it with -race). Backend 3
// goes up and down; the others stay healthy, so every pick must succeed.
func TestConcurrent(t *testing.T) {
	needPython(t)
	leakcheck.Check(t)
	b := open(t, Config{Command: leastLoaded}, 1)
	b.Update(0, backends(4))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				b.Update(time.Duration(i), backends(4, 3))
			} else {
				b.Update(time.Duration(i), backends(4))
			}
			time.Sleep(time.Millisecond)
		}
	}()
	errs := make(chan error, 8)
	var pickers sync.WaitGroup
	for g := range 8 {
		pickers.Add(1)
		go func() {
			defer pickers.Done()
			for i := range 100 {
				now := time.Duration(i)
				id, err := b.Pick(algorithms.Request{Now: now, Key: uint64(g<<32 | i)})
				if err != nil {
					errs <- err
					return
				}
				b.Started(id, now)
				b.Finished(id, now, time.Millisecond, true)
			}
		}()
	}
	pickers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}
