package sim

import (
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/model"
)

// Load information (DESIGN.md §7 load_info, scenarios.LoadInfo): what
// in-flight counts a load-aware algorithm (algorithms.LoadAware) decides
// on. Absent, or local with no refresh and no delay, each balancer reads
// its own live counts and none of this runs (e.load is nil). Otherwise the
// counts are
//
//	servers: each server's requests queued or in service (every
//	         balancer's; not those on the wire to or from it)
//	local:   the balancer's own requests per server, from its Pick to its
//	         Finished (what its own counters hold)
//
// taken every refresh from t = 0 (evLoadRefresh), or at every change when
// refresh is 0, and handed to the algorithm (SetLoad) delay after they were
// taken (evLoadVisible, through a model.LoadBoard per balancer). Until the
// first snapshot is visible the algorithm sees every server at 0, the
// bulletin board's initial state. With refresh 0 and no delay the servers'
// counts are read at each pick. Algorithms that do not take counts (random,
// round-robin, the hashes, join-idle-queue) run as without load_info.
type loadFeed struct {
	servers bool
	refresh time.Duration
	delay   time.Duration
	aware   []algorithms.LoadAware // by balancer; nil for one that takes no counts
	boards  []*model.LoadBoard     // by balancer
	own     [][]int64              // local: by balancer, its requests per server
	scratch []int64
}

// initLoad sets up the feed after the balancers are built.
func (e *engine) initLoad() {
	li := e.sc.LoadInfo
	if li.Live() {
		return
	}
	f := &loadFeed{
		servers: model.LoadFromServers(e.sc),
		refresh: li.Refresh,
		delay:   li.Delay,
		aware:   make([]algorithms.LoadAware, len(e.bals)),
		boards:  make([]*model.LoadBoard, len(e.bals)),
		scratch: make([]int64, len(e.servers)),
	}
	taking := false
	for j := range e.bals {
		f.aware[j], _ = e.bals[j].b.(algorithms.LoadAware)
		taking = taking || f.aware[j] != nil
		f.boards[j] = model.NewLoadBoard(f.delay)
	}
	if !taking {
		return
	}
	if !f.servers {
		f.own = make([][]int64, len(e.bals))
		for j := range f.own {
			f.own[j] = make([]int64, len(e.servers))
		}
	}
	e.load = f
	for _, la := range f.aware {
		if la != nil {
			la.SetLoad(0, f.scratch) // all zero: the board before anything is posted
		}
	}
	if f.refresh > 0 {
		e.q.push(0, evLoadRefresh, 0, 0)
	}
}

// counts fills f.scratch with what balancer j's board shows now.
func (e *engine) loadCounts(j int) []int64 {
	f := e.load
	if f.servers {
		for si := range e.servers {
			s := &e.servers[si]
			f.scratch[si] = int64(s.inflight())
		}
	} else {
		copy(f.scratch, f.own[j])
	}
	return f.scratch
}

// loadPost posts balancer j's counts as of now, to be seen delay later.
func (e *engine) loadPost(j int) {
	f := e.load
	if f.aware[j] == nil {
		return
	}
	now := e.q.now
	if f.delay == 0 {
		f.aware[j].SetLoad(now, e.loadCounts(j))
		return
	}
	f.boards[j].Post(now, e.loadCounts(j))
	e.q.push(now+f.delay, evLoadVisible, int32(j), 0)
}

// loadRefresh is a periodic snapshot (evLoadRefresh).
func (e *engine) loadRefresh() {
	for j := range e.bals {
		e.loadPost(j)
	}
	e.q.push(e.q.now+e.load.refresh, evLoadRefresh, 0, 0)
}

// loadVisible hands balancer j the latest snapshot now visible.
func (e *engine) loadVisible(j int) {
	f := e.load
	if at, counts, ok := f.boards[j].Visible(e.q.now); ok {
		f.aware[j].SetLoad(at, counts)
	}
}

// loadBeforePick: refresh 0 without delay reads the servers' counts at
// each pick (the local counterpart is the balancer's own live view).
//
// It and loadServerChanged are small enough to inline, so that a run
// without load information pays a nil check per call, not a call.
func (e *engine) loadBeforePick(j int) {
	if e.load != nil {
		e.loadBeforePickFed(j)
	}
}

func (e *engine) loadBeforePickFed(j int) {
	if f := e.load; f != nil && f.refresh == 0 && f.delay == 0 && f.aware[j] != nil {
		f.aware[j].SetLoad(e.q.now, e.loadCounts(j))
	}
}

// loadServerChanged notes that a server's queued + in-service count
// changed: with refresh 0 and a delay, every change is posted.
func (e *engine) loadServerChanged() {
	if e.load != nil {
		e.loadServerChangedFed()
	}
}

func (e *engine) loadServerChangedFed() {
	if f := e.load; f != nil && f.servers && f.refresh == 0 && f.delay > 0 {
		for j := range e.bals {
			e.loadPost(j)
		}
	}
}

// loadOwn adds d to balancer j's own count for server si (local source).
func (e *engine) loadOwn(j, si int, d int64) {
	f := e.load
	if f == nil || f.servers {
		return
	}
	f.own[j][si] += d
	if f.refresh == 0 { // then delay > 0: continuous update with delay
		e.loadPost(j)
	}
}
