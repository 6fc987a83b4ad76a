package algorithms

// Latency estimates kept per backend ID, outside the snapshots, for
// peak-ewma and least-response-time: Finagle's PeakEwma
// (finagle-core loadbalancer/PeakEwma.scala) and tower's / linkerd2-proxy's
// load::PeakEwma, with time passed in and the decay computed from the stored
// timestamp instead of being stored on every read.

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

var (
	ewmaDecay = Duration{
		Name: "decay", Default: 10 * time.Second,
		Doc: "tau: a sample's weight fades as exp(-dt/tau); an idle estimate decays toward 0 likewise",
	}
	ewmaDefaultRTT = Duration{
		Name: "default_rtt", Default: 30 * time.Millisecond,
		Doc: "estimate of a backend before its first response (linkerd2-proxy's default)",
	}
)

// estimate is one backend's latency estimate: v nanoseconds as of stamp.
//
// A sample x at time now, dt = now - stamp, w = exp(-dt/tau):
//
//	peak:     v = x                  if x > v  (a rise is believed at once)
//	          v = v*w + x*(1-w)      otherwise
//	not peak: v = v*w + x*(1-w)      always (least-response-time)
//
// then stamp = now. Read at time t, the estimate is
//
//	v * exp(-(t - stamp)/tau)
//
// which is what Finagle's get() (observe(0)) and tower's decay() would return
// for a read at t; they store it, this computes it and stores nothing, so a
// backend that nobody sends to decays toward 0 and is tried again, but the
// weight w of the next sample runs from the last sample, not the last read.
// A backend first listed at time t0 starts with v = default_rtt, stamp = t0,
// as linkerd2-proxy's endpoints do. Failed requests are observed like any
// other (a backend that fails fast looks fast: ejecting it is the health
// checks' job).
//
// Reads take no lock: since v*exp(-(t-stamp)/tau) = exp(rank - t/tau) with
//
//	rank = ln(v) + stamp/tau
//
// observe publishes rank atomically, and at computes one exp from it. rank
// orders backends by their estimates at any common t, without the exp
// (least-response-time compares ranks).
type estimate struct {
	mu    sync.Mutex // serialises observe
	v     float64    // nanoseconds; guarded by mu
	stamp time.Duration
	rank  atomic.Uint64 // math.Float64bits of ln(v) + stamp/tau
}

func newEstimate(v float64, stamp time.Duration, tau float64) *estimate {
	e := &estimate{v: v, stamp: stamp}
	e.publish(tau)
	return e
}

func (e *estimate) publish(tau float64) {
	e.rank.Store(math.Float64bits(math.Log(e.v) + float64(e.stamp)/tau))
}

// order returns rank: a lower rank is a lower estimate at any common time.
func (e *estimate) order() float64 { return math.Float64frombits(e.rank.Load()) }

// at returns the estimate read at now, in nanoseconds.
func (e *estimate) at(now time.Duration, tau float64) float64 {
	return math.Exp(e.order() - float64(now)/tau)
}

// observe folds the sample x in at now.
func (e *estimate) observe(now, x time.Duration, tau float64, peak bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := float64(max(x, 0))
	if peak && s > e.v {
		e.v = s
	} else {
		w := decayFactor(now-e.stamp, tau)
		e.v = e.v*w + s*(1-w)
	}
	if now > e.stamp { // times from several goroutines may be slightly out of order
		e.stamp = now
	}
	e.publish(tau)
}

// decayFactor is exp(-dt/tau), 1 for dt <= 0.
func decayFactor(dt time.Duration, tau float64) float64 {
	if dt <= 0 {
		return 1
	}
	return math.Exp(-float64(dt) / tau)
}

// estimates holds the estimates by backend ID, for every ID ever listed; it
// grows at Update and an estimate outlives its backend's absence.
type estimates struct {
	mu   sync.Mutex // serialises grow
	byID atomic.Pointer[[]*estimate]
	def  float64 // default_rtt in nanoseconds
	tau  float64 // decay in nanoseconds
}

func newEstimates(decay, defaultRTT time.Duration) estimates {
	return estimates{def: float64(defaultRTT), tau: float64(decay)}
}

// grow gives every backend of bs an estimate, new ones starting at now.
func (es *estimates) grow(now time.Duration, bs []Backend) {
	es.mu.Lock()
	defer es.mu.Unlock()
	var cur []*estimate
	if p := es.byID.Load(); p != nil {
		cur = *p
	}
	next, copied := cur, false
	for _, b := range bs {
		if b.ID < len(next) && next[b.ID] != nil {
			continue
		}
		if !copied { // copy on write: readers keep the old slice
			next, copied = append([]*estimate(nil), cur...), true
		}
		for len(next) <= b.ID {
			next = append(next, nil)
		}
		next[b.ID] = newEstimate(es.def, now, es.tau)
	}
	if copied {
		es.byID.Store(&next)
	}
}

// get returns the estimate of id, or nil for an ID never listed.
func (es *estimates) get(id int) *estimate {
	p := es.byID.Load()
	if p == nil || id < 0 || id >= len(*p) {
		return nil
	}
	return (*p)[id]
}

// cost returns id's estimate read at now, in nanoseconds.
func (es *estimates) cost(id int, now time.Duration) float64 {
	if e := es.get(id); e != nil {
		return e.at(now, es.tau)
	}
	return es.def
}

// order returns id's rank (estimate.order), comparable across backends.
func (es *estimates) order(id int) float64 {
	if e := es.get(id); e != nil {
		return e.order()
	}
	return math.Inf(1)
}

// observe folds a sample into id's estimate; unknown IDs are ignored.
func (es *estimates) observe(id int, now, latency time.Duration, peak bool) {
	if e := es.get(id); e != nil {
		e.observe(now, latency, es.tau, peak)
	}
}

// newPeakEWMASpec and newLeastResponseTimeSpec build the two from their
// Specs' params (decay, default_rtt).
func newPeakEWMASpec(p Params, src rand.Source) (Balancer, error) {
	return newPeakEWMA(src, p.Duration(ewmaDecay.Name), p.Duration(ewmaDefaultRTT.Name)), nil
}

func newLeastResponseTimeSpec(p Params, src rand.Source) (Balancer, error) {
	return newLeastResponseTime(src, p.Duration(ewmaDecay.Name), p.Duration(ewmaDefaultRTT.Name)), nil
}
