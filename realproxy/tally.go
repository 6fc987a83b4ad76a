package realproxy

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// outcome is a request's fate, as the simulator counts it (DECISIONS.md).
type outcome int

const (
	outOK       outcome = iota
	outRejected         // no backend available (the proxy's 503 no-backend), or a full queue (a backend's 503)
	outFailed           // a crash (the proxy's 502), a 500, anything unexpected
	outTimeout          // the proxy's 504, or no answer within the client's own timeout
)

// classify reads a result as the simulator would have counted it:
//
//	2xx                                   ok
//	503 with X-Fulcrum-Error: no-backend  rejected (ErrNoBackend)
//	503 with X-Fulcrum-Backend            rejected (the backend's queue was full)
//	504, or the client's own timeout      timeout
//	anything else (500, 502, other 503s,
//	connection errors)                    failed
func classify(res *vegeta.Result) outcome {
	switch c := res.Code; {
	case c >= 200 && c < 300:
		return outOK
	case c == http.StatusServiceUnavailable:
		if res.Headers.Get(wire.Error) == "no-backend" || res.Headers.Get(wire.Backend) != "" {
			return outRejected
		}
		return outFailed
	case c == http.StatusGatewayTimeout:
		return outTimeout
	case c == 0 && isTimeout(res.Error):
		return outTimeout
	}
	return outFailed
}

// isTimeout tells whether a client-side error is http.Client's timeout:
// `Get "...": context deadline exceeded (Client.Timeout exceeded while
// awaiting headers)` and its variants.
func isTimeout(msg string) bool {
	return strings.Contains(msg, "Client.Timeout") || strings.Contains(msg, "deadline exceeded") ||
		strings.Contains(msg, "timeout")
}

// tally accumulates one algorithm's results over its repetitions into the
// figures of report.Algorithm. It is used by one goroutine.
type tally struct {
	lat       *metrics.Latency
	bm        *metrics.BatchMeans // latency (ms) of measured completions, in completion order
	requests  int64               // measured arrivals
	completed int64
	waited    int64
	rejected  int64
	failed    int64
	timedOut  int64
	window    time.Duration // measured window, summed over repetitions
	servers   []serverTally
	byName    map[string]int
	// unattributed counts measured errors that name no known backend
	// (client errors, proxy answers without a backend); they are in the
	// errors but on no server. The proxy's no-backend 503 is not counted
	// here: it rightly belongs to no server.
	unattributed int64

	evMu   sync.Mutex
	events []report.Event // the first repetition's timeline

	tl  *metrics.Timeline // the first repetition's latency and errors over time; nil until set
	aff *metrics.Affinity // clients' requests per server (final attempts); nil when too large

	// The current repetition's latencies and the counts it started from,
	// and the figures of the repetitions done (see endRepetition).
	repLat                        *metrics.Latency
	repRequests, repOK, repErrors int64
	repServers                    []int64 // each server's requests
	weights                       []float64
	reps                          []report.RepetitionFigures
}

// endRepetition closes a repetition whose measured window lasted window:
// it records the repetition's own figures and starts the next one's.
func (t *tally) endRepetition(window time.Duration) {
	errs := t.rejected + t.failed + t.timedOut
	l := t.repLat.Summary()
	f := report.RepetitionFigures{MeanMS: l.Mean, P50MS: l.P50, P90MS: l.P90, P99MS: l.P99, P999MS: l.P999}
	if window > 0 {
		f.ThroughputRPS = float64(t.completed-t.repOK) / window.Seconds()
	}
	if n := t.requests - t.repRequests; n > 0 {
		f.ErrorRate = float64(errs-t.repErrors) / float64(n)
	}
	share := make([]float64, len(t.servers))
	for i, s := range t.servers {
		share[i] = float64(s.requests-t.repServers[i]) / t.weights[i]
		t.repServers[i] = s.requests
	}
	f.Jain = metrics.Fairness(share).Jain
	t.reps = append(t.reps, f)
	t.repLat.Reset()
	t.repRequests, t.repOK, t.repErrors = t.requests, t.completed, errs
}

// timeline records, for the over-time plots, a request that arrived at the
// scheduled time at (warm-up included) and ended as res says.
func (t *tally) timeline(at time.Duration, res *vegeta.Result) {
	t.tl.Arrival(at)
	if classify(res) == outOK {
		t.tl.Complete(at, res.Latency)
	} else {
		t.tl.Error(at)
	}
}

// event records a timeline entry, from any goroutine.
func (t *tally) event(at time.Duration, server, what string) {
	t.evMu.Lock()
	defer t.evMu.Unlock()
	if len(t.events) < report.MaxEvents {
		t.events = append(t.events, report.Event{AtMS: float64(at) / 1e6, Server: server, What: what})
	}
}

type serverTally struct {
	requests int64 // measured attempts answered by or on behalf of this server
	errors   int64
	latSum   float64 // ms, over successful attempts
	latN     int64
	busy     time.Duration // worker-time over the measured window, summed over repetitions
}

func newTally(list []scenarios.Server) *tally {
	t := &tally{
		lat:     metrics.NewLatency(),
		repLat:  metrics.NewLatency(),
		bm:      metrics.NewBatchMeans(),
		servers: make([]serverTally, len(list)),
		byName:  make(map[string]int, len(list)),
	}
	t.repServers, t.weights = make([]int64, len(list)), make([]float64, len(list))
	for i, s := range list {
		t.byName[s.Name] = i
		t.weights[i] = s.Weight
	}
	return t
}

// add counts one result; measured says whether its arrival came after the
// warm-up. Results of warm-up arrivals are not counted at all. The server
// it is counted on is the one its X-Fulcrum-Backend header names, or else
// the one whose URL (in byURL, this measurement's) its X-Forwarded-Server
// header gives: the proxy names the backend of its last attempt on its own
// 502 and 504 answers.
func (t *tally) add(res *vegeta.Result, measured bool, byURL map[string]int) {
	if !measured {
		return
	}
	t.requests++
	out := classify(res)
	srv := -1
	if name := res.Headers.Get(wire.Backend); name != "" {
		if i, ok := t.byName[name]; ok {
			srv = i
		}
	} else if u := res.Headers.Get(wire.Server); u != "" {
		if i, ok := byURL[u]; ok {
			srv = i
		}
	}
	if srv < 0 && out != outOK && !(out == outRejected && res.Headers.Get(wire.Error) == "no-backend") {
		t.unattributed++
	}
	ms := float64(res.Latency) / 1e6
	if srv >= 0 {
		s := &t.servers[srv]
		s.requests++
		if out == outOK {
			s.latSum += ms
			s.latN++
		} else {
			s.errors++
		}
	}
	switch out {
	case outOK:
		t.completed++
		t.lat.Record(res.Latency)
		t.repLat.Record(res.Latency)
		t.bm.Add(ms)
		if q := res.Headers.Get(wire.Queue); q != "" {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v > 0 {
				t.waited++
			}
		}
	case outRejected:
		t.rejected++
	case outTimeout:
		t.timedOut++
	default:
		t.failed++
	}
}

// result assembles the figures, as sim's engine.result does.
func (t *tally) result(sc *scenarios.Scenario, i int) report.Algorithm {
	alg := sc.Algorithms[i]
	list := sc.ServerList()
	r := report.Algorithm{
		Label:     alg.Label,
		Algorithm: alg.Name,
		Requests:  t.requests,
		Completed: t.completed,
		Errors:    report.Errors{Rejected: t.rejected, Failed: t.failed, Timeout: t.timedOut},
		Latency:   t.lat.Summary(),
		Servers:   make([]report.Server, len(list)),
		Events:    t.sortedEvents(),
		Timeline:  t.tl.Report(),
		Affinity:  t.aff.Value(),
	}
	if len(alg.Params) > 0 {
		r.Params = maps.Clone(alg.Params)
	}
	if len(t.reps) >= 2 {
		r.Repetitions = slices.Clone(t.reps)
	}
	if t.completed > 0 {
		r.LatencyQuantiles = t.lat.QuantileGrid(report.QuantileGrid)
		r.WaitProbability = float64(t.waited) / float64(t.completed)
	}
	if t.window > 0 {
		r.ThroughputRPS = float64(t.completed) / t.window.Seconds()
	}
	if t.bm.Batches() >= 2 {
		r.Latency.MeanCI95 = t.bm.HalfWidth(0.95)
	}
	share := make([]float64, len(list))
	for si, s := range t.servers {
		srv := report.Server{Name: list[si].Name, Requests: s.requests, Errors: s.errors}
		if t.window > 0 {
			srv.Utilization = float64(s.busy) / (float64(t.window) * float64(list[si].Concurrency))
		}
		if s.latN > 0 {
			srv.Latency.Mean = s.latSum / float64(s.latN)
		}
		r.Servers[si] = srv
		share[si] = float64(s.requests) / list[si].Weight
	}
	r.Fairness = metrics.Fairness(share)
	return r
}

// affinity counts a measured request of client c by the backend that
// answered it. With retries only the final attempt is visible, so this is
// the final attempt's server where the simulator counts the first's.
func (t *tally) affinity(c int, res *vegeta.Result) {
	if i, ok := t.byName[res.Headers.Get(wire.Backend)]; ok {
		t.aff.Add(c, i)
	}
}

// sortedEvents returns the timeline in time order (faults and health changes
// are reported from different goroutines).
func (t *tally) sortedEvents() []report.Event {
	t.evMu.Lock()
	defer t.evMu.Unlock()
	ev := slices.Clone(t.events)
	slices.SortStableFunc(ev, func(a, b report.Event) int { return cmp.Compare(a.AtMS, b.AtMS) })
	return ev
}
