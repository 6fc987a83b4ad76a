package external_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/external"
)

// ExampleNew runs the Python example strategy and picks through it as an
// engine does. (Not run as a test: it needs python3; see TestLeastLoaded.)
func ExampleNew() {
	b, err := external.New(external.Config{
		Command:     []string{"python3", "python/least_loaded.py"},
		Params:      map[string]any{"alpha": 0.2},
		PickTimeout: 500 * time.Millisecond,
	}, rand.NewPCG(1, 2))
	if err != nil {
		fmt.Println(err) // e.g. external strategy failed: python3 python/least_loaded.py: refused to start: ...
		return
	}
	defer b.Close()
	b.Update(0, []algorithms.Backend{
		{ID: 0, Name: "web-0", Weight: 1, Healthy: true},
		{ID: 1, Name: "web-1", Weight: 1, Healthy: true},
	})
	now := time.Millisecond
	id, err := b.Pick(algorithms.Request{Now: now, Key: 42})
	switch {
	case errors.Is(err, algorithms.ErrNoBackend):
		fmt.Println("rejected: no backend") // the strategy answered {"none": true}
	case err != nil:
		fmt.Println(err) // the strategy is broken; every later Pick says the same
	default:
		b.Started(id, now)
		b.Finished(id, now+3*time.Millisecond, 3*time.Millisecond, true)
	}
}
