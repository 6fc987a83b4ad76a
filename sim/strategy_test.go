package sim

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// failingBalancer picks backend 0 until its budget of picks is spent, then
// fails as a broken strategy does (not ErrNoBackend); it counts Close.
type failingBalancer struct {
	left   int
	closed *atomic.Int32
}

func (b *failingBalancer) Update(time.Duration, []algorithms.Backend) {}
func (b *failingBalancer) Pick(algorithms.Request) (int, error) {
	if b.left--; b.left < 0 {
		return 0, errors.New("the strategy's process exited")
	}
	return 0, nil
}
func (b *failingBalancer) Started(int, time.Duration)                       {}
func (b *failingBalancer) Finished(int, time.Duration, time.Duration, bool) {}
func (b *failingBalancer) Close() error                                     { b.closed.Add(1); return nil }

// TestStrategyFailureEndsRun: a Pick error other than ErrNoBackend ends the
// run with that error, saying which algorithm and when, and every balancer
// instance that is an io.Closer is closed, as also after a run that ends
// well.
func TestStrategyFailureEndsRun(t *testing.T) {
	var closed atomic.Int32
	budget := 0
	err := algorithms.Register(algorithms.Spec{
		Name: "fails-after", Summary: "test: fails after a budget of picks",
		New: func(algorithms.Params, rand.Source) (algorithms.Balancer, error) {
			return &failingBalancer{left: budget, closed: &closed}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer algorithms.Unregister("fails-after")
	sc, err := scenarios.Parse("f.yaml", []byte(`name: f
requests: 1000
balancers: 2
arrivals: {rate: 100}
servers: [{name: s, count: 2, service: {dist: constant, value: 1ms}}]
algorithms: [{name: fails-after, label: broken}]
`))
	if err != nil {
		t.Fatal(err)
	}
	budget = 300
	_, err = RunAlgorithm(context.Background(), sc, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "algorithm broken failed at") || !strings.Contains(err.Error(), "process exited") {
		t.Errorf("run with a failing strategy: %v", err)
	}
	if n := closed.Load(); n != 2 {
		t.Errorf("%d balancer instances closed, want 2", n)
	}
	closed.Store(0)
	budget = 1 << 30
	if _, err := RunAlgorithm(context.Background(), sc, 0, nil); err != nil {
		t.Fatal(err)
	}
	if n := closed.Load(); n != 2 {
		t.Errorf("after a good run, %d balancer instances closed, want 2", n)
	}
}
