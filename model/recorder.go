package model

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Recorder gathers one algorithm's figures over a run (or several
// repetitions of it) and yields them as the report.Algorithm both engines
// write. As vegeta's Metrics, it is fed as things happen (Arrival, Attempt,
// Answer, Done, ...) and read once at the end (Result). Feeding it the same
// sequence gives the same bytes, whichever engine feeds it.
//
// What counts (DESIGN.md §5, DECISIONS.md "Results"): requests are the
// measured arrivals; latency figures cover the measured requests that
// completed; per-server requests are the measured attempts routed to the
// server, its errors those that did not succeed, its mean latency that of
// its successful attempts; the timeline holds every arrival, warm-up
// included (first repetition only), as do the events.
type Recorder struct {
	servers []scenarios.Server
	warmup  time.Duration
	tlWidth time.Duration

	lat       *metrics.Latency
	bm        *metrics.BatchMeans // latency (ms) of measured completions, in completion order
	bmWait    *metrics.BatchMeans // 1 if the request queued, in completion order
	requests  int64               // measured arrivals
	completed int64
	waited    int64
	rejected  int64
	failed    int64
	timedOut  int64
	srv       []serverFigures

	window           time.Duration // measured time, summed over repetitions
	winStart, winEnd time.Duration // the first repetition's window, to stamp the histogram

	classes      []classFigures  // by class; nil without classes
	hedges       *report.Hedges  // nil unless the scenario hedges
	retries      *report.Retries // nil unless it hedges or has a retry budget
	availability *float64        // set by Availability
	herd         *herding        // nil unless the scenario sets load_info (herding.go)

	tl     *metrics.Timeline // the first repetition's: the one reported
	tlNow  *metrics.Timeline // the one being written: tl, then a scratch one
	aff    *metrics.Affinity // nil when clients x servers is too large
	events []report.Event

	// Repetitions: the current one's latencies and the counts it started
	// from, and the figures of those done.
	rep                int
	repLat             *metrics.Latency
	repRequests, repOK int64
	repErrors          report.Errors
	repServers         []int64
	reps               []report.RepetitionFigures
}

// classFigures are one request class's.
type classFigures struct {
	name                       string
	requests, completed        int64
	rejected, failed, timedOut int64
	lat                        *metrics.Latency
}

type serverFigures struct {
	requests int64
	errors   int64
	latSum   float64 // ms, over successful attempts
	latN     int64
	busy     time.Duration // worker-time in the measured window, summed over repetitions
}

// NewRecorder is an empty record of a run of sc, whose timeline has windows
// sized for its expected length (ExpectedLength).
func NewRecorder(sc *scenarios.Scenario) *Recorder {
	list := sc.ServerList()
	r := &Recorder{
		servers:    list,
		lat:        metrics.NewLatency(),
		bm:         metrics.NewBatchMeans(),
		bmWait:     metrics.NewBatchMeans(),
		srv:        make([]serverFigures, len(list)),
		tlWidth:    metrics.TimelineWidth(ExpectedLength(sc)),
		warmup:     sc.Warmup,
		aff:        metrics.NewAffinity(sc.Clients, len(list)),
		repServers: make([]int64, len(list)),
	}
	if sc.Hedge != nil {
		r.hedges = &report.Hedges{}
	}
	if sc.Hedge != nil || sc.RetryBudget != nil {
		r.retries = &report.Retries{}
	}
	for _, c := range sc.Classes {
		r.classes = append(r.classes, classFigures{name: c.Name, lat: metrics.NewLatency()})
	}
	r.tl = metrics.NewTimeline(r.tlWidth, r.warmup)
	r.tlNow = r.tl
	if sc.LoadInfo != nil && sc.Unsimulated("") == nil {
		// Only where load information is in question, so that every
		// other summary keeps its bytes; and not over someone else's
		// servers of unknown speed (urls without a service), whose
		// windows (a mean service time wide) no one knows.
		r.herd = newHerding(sc, r.tlWidth)
	}
	return r
}

// Routed records that the request arriving at at (from the start of the
// run) was routed to server si, for the herding index: every arrival,
// warm-up included, once (the simulator gives its first attempt's server,
// the real engine the one that answered). A no-op unless the scenario sets
// load_info.
func (r *Recorder) Routed(at time.Duration, si int) {
	if r.herd != nil {
		r.herd.add(at, si)
	}
}

// Arrival records a request arriving at the balancer tier at (from the
// start of the run); measured says whether it came after the warm-up.
func (r *Recorder) Arrival(at time.Duration, measured bool) {
	r.tlNow.Arrival(at)
	if measured {
		r.requests++
	}
}

// Attempt records a measured request's attempt routed to server si.
func (r *Recorder) Attempt(si int) { r.srv[si].requests++ }

// Affinity records that a measured request of client c went to server si
// (the first attempt's server in the simulator; the last, in the real
// engine, which sees only that one).
func (r *Recorder) Affinity(c, si int) { r.aff.Add(c, si) }

// Answer records how a measured request's attempt at server si ended: ok
// with its latency (balancer to balancer), or not.
func (r *Recorder) Answer(si int, ok bool, latency time.Duration) {
	s := &r.srv[si]
	if ok {
		s.latSum += float64(latency) / 1e6
		s.latN++
	} else {
		s.errors++
	}
}

// Done records a request's end: it arrived at arrival (from the start of
// the run), ended as out after latency (from its arrival, over every
// attempt), and waited in a server's queue if waited. Only measured
// requests count in the figures; every one counts in the timeline.
func (r *Recorder) Done(arrival time.Duration, measured bool, out Outcome, latency time.Duration, waited bool) {
	if out == OK {
		r.tlNow.Complete(arrival, latency)
	} else {
		r.tlNow.Error(arrival)
	}
	if !measured {
		return
	}
	switch out {
	case OK:
		w := 0.0
		if waited {
			r.waited++
			w = 1
		}
		r.bmWait.Add(w)
		r.completed++
		r.lat.Record(latency)
		if r.repLat != nil {
			r.repLat.Record(latency)
		}
		r.bm.Add(float64(latency) / 1e6)
	case Failed:
		r.failed++
	case Timeout:
		r.timedOut++
	default: // Rejected, NoBackend
		r.rejected++
	}
}

// ClassDone records, for the per-class figures, how a request of class c
// ended (as Done does for the whole); engines call it beside Done when the
// scenario has classes.
func (r *Recorder) ClassDone(c int, measured bool, out Outcome, latency time.Duration) {
	if !measured || c < 0 || c >= len(r.classes) {
		return
	}
	k := &r.classes[c]
	k.requests++
	switch out {
	case OK:
		k.completed++
		k.lat.Record(latency)
	case Failed:
		k.failed++
	case Timeout:
		k.timedOut++
	default:
		k.rejected++
	}
}

// Tries are one request's extra attempts, as Recorder.Tries counts them.
type Tries struct {
	HedgesSent, HedgesDenied   int
	HedgeWon                   bool // the answer was a hedge's
	RetriesSent, RetriesDenied int
}

// Tries records a finished request's hedges and retries; only measured
// requests count, as in Done.
func (r *Recorder) Tries(measured bool, t Tries) {
	if !measured {
		return
	}
	if h := r.hedges; h != nil {
		h.Sent += int64(t.HedgesSent)
		h.DeniedByBudget += int64(t.HedgesDenied)
		if t.HedgeWon {
			h.Won++
		}
	}
	if x := r.retries; x != nil {
		x.Sent += int64(t.RetriesSent)
		x.DeniedByBudget += int64(t.RetriesDenied)
	}
}

// Availability records the run's availability (FaultSchedule.Availability
// over the measured window), for a scenario with crash faults.
func (r *Recorder) Availability(x float64) { r.availability = &x }

// Busy adds d of worker-time in the measured window to server si.
func (r *Recorder) Busy(si int, d time.Duration) { r.srv[si].busy += d }

// Window adds a measured window, from start to end since the start of the
// run (one per repetition).
func (r *Recorder) Window(start, end time.Duration) {
	if r.window == 0 && r.rep == 0 {
		r.winStart, r.winEnd = start, end
	}
	r.window += end - start
}

// Event records a moment of the timeline, up to report.MaxEvents. An
// engine that repeats a run records the first repetition's only. Result
// puts them in time order (stable: simultaneous events keep the order
// they were recorded in), since a real run's come from several goroutines.
func (r *Recorder) Event(e report.Event) {
	if len(r.events) < report.MaxEvents {
		r.events = append(r.events, e)
	}
}

// Repeated says the run will have repetitions: call it before the first,
// and EndRepetition after each.
func (r *Recorder) Repeated() {
	if r.repLat == nil {
		r.repLat = metrics.NewLatency()
	}
}

// EndRepetition closes a repetition whose measured window lasted window:
// it keeps the repetition's own figures and starts the next one's.
func (r *Recorder) EndRepetition(window time.Duration) {
	r.Repeated()
	if r.herd != nil {
		r.herd.endRepetition()
	}
	errs := report.Errors{Rejected: r.rejected, Failed: r.failed, Timeout: r.timedOut}
	l := r.repLat.Summary()
	f := report.RepetitionFigures{MeanMS: l.Mean, P50MS: l.P50, P90MS: l.P90, P99MS: l.P99, P999MS: l.P999}
	if window > 0 {
		f.ThroughputRPS = float64(r.completed-r.repOK) / window.Seconds()
	}
	f.ErrorRate = report.ErrorRate(&report.Algorithm{Requests: r.requests - r.repRequests, Errors: report.Errors{
		Rejected: errs.Rejected - r.repErrors.Rejected,
		Failed:   errs.Failed - r.repErrors.Failed,
		Timeout:  errs.Timeout - r.repErrors.Timeout,
	}})
	share := make([]float64, len(r.srv))
	for i, s := range r.srv {
		share[i] = float64(s.requests-r.repServers[i]) / r.servers[i].Weight
		r.repServers[i] = s.requests
	}
	f.Jain = metrics.Fairness(share).Jain
	r.reps = append(r.reps, f)
	r.repLat.Reset()
	r.repRequests, r.repOK, r.repErrors = r.requests, r.completed, errs
	if r.rep++; r.rep == 1 {
		// Later repetitions' timelines are not reported: they go to scratch.
		r.tlNow = metrics.NewTimeline(r.tlWidth, r.warmup)
	}
}

// LatencyBatches and WaitBatches are the batch means of the measured
// completions' latencies (ms) and of whether they queued (0 or 1), in
// completion order: for tests against theory, which want their standard
// errors.
func (r *Recorder) LatencyBatches() *metrics.BatchMeans { return r.bm }

// WaitBatches: see LatencyBatches.
func (r *Recorder) WaitBatches() *metrics.BatchMeans { return r.bmWait }

// Result is the figures of algorithm alg of the run.
func (r *Recorder) Result(alg scenarios.Algorithm) report.Algorithm {
	a := report.Algorithm{
		Label:     alg.Label,
		Algorithm: alg.Name,
		Requests:  r.requests,
		Completed: r.completed,
		Errors:    report.Errors{Rejected: r.rejected, Failed: r.failed, Timeout: r.timedOut},
		Latency:   r.lat.Summary(),
		Servers:   make([]report.Server, len(r.srv)),
		Events:    slices.Clone(r.events),
		Affinity:  r.aff.Value(),
		Timeline:  r.tl.Report(),
	}
	slices.SortStableFunc(a.Events, func(x, y report.Event) int { return cmp.Compare(x.AtMS, y.AtMS) })
	if len(alg.Params) > 0 {
		a.Params = maps.Clone(alg.Params)
	}
	if len(r.reps) >= 2 {
		a.Repetitions = slices.Clone(r.reps)
	}
	a.LatencyQuantiles = r.lat.QuantileGrid(report.QuantileGrid) // nil if none completed
	a.Histogram = r.lat.Histogram()
	a.Histogram.SetStartTimeMs(r.winStart.Milliseconds())
	a.Histogram.SetEndTimeMs(r.winEnd.Milliseconds())
	if r.window > 0 {
		a.ThroughputRPS = float64(r.completed) / r.window.Seconds()
	}
	if r.bm.Batches() >= 2 {
		a.Latency.MeanCI95 = r.bm.HalfWidth(0.95)
	}
	if r.completed > 0 {
		a.WaitProbability = float64(r.waited) / float64(r.completed)
	}
	share := make([]float64, len(r.srv))
	for si := range r.srv {
		s := &r.srv[si]
		out := report.Server{Name: r.servers[si].Name, Requests: s.requests, Errors: s.errors}
		if r.window > 0 {
			out.Utilization = float64(s.busy) / (float64(r.window) * float64(r.servers[si].Concurrency))
		}
		if s.latN > 0 {
			out.Latency.Mean = s.latSum / float64(s.latN)
		}
		a.Servers[si] = out
		share[si] = float64(s.requests) / r.servers[si].Weight
	}
	a.Fairness = metrics.Fairness(share)
	a.Availability = r.availability
	if r.herd != nil {
		if r.rep == 0 {
			r.herd.closeBefore(r.herd.newest + 1)
		}
		if h, ok := r.herd.value(); ok {
			a.Herding = &h
		}
		if a.Timeline != nil {
			for i := range a.Timeline.Windows {
				a.Timeline.Windows[i].Herding = r.herd.timeline(i)
			}
		}
	}
	if r.hedges != nil {
		h := *r.hedges
		a.Hedges = &h
	}
	if r.retries != nil {
		x := *r.retries
		a.Retries = &x
	}
	for _, k := range r.classes {
		a.Classes = append(a.Classes, report.ClassFigures{
			Name: k.name, Requests: k.requests, Completed: k.completed,
			Errors:  report.Errors{Rejected: k.rejected, Failed: k.failed, Timeout: k.timedOut},
			Latency: k.lat.Summary(),
		})
	}
	return a
}
