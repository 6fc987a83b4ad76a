package proxy

// Load information (DESIGN.md §7 load_info; sim/loadinfo.go is the
// simulator's side): for a balancer that takes in-flight counts from the
// engine (algorithms.LoadAware), the proxy takes them every Refresh, from
// the backends (GET <backend>/probe, whose "inflight" is the backend's
// requests queued or in service, every proxy's) or from its own count of
// attempts in flight per backend, and hands each snapshot to the balancer
// Delay after it was taken (model.LoadBoard). Until the first is handed
// over the balancer sees every backend at 0. A backend whose poll fails
// keeps its previous count. Polling runs between Start and Shutdown, in
// two goroutines (a poller and a deliverer) that Shutdown stops and waits
// for.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// LoadInfo configures the load information a LoadAware balancer decides
// on, instead of its own live counts.
type LoadInfo struct {
	// FromBackends polls every backend's wire.Probe for its requests
	// queued or in service; otherwise the counts are the proxy's own
	// attempts in flight per backend.
	FromBackends bool
	// Refresh is the time between snapshots; below MinLoadRefresh (0
	// included: "always current") it is MinLoadRefresh.
	Refresh time.Duration
	// Delay is how long after it was taken a snapshot reaches the
	// balancer.
	Delay time.Duration
}

// MinLoadRefresh is the shortest time between two snapshots: a round of
// polls over a hundred backends every few milliseconds would take the
// CPU the requests need, so "always current" is read as this often.
const MinLoadRefresh = 10 * time.Millisecond

// loadPollTimeout bounds one backend's poll.
const loadPollTimeout = time.Second

type loadSnapshot struct {
	at     time.Duration
	counts []int64
}

// loadFeed takes the snapshots and hands them over.
type loadFeed struct {
	p     *Proxy
	cfg   LoadInfo
	aware algorithms.LoadAware // nil: the balancer takes no counts, nothing runs
	// ownCounts: the counts are the proxy's own attempts in flight
	// (backend.inflight); otherwise each backend's /probe is polled.
	ownCounts bool
	client    *http.Transport
	last      []int64 // by backend ID: the previous poll's counts, kept for a failed poll; poller only

	delivered atomic.Int64 // snapshots handed to the balancer, for tests

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newLoadFeed(p *Proxy) *loadFeed {
	f := &loadFeed{p: p}
	if p.cfg.LoadInfo == nil {
		return f
	}
	f.cfg = *p.cfg.LoadInfo
	f.cfg.Refresh = max(f.cfg.Refresh, MinLoadRefresh)
	f.cfg.Delay = max(f.cfg.Delay, 0)
	f.aware, _ = p.bal.(algorithms.LoadAware)
	if f.aware == nil {
		return f
	}
	if f.cfg.FromBackends {
		f.client = newTransport(Config{MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: loadPollTimeout}, len(p.backendList()))
	} else {
		f.ownCounts = true
	}
	return f
}

func (f *loadFeed) start() {
	if f.aware == nil {
		return
	}
	f.aware.SetLoad(f.p.now(), make([]int64, len(f.p.backendList())))
	ctx, cancel := context.WithCancel(context.Background())
	f.mu.Lock()
	f.cancel = cancel
	f.mu.Unlock()
	ch := make(chan loadSnapshot, 4)
	f.wg.Add(2)
	go f.poll(ctx, ch)
	go f.deliver(ctx, ch)
}

func (f *loadFeed) stop() {
	if f.aware == nil {
		return
	}
	f.mu.Lock()
	cancel := f.cancel
	f.cancel = nil
	f.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	f.wg.Wait()
	if f.client != nil {
		f.client.CloseIdleConnections()
	}
}

// poll takes a snapshot at once and then every Refresh.
func (f *loadFeed) poll(ctx context.Context, ch chan<- loadSnapshot) {
	defer f.wg.Done()
	t := time.NewTicker(f.cfg.Refresh)
	defer t.Stop()
	for {
		s := loadSnapshot{at: f.p.now(), counts: f.take(ctx)}
		select {
		case ch <- s:
		case <-ctx.Done():
			return
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// take reads every backend's count: its own in-flight attempts, or a
// poll of each backend at once. The set is read afresh each time: a
// discovery source may have added backends (their IDs follow the others').
func (f *loadFeed) take(ctx context.Context) []int64 {
	list := f.p.backendList()
	counts := make([]int64, len(list))
	if f.ownCounts {
		for i, b := range list {
			counts[i] = max(b.inflight.Load(), 0)
		}
		return counts
	}
	for len(f.last) < len(list) {
		f.last = append(f.last, 0)
	}
	var wg sync.WaitGroup
	for i, b := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, ok := f.pollOne(ctx, strings.TrimSuffix(b.URL, "/")+wire.Probe); ok {
				counts[i] = n
			} else {
				counts[i] = f.last[i]
			}
		}()
	}
	wg.Wait()
	copy(f.last, counts)
	return counts
}

func (f *loadFeed) pollOne(ctx context.Context, url string) (int64, bool) {
	ctx, cancel := context.WithTimeout(ctx, loadPollTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false
	}
	resp, err := f.client.RoundTrip(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, probeMaxBody))
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, false
	}
	var a probeAnswer
	if json.Unmarshal(body, &a) != nil || a.Inflight == nil || *a.Inflight < 0 {
		return 0, false
	}
	return int64(*a.Inflight), true
}

// deliver hands each snapshot to the balancer Delay after it was taken.
func (f *loadFeed) deliver(ctx context.Context, ch <-chan loadSnapshot) {
	defer f.wg.Done()
	board := model.NewLoadBoard(f.cfg.Delay)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if due, ok := board.Next(); ok {
			timer.Reset(max(due-f.p.now(), 0))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			return
		case s := <-ch:
			board.Post(s.at, s.counts)
		case <-timer.C:
		}
		if at, counts, ok := board.Visible(f.p.now()); ok {
			f.aware.SetLoad(at, counts)
			f.delivered.Add(1)
		}
	}
}
