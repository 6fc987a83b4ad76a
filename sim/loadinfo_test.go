package sim

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// boardWatcher alternates between its backends and writes down what the
// engine shows it: the board at each pick, and each Finished.
type boardWatcher struct {
	n     int
	next  int
	board []int64
	log   *watchLog
}

type watchLog struct {
	picks    []watchedPick
	finishes []time.Duration // by ID: appended as (time, id) pairs below
	finIDs   []int
	sets     int
}

type watchedPick struct {
	at    time.Duration
	id    int
	board []int64
}

func (b *boardWatcher) Update(_ time.Duration, bs []algorithms.Backend) { b.n = len(bs) }
func (b *boardWatcher) Pick(req algorithms.Request) (int, error) {
	id := b.next
	b.next = (b.next + 1) % b.n
	b.log.picks = append(b.log.picks, watchedPick{req.Now, id, slices.Clone(b.board)})
	return id, nil
}
func (b *boardWatcher) Started(int, time.Duration) {}
func (b *boardWatcher) Finished(id int, now, _ time.Duration, _ bool) {
	b.log.finishes = append(b.log.finishes, now)
	b.log.finIDs = append(b.log.finIDs, id)
}
func (b *boardWatcher) SetLoad(_ time.Duration, inflight []int64) {
	b.board = slices.Clone(inflight)
	b.log.sets++
}

// inFlightAfter is what the log says backend id held once everything at or
// before t had happened. With no network delay a request is at its server
// from its pick to its Finished, so this is the server's queued + in
// service count as well as the balancer's own.
func (l *watchLog) inFlightAfter(t time.Duration, n int) []int64 {
	c := make([]int64, n)
	for _, p := range l.picks {
		if p.at <= t {
			c[p.id]++
		}
	}
	for i, f := range l.finishes {
		if f <= t {
			c[l.finIDs[i]]--
		}
	}
	return c
}

// TestLoadInfoSnapshots: an algorithm sees the counts frozen between
// refreshes and delay late. Arrivals every 50ms to two servers of constant
// service 131ms (they queue); refresh 107.3ms and delay 31.7ms are chosen so
// that no snapshot, visibility or change shares an instant with another
// within the run, so the expected board at each pick is unambiguous.
func TestLoadInfoSnapshots(t *testing.T) {
	var log *watchLog
	err := algorithms.Register(algorithms.Spec{
		Name: "board-watcher", Summary: "test: records the load board it is shown",
		New: func(algorithms.Params, rand.Source) (algorithms.Balancer, error) {
			return &boardWatcher{log: log}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer algorithms.Unregister("board-watcher")
	const refresh, delay = 107300 * time.Microsecond, 31700 * time.Microsecond
	tests := []struct {
		name     string
		loadInfo string
		// seen is the time whose counts a pick at t is shown, and
		// whether any snapshot is visible yet (else all zero).
		seen func(t time.Duration) (time.Duration, bool)
	}{
		{"servers periodic delayed", "{source: servers, refresh: 107.3ms, delay: 31.7ms}", func(t time.Duration) (time.Duration, bool) {
			if t < delay {
				return 0, false
			}
			return (t - delay) / refresh * refresh, true
		}},
		{"servers periodic", "{source: servers, refresh: 107.3ms}", func(t time.Duration) (time.Duration, bool) {
			return t / refresh * refresh, true
		}},
		{"local periodic delayed", "{source: local, refresh: 107.3ms, delay: 31.7ms}", func(t time.Duration) (time.Duration, bool) {
			if t < delay {
				return 0, false
			}
			return (t - delay) / refresh * refresh, true
		}},
		{"servers continuous", "{source: servers, refresh: 0s}", func(t time.Duration) (time.Duration, bool) {
			return t - 1, true // everything before the pick itself
		}},
		{"servers continuous delayed", "{source: servers, refresh: 0s, delay: 31.7ms}", func(t time.Duration) (time.Duration, bool) {
			return t - delay, t >= delay
		}},
		{"local continuous delayed", "{source: local, refresh: 0s, delay: 31.7ms}", func(t time.Duration) (time.Duration, bool) {
			return t - delay, t >= delay
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log = &watchLog{}
			sc, err := scenarios.Parse("w.yaml", []byte(`name: w
requests: 24
arrivals: {process: constant, rate: 20}
servers: [{name: s, count: 2, service: {dist: constant, value: 131ms}}]
load_info: `+tt.loadInfo+`
algorithms: [board-watcher]
`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := RunAlgorithm(context.Background(), sc, 0, nil); err != nil {
				t.Fatal(err)
			}
			if len(log.picks) != 24 || log.sets == 0 {
				t.Fatalf("%d picks, %d boards set", len(log.picks), log.sets)
			}
			for _, p := range log.picks {
				want := []int64{0, 0}
				if at, ok := tt.seen(p.at); ok {
					want = log.inFlightAfter(at, 2)
				}
				if !slices.Equal(p.board, want) {
					t.Errorf("pick at %v saw %v, want %v", p.at, p.board, want)
				}
			}
		})
	}
}

// Without load_info, or with local counts always current, the engine shows
// the algorithm nothing: it keeps its own live counts.
func TestLoadInfoLiveSetsNothing(t *testing.T) {
	var log *watchLog
	if err := algorithms.Register(algorithms.Spec{
		Name: "board-watcher-live", Summary: "test",
		New: func(algorithms.Params, rand.Source) (algorithms.Balancer, error) {
			return &boardWatcher{log: log}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	defer algorithms.Unregister("board-watcher-live")
	for _, li := range []string{"", "load_info: {source: local}\n", "load_info: {source: local, refresh: 0s, delay: 0s}\n"} {
		log = &watchLog{}
		sc, err := scenarios.Parse("w.yaml", []byte(`name: w
requests: 10
arrivals: {process: constant, rate: 20}
servers: [{name: s, count: 2, service: {dist: constant, value: 131ms}}]
`+li+`algorithms: [board-watcher-live]
`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := RunAlgorithm(context.Background(), sc, 0, nil); err != nil {
			t.Fatal(err)
		}
		if log.sets != 0 {
			t.Errorf("%q: SetLoad called %d times, want never", li, log.sets)
		}
	}
}
