package algorithms_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// An engine builds a balancer by name with the params of the scenario file,
// tells it the backend set, then picks and reports on every request.
func ExampleNew() {
	b, err := algorithms.New("p2c", map[string]any{"choices": 2}, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	b.Update(0, []algorithms.Backend{
		{ID: 0, Name: "web-0", Weight: 1, Healthy: true},
		{ID: 1, Name: "web-1", Weight: 1, Healthy: true},
		{ID: 2, Name: "web-2", Weight: 1, Healthy: false},
	})
	// Each pick counts its request in flight at once, so a second pick
	// made before the first finishes goes to the other healthy backend.
	now := 5 * time.Millisecond
	first, err := b.Pick(algorithms.Request{Now: now})
	if err != nil {
		panic(err) // ErrNoBackend: nothing healthy
	}
	b.Started(first, now)
	second, _ := b.Pick(algorithms.Request{Now: now})
	b.Started(second, now)
	b.Finished(first, now+10*time.Millisecond, 10*time.Millisecond, true)
	b.Finished(second, now+12*time.Millisecond, 12*time.Millisecond, true)
	fmt.Println("picked", first, "then", second)
	// Output: picked 1 then 0
}

// Smooth weighted round-robin spreads a heavy backend's picks over the cycle.
func ExampleNew_weightedRoundRobin() {
	b, _ := algorithms.New("weighted-round-robin", nil, rand.NewPCG(1, 2))
	b.Update(0, []algorithms.Backend{
		{ID: 0, Name: "a", Weight: 5, Healthy: true},
		{ID: 1, Name: "b", Weight: 1, Healthy: true},
		{ID: 2, Name: "c", Weight: 1, Healthy: true},
	})
	for range 7 {
		id, _ := b.Pick(algorithms.Request{})
		fmt.Print([]string{"a", "b", "c"}[id], " ")
	}
	fmt.Println()
	// Output: a a b a c a a
}

// The proxy shares one balancer between its handlers: lock the source.
func ExampleLockedSource() {
	src := algorithms.LockedSource(rand.NewPCG(1, 2))
	b, _ := algorithms.New("least-connections", nil, src)
	b.Update(0, []algorithms.Backend{{ID: 0, Name: "web-0", Weight: 1, Healthy: true}})
	id, _ := b.Pick(algorithms.Request{}) // from any goroutine
	fmt.Println(id)
	// Output: 0
}

// Validate checks a scenario's params against its server count.
func ExampleValidate() {
	err := algorithms.Validate("p2c", map[string]any{"choices": 4}, 3)
	fmt.Println(err)
	var pe *algorithms.ParamError
	fmt.Println(errors.As(err, &pe), pe.Param)
	// Output:
	// p2c: param "choices": must be <= the number of backends (3), got 4
	// true choices
}

// sim list prints one line per algorithm and its params.
func ExampleList() {
	for _, info := range algorithms.List() {
		fmt.Println(info.Name)
		for _, p := range info.Params {
			fmt.Printf("  %s (default %s)\n", p.Name, p.Default)
		}
	}
	// Output:
	// bounded-load-hash
	//   balance_factor (default 1.25)
	// ip-hash
	// join-idle-queue
	// least-connections
	// least-response-time
	//   decay (default 10s)
	//   default_rtt (default 30ms)
	// maglev
	//   table_size (default 65537)
	// p2c
	//   choices (default 2)
	// peak-ewma
	//   decay (default 10s)
	//   default_rtt (default 30ms)
	// prequal
	//   probes_per_query (default 3)
	//   pool_size (default 16)
	//   max_age (default 1s)
	//   reuse (default 2)
	//   q_rif (default 0.84)
	// random
	// ring-hash
	//   vnodes (default 100)
	// round-robin
	// sticky
	//   base (default round-robin)
	//   max_sessions (default 100000)
	// weighted-least-connections
	//   slow_start (default 0s)
	// weighted-random
	//   slow_start (default 0s)
	// weighted-round-robin
	//   slow_start (default 0s)
}

// A program adds its own strategy with Register before it runs anything;
// scenario files then name it, with its params, as they name p2c. This one
// is p2c under another name, with its own parameter d.
func ExampleRegister() {
	err := algorithms.Register(algorithms.Spec{
		Name:    "my-p2c",
		Summary: "p2c with d written as d",
		Params: []algorithms.Param{
			algorithms.Int{Name: "d", Default: 2, Min: 1, Doc: "backends sampled per pick"},
		},
		New: func(p algorithms.Params, src rand.Source) (algorithms.Balancer, error) {
			return algorithms.New("p2c", map[string]any{"choices": p.Int("d")}, src)
		},
	})
	if err != nil {
		panic(err)
	}
	defer algorithms.Unregister("my-p2c") // for the example only

	b, err := algorithms.New("my-p2c", map[string]any{"d": 3}, rand.NewPCG(1, 2))
	fmt.Println(b != nil, err)
	err = algorithms.Validate("my-p2c", map[string]any{"d": 0}, 4)
	fmt.Println(err)
	// Output:
	// true <nil>
	// my-p2c: param "d": must be an integer >= 1, got 0
}
