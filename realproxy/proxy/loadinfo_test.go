package proxy

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// boardBalancer picks backend 0 and keeps the boards it is given.
type boardBalancer struct {
	mu     sync.Mutex
	boards [][]int64
	at     []time.Duration
}

func (b *boardBalancer) Update(time.Duration, []algorithms.Backend)       {}
func (b *boardBalancer) Pick(algorithms.Request) (int, error)             { return 0, nil }
func (b *boardBalancer) Started(int, time.Duration)                       {}
func (b *boardBalancer) Finished(int, time.Duration, time.Duration, bool) {}
func (b *boardBalancer) SetLoad(at time.Duration, inflight []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.boards = append(b.boards, slices.Clone(inflight))
	b.at = append(b.at, at)
}

func (b *boardBalancer) last() ([]int64, time.Duration, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.boards) == 0 {
		return nil, 0, 0
	}
	return b.boards[len(b.boards)-1], b.at[len(b.at)-1], len(b.boards)
}

// probed makes a test backend answer wire.Probe with *n requests in flight.
func probed(b *testBackend, n *atomic.Int64) {
	b.setHandler(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == wire.Probe {
			w.Write([]byte(`{"inflight":` + strconv.FormatInt(n.Load(), 10) + `,"latency_us":1}`))
			return
		}
		w.Write([]byte("ok"))
	})
}

// The proxy polls every backend's /probe and hands the balancer their
// counts, by backend ID, starting from an all-zero board; a change at a
// backend reaches the balancer with a later poll; Shutdown stops polling
// (checkLeaks).
func TestLoadInfoPollsBackends(t *testing.T) {
	checkLeaks(t)
	b0, b1 := newTestBackend(t, "b0"), newTestBackend(t, "b1")
	var n0, n1 atomic.Int64
	n0.Store(3)
	n1.Store(7)
	probed(b0, &n0)
	probed(b1, &n1)
	bal := &boardBalancer{}
	startWithBalancer(t, Config{
		Backends: backendsOf(b0, b1),
		LoadInfo: &LoadInfo{FromBackends: true, Refresh: 20 * time.Millisecond, Delay: 10 * time.Millisecond},
	}, bal)
	if first := func() []int64 { bal.mu.Lock(); defer bal.mu.Unlock(); return bal.boards[0] }(); !slices.Equal(first, []int64{0, 0}) {
		t.Errorf("first board %v, want [0 0] (nothing posted yet)", first)
	}
	eventually(t, "the backends' counts reach the balancer", func() bool {
		b, _, _ := bal.last()
		return slices.Equal(b, []int64{3, 7})
	})
	n1.Store(1)
	eventually(t, "a changed count reaches the balancer", func() bool {
		b, _, _ := bal.last()
		return slices.Equal(b, []int64{3, 1})
	})
}

// With the proxy's own counts, an attempt in flight shows on the board and
// leaves it when it ends.
func TestLoadInfoOwnCounts(t *testing.T) {
	checkLeaks(t)
	b0 := newTestBackend(t, "b0")
	release := make(chan struct{})
	b0.setHandler(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write([]byte("ok"))
	})
	bal := &boardBalancer{}
	p := startWithBalancer(t, Config{
		Backends: backendsOf(b0),
		LoadInfo: &LoadInfo{Refresh: 10 * time.Millisecond},
	}, bal)
	c := newClient(t)
	done := make(chan result)
	go func() { done <- get(t, c, p.URL()+"/") }()
	eventually(t, "the attempt in flight shows", func() bool {
		b, _, _ := bal.last()
		return slices.Equal(b, []int64{1})
	})
	close(release)
	if r := <-done; r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	eventually(t, "the finished attempt leaves the board", func() bool {
		b, _, _ := bal.last()
		return slices.Equal(b, []int64{0})
	})
}

// A balancer that takes no counts is never polled for.
func TestLoadInfoIgnoredByLoadBlind(t *testing.T) {
	checkLeaks(t)
	b0 := newTestBackend(t, "b0")
	p := startProxy(t, Config{Backends: backendsOf(b0), Algorithm: "round-robin",
		LoadInfo: &LoadInfo{FromBackends: true, Refresh: 10 * time.Millisecond}})
	if p.load.aware != nil {
		t.Fatal("round-robin taken for a LoadAware balancer")
	}
	if n := b0.hits.Load(); n != 0 {
		t.Errorf("%d polls of a backend for a load-blind balancer, want none", n)
	}
	if p.load.delivered.Load() != 0 {
		t.Error("snapshots delivered to a load-blind balancer")
	}
}
