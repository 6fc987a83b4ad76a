package algotest_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// leastOfK is a strategy a researcher might bring: the fewest requests in
// flight among k distinct healthy backends drawn at random (k at least
// the healthy count: least-connections with uniform ties). One mutex
// guards everything; Pick draws from preallocated scratch, so it does not
// allocate.
type leastOfK struct {
	k        int
	mu       sync.Mutex
	r        *rand.Rand
	healthy  []int   // IDs of the healthy backends
	scratch  []int   // for sampling, as long as healthy
	inflight []int64 // by ID; survives Update
}

var leastOfKSpec = algorithms.Spec{
	Name:    "least-of-k",
	Summary: "fewest in flight among k random healthy backends",
	Params: []algorithms.Param{
		algorithms.Int{Name: "k", Default: 2, Min: 1, Doc: "healthy backends sampled per pick"},
	},
	New: func(p algorithms.Params, src rand.Source) (algorithms.Balancer, error) {
		return &leastOfK{k: p.Int("k"), r: rand.New(src)}, nil
	},
}

func (b *leastOfK) Update(now time.Duration, backends []algorithms.Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.healthy = b.healthy[:0]
	for _, be := range backends {
		for len(b.inflight) <= be.ID {
			b.inflight = append(b.inflight, 0)
		}
		if be.Healthy {
			b.healthy = append(b.healthy, be.ID)
		}
	}
	slices.Sort(b.healthy) // the order given must not matter
	b.scratch = slices.Clone(b.healthy)
}

// Pick draws min(k, n) distinct healthy backends by a partial Fisher-Yates
// shuffle and takes the first drawn of the least loaded: uniform ties.
func (b *leastOfK) Pick(req algorithms.Request) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.healthy)
	if n == 0 {
		return -1, algorithms.ErrNoBackend
	}
	copy(b.scratch, b.healthy)
	best := -1
	for i := range min(b.k, n) {
		j := i + b.r.IntN(n-i)
		b.scratch[i], b.scratch[j] = b.scratch[j], b.scratch[i]
		if id := b.scratch[i]; best < 0 || b.inflight[id] < b.inflight[best] {
			best = id
		}
	}
	b.inflight[best]++
	return best, nil
}

func (b *leastOfK) Started(id int, now time.Duration) {}

func (b *leastOfK) Finished(id int, now, latency time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id >= 0 && id < len(b.inflight) && b.inflight[id] > 0 {
		b.inflight[id]--
	}
}

// InFlight lets algotest.Conformance check the counts after every call.
func (b *leastOfK) InFlight(id int) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id >= 0 && id < len(b.inflight) {
		return b.inflight[id]
	}
	return 0
}

// A researcher's strategy: declared by a Spec, registered in main, then
// named in scenario files beside the built-ins. Its tests run the kit:
//
//	func TestConformance(t *testing.T) { algotest.Conformance(t, leastOfKSpec) }
//	func TestPurity(t *testing.T)      { algotest.CheckPurity(t, ".") }
//	func TestLeastLoaded(t *testing.T) {
//		b, _ := leastOfKSpec.Build(map[string]any{"k": 6}, rand.NewPCG(1, 2))
//		algotest.Property(t, b, algotest.RandomLoad(1, 10000), algotest.LeastLoaded(0))
//	}
func Example() {
	if err := algorithms.Register(leastOfKSpec); err != nil {
		panic(err)
	}
	defer algorithms.Unregister("least-of-k") // for the example only

	// What a scenario's `algorithms: [{name: least-of-k, k: 3}]` builds.
	b, err := algorithms.New("least-of-k", map[string]any{"k": 3}, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	b.Update(0, []algorithms.Backend{
		{ID: 0, Name: "web-0", Weight: 1, Healthy: true},
		{ID: 1, Name: "web-1", Weight: 1, Healthy: true},
		{ID: 2, Name: "web-2", Weight: 1, Healthy: false},
	})
	first, _ := b.Pick(algorithms.Request{})
	second, _ := b.Pick(algorithms.Request{})
	fmt.Println(first != second, second != 2)

	fmt.Println(algorithms.Validate("least-of-k", map[string]any{"k": 0}, 3))
	// Output:
	// true true
	// least-of-k: param "k": must be an integer >= 1, got 0
}
