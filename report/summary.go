// Package report defines Fulcrum's result files (DESIGN.md §5) and writes
// them: summary.json, summary.csv, run.json and the terminal table. Both
// engines produce the same Summary, so their results compare directly.
package report

import (
	"encoding/json"
	"math"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Summary is summary.json. Field names are a contract: scripts and CI depend on
// them. Extend, never rename.
//
// A run of K >= 2 seeds (sim run --seeds K) lists them in Seeds; every
// figure is then the first seed's run (Seed's) but Algorithm.CI, which
// aggregates them all. A run of one seed leaves Seeds empty.
type Summary struct {
	Scenario         string      `json:"scenario"`
	Engine           string      `json:"engine"` // "sim" or "real"
	Seed             uint64      `json:"seed"`
	Seeds            []uint64    `json:"seeds,omitempty"` // sim run --seeds K >= 2: Seed .. Seed+K-1
	Algorithms       []Algorithm `json:"algorithms"`
	ScenarioResolved any         `json:"scenario_resolved"`
	// CompareSim, in a real engine's summary made with bench run
	// --compare-sim, sets each algorithm's latencies beside the simulator's
	// for the same scenario and seed.
	CompareSim []Comparison `json:"compare_sim,omitempty"`
	// Verdict says which algorithm to run and why (Verdict's fields), as
	// package verdict decides it from the figures above; omitted where
	// nothing decided one (a summary read from an older file).
	Verdict *Verdict `json:"verdict,omitempty"`
}

// Algorithm holds the figures of one configured algorithm. Requests counts
// arrivals after warm-up; latency figures cover those of them that completed.
type Algorithm struct {
	Label         string         `json:"label"`
	Algorithm     string         `json:"algorithm"`
	Params        map[string]any `json:"params,omitempty"`
	Requests      int64          `json:"requests"`
	Completed     int64          `json:"completed"`
	Errors        Errors         `json:"errors"`
	ThroughputRPS float64        `json:"throughput_rps"`
	Latency       Latency        `json:"latency_ms"`
	Fairness      Fairness       `json:"fairness"`
	// WaitProbability is the fraction of completed requests that queued at a
	// server before service.
	WaitProbability float64 `json:"wait_probability"`
	// Affinity is the share of requests that went to their client's most
	// used server (first attempts, after warm-up): 1 when every client
	// always lands on one server (hashing), about 1/servers when choices
	// ignore the client. Omitted when clients x servers is too large to
	// count (over MaxAffinityCells).
	Affinity float64  `json:"affinity,omitempty"`
	Servers  []Server `json:"servers"`
	// Events is the run's timeline of faults and health changes, in time
	// order (the first repetition's, in real runs), capped at MaxEvents.
	Events []Event `json:"events,omitempty"`
	// Timeline holds latency and errors over time (every arrival, warm-up
	// included), in at most about MaxWindows windows.
	Timeline *Timeline `json:"timeline,omitempty"`
	// Repetitions holds, in a real run of two or more repetitions (bench
	// run --repeat N), each repetition's own figures in the order they were
	// measured; the figures above merge them. A comparison tests on them
	// whether a change stands out from the noise between repetitions
	// (package compare).
	Repetitions []RepetitionFigures `json:"repetitions,omitempty"`
	// PerSeed holds, in a run of two or more seeds (Summary.Seeds), each
	// seed's own figures, in the order of Seeds (the figures above are the
	// first seed's): the samples behind CI. summary.bench.txt writes a line
	// for each, so that benchstat has samples to compute its own intervals
	// from, and the verdict's paired tests use them.
	PerSeed []RepetitionFigures `json:"per_seed,omitempty"`
	// Availability is the mean fraction of server-time up (not crashed)
	// over the measured window, when the scenario has crash faults
	// (DESIGN.md §7): 1 - crashed server-time / (servers x window).
	Availability *float64 `json:"availability,omitempty"`
	// Herding is how unevenly arrivals spread over the servers in short
	// windows (DESIGN.md §7; formula in scenarios/README.md): 1 when they
	// spread evenly, N when all go to one server of N, 1 + (N-1)/A on
	// average for random routing with A arrivals per window. Set when the
	// scenario has load_info.
	Herding *float64 `json:"herding,omitempty"`
	// Classes holds each request class's figures (DESIGN.md §7), in the
	// scenario's order, when the scenario has classes.
	Classes []ClassFigures `json:"classes,omitempty"`
	// Hedges counts the measured requests' hedged attempts (DESIGN.md §7),
	// when the scenario hedges.
	Hedges *Hedges `json:"hedges,omitempty"`
	// Retries counts the measured requests' retries, when the scenario has
	// a retry budget or hedges (a §3 file's summary stays as it was).
	Retries *Retries `json:"retries,omitempty"`
	// CI holds, in a run of two or more seeds (Summary.Seeds), each
	// figure's mean over the seeds and the half-width of its 95% confidence
	// interval by Student's t, keyed as a sweep's figures are: the Keys of
	// SeedFigures (mean_ms, p50_ms, p90_ms, p99_ms, p999_ms,
	// throughput_rps, jain, max_over_mean, cov, error_rate,
	// wait_probability). The other fields are the first seed's run alone.
	CI map[string]Stat `json:"ci95,omitempty"`

	// LatencyQuantiles holds the latency distribution of completed requests
	// in memory (not in summary.json), for comparing engines: element i is
	// the quantile at p = (i+0.5)/len, in ms. Both engines fill it with
	// QuantileGrid points.
	LatencyQuantiles []float64 `json:"-"`
	// Histogram holds, in memory (not in summary.json), the HDR histogram
	// of the latencies of completed requests after warm-up, in ns, its
	// start and end times stamped with the measured window in ms since the
	// start of the run; written as latency-<label>.hlog in HdrHistogram's
	// interval log format. nil where the engine does not keep one.
	Histogram *hdrhistogram.Histogram `json:"-"`
}

// Hedges are the hedged attempts of measured requests: those sent, those
// whose answer was the request's (won), and those the retry budget
// refused.
type Hedges struct {
	Sent           int64 `json:"sent"`
	Won            int64 `json:"won"`
	DeniedByBudget int64 `json:"denied_by_budget"`
}

// Retries are the retries of measured requests: those sent, and those the
// retry budget refused (the request then ended with its last attempt's
// outcome).
type Retries struct {
	Sent           int64 `json:"sent"`
	DeniedByBudget int64 `json:"denied_by_budget"`
}

// ClassFigures are one request class's figures, with Algorithm's meanings:
// its measured arrivals, those that completed, the others by cause, and the
// latency of the completed ones.
type ClassFigures struct {
	Name      string  `json:"name"`
	Requests  int64   `json:"requests"`
	Completed int64   `json:"completed"`
	Errors    Errors  `json:"errors"`
	Latency   Latency `json:"latency_ms"`
}

// RepetitionFigures are one repetition's figures, with the meanings of
// Algorithm's: latency in ms over its completed measured requests,
// throughput over its measured window, its errors (all causes) as a
// fraction of its measured requests, and Jain's index over its requests
// per server (divided by weight).
type RepetitionFigures struct {
	MeanMS        float64 `json:"mean_ms"`
	P50MS         float64 `json:"p50_ms"`
	P90MS         float64 `json:"p90_ms"`
	P99MS         float64 `json:"p99_ms"`
	P999MS        float64 `json:"p999_ms"`
	ThroughputRPS float64 `json:"throughput_rps"`
	ErrorRate     float64 `json:"error_rate"`
	Jain          float64 `json:"jain"`
}

// FiguresOf gives a whole run's figures in RepetitionFigures' form: those
// of one seed of a run of several (Algorithm.PerSeed).
func FiguresOf(a *Algorithm) RepetitionFigures {
	return RepetitionFigures{
		MeanMS: a.Latency.Mean, P50MS: a.Latency.P50, P90MS: a.Latency.P90, P99MS: a.Latency.P99, P999MS: a.Latency.P999,
		ThroughputRPS: a.ThroughputRPS, ErrorRate: ErrorRate(a), Jain: a.Fairness.Jain,
	}
}

// QuantileGrid is the number of points in Algorithm.LatencyQuantiles.
const QuantileGrid = 1000

// Errors counts requests that did not complete, by cause: rejected (no
// backend available, or a full server queue), failed (crashed server, 5xx),
// timeout (no answer within the scenario's timeout).
type Errors struct {
	Rejected int64 `json:"rejected"`
	Failed   int64 `json:"failed"`
	Timeout  int64 `json:"timeout"`
}

// Latency is in milliseconds. Mean is exact; quantiles come from an HDR
// histogram (3 significant digits). MeanCI95 is the half-width of the 95%
// confidence interval of the mean, by batch means over completion order.
type Latency struct {
	Mean     float64 `json:"mean"`
	P50      float64 `json:"p50"`
	P90      float64 `json:"p90"`
	P99      float64 `json:"p99"`
	P999     float64 `json:"p999"`
	Max      float64 `json:"max"`
	MeanCI95 float64 `json:"mean_ci95"`
}

// Fairness describes how evenly requests were spread over servers, each
// server's count divided by its weight: Jain's index (1 = perfectly even,
// 1/n = all on one), max over mean, and the coefficient of variation.
type Fairness struct {
	Jain        float64 `json:"jain"`
	MaxOverMean float64 `json:"max_over_mean"`
	CoV         float64 `json:"cov"`
}

// Server holds one server's figures: requests are attempts routed to it after
// warm-up; utilisation is busy worker-time / (measured time x concurrency).
//
// Utilization is NaN when it is unknown: someone else's server (a
// scenario's urls) does not tell its busy time. summary.json writes it as
// null then, and reading null gives NaN back.
type Server struct {
	Name        string        `json:"name"`
	Requests    int64         `json:"requests"`
	Utilization float64       `json:"utilization"`
	Errors      int64         `json:"errors"`
	Latency     ServerLatency `json:"latency_ms"`
}

// serverJSON is Server's JSON, its utilisation a *float64 (nil = null).
type serverJSON struct {
	Name        string        `json:"name"`
	Requests    int64         `json:"requests"`
	Utilization *float64      `json:"utilization"`
	Errors      int64         `json:"errors"`
	Latency     ServerLatency `json:"latency_ms"`
}

// UtilizationKnown reports whether the server's utilisation was measured.
func (s Server) UtilizationKnown() bool { return !math.IsNaN(s.Utilization) }

// MarshalJSON writes an unknown (NaN) utilisation as null; every other
// field as encoding/json would.
func (s Server) MarshalJSON() ([]byte, error) {
	j := serverJSON{Name: s.Name, Requests: s.Requests, Errors: s.Errors, Latency: s.Latency}
	if s.UtilizationKnown() {
		j.Utilization = &s.Utilization
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a null utilisation as unknown (NaN).
func (s *Server) UnmarshalJSON(data []byte) error {
	var j serverJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*s = Server{Name: j.Name, Requests: j.Requests, Utilization: math.NaN(), Errors: j.Errors, Latency: j.Latency}
	if j.Utilization != nil {
		s.Utilization = *j.Utilization
	}
	return nil
}

// ServerLatency is the mean latency of the attempts a server answered
// successfully, balancer to balancer.
type ServerLatency struct {
	Mean float64 `json:"mean"`
}

// Event is a moment of a run's timeline, typed so that readers (the plots,
// scripts) use its fields and never parse its prose. Kind says what
// happened; End marks the end of the state the event of the same kind
// started (a crash's recovery, a slowdown's end, a server marked healthy
// again). What is the same moment in words, for people: "crash",
// "recover", "slowdown x4", "end slowdown", "errors 0.5", "end errors",
// "unhealthy", "healthy".
type Event struct {
	AtMS   float64 `json:"at_ms"`  // since the start of the run
	Server string  `json:"server"` // the target
	What   string  `json:"what"`
	// Balancer is the balancer instance that saw a health change.
	Balancer int       `json:"balancer,omitempty"`
	Kind     EventKind `json:"kind"`
	End      bool      `json:"end,omitempty"`
	// Detail is the fault's own parameter at its start: a slowdown's
	// factor, an errors fault's probability; 0 otherwise.
	Detail float64 `json:"detail,omitempty"`
}

// EventKind is what an Event reports.
type EventKind string

// The kinds of Event.
const (
	EventCrash    EventKind = "crash"    // the server crashed; End: it recovered
	EventSlowdown EventKind = "slowdown" // a slowdown began (Detail: its factor); End: it ended
	EventErrors   EventKind = "errors"   // an errors fault began (Detail: its probability); End: it ended
	EventHealth   EventKind = "health"   // a balancer marked the server unhealthy; End: healthy again
	// Membership (DESIGN.md §7): a server joins the pool (Detail 1 when it
	// rejoins after a restart), leaves it (no new requests; Detail 1 for a
	// restart), and its drain ends (what it held has finished; it stops
	// listening, and a restart's server is down from here).
	EventJoin    EventKind = "join"
	EventLeave   EventKind = "leave"
	EventDrained EventKind = "drained"
)

// FaultEvent is the Event of a fault of the given kind (a scenarios fault
// kind: crash, slowdown, errors) starting or ending on server at atMS, with
// its parameter detail, named as the timeline names it.
func FaultEvent(atMS float64, server, kind string, end bool, detail float64) Event {
	e := Event{AtMS: atMS, Server: server, Kind: EventKind(kind), End: end}
	switch {
	case kind == string(EventCrash) && end:
		e.What = "recover"
	case end:
		e.What = "end " + kind
	case kind == string(EventSlowdown):
		e.What, e.Detail = "slowdown x"+strconv.FormatFloat(detail, 'g', -1, 64), detail
	case kind == string(EventErrors):
		e.What, e.Detail = "errors "+strconv.FormatFloat(detail, 'g', -1, 64), detail
	default:
		e.What = kind
	}
	return e
}

// HealthEvent is balancer bal marking server healthy or not at atMS.
func HealthEvent(atMS float64, server string, bal int, healthy bool) Event {
	e := Event{AtMS: atMS, Server: server, Balancer: bal, Kind: EventHealth, End: healthy, What: "unhealthy"}
	if healthy {
		e.What = "healthy"
	}
	return e
}

// MemberEvent is server joining, leaving or done draining (kind EventJoin,
// EventLeave or EventDrained) at atMS; restart marks the steps of a rolling
// restart ("restart leave", "restart down", "rejoin").
func MemberEvent(atMS float64, server string, kind EventKind, restart bool) Event {
	e := Event{AtMS: atMS, Server: server, Kind: kind, What: string(kind)}
	if restart {
		e.Detail = 1
		switch kind {
		case EventJoin:
			e.What = "rejoin"
		case EventLeave:
			e.What = "restart leave"
		case EventDrained:
			e.What = "restart down"
		}
	}
	return e
}

// MaxEvents bounds Algorithm.Events, so that a flapping server cannot make a
// summary grow with the length of the run.
const MaxEvents = 10000

// MaxAffinityCells bounds the clients x servers table behind
// Algorithm.Affinity, so that its memory stays small (4 bytes a cell).
const MaxAffinityCells = 4 << 20

// MaxWindows is about how many windows a timeline has: engines pick a round
// window width near the run's expected length / MaxWindows.
const MaxWindows = 100

// Window is one slice of a run's timeline: the requests that arrived in
// [StartMS, StartMS + the summary's window width), warm-up included, and how
// they ended. Latency figures cover the completed ones.
type Window struct {
	StartMS   float64 `json:"start_ms"`
	Requests  int64   `json:"requests"`
	Completed int64   `json:"completed"`
	Errors    int64   `json:"errors"`
	MeanMS    float64 `json:"mean_ms"`
	P50MS     float64 `json:"p50_ms"`
	P99MS     float64 `json:"p99_ms"`
	// Herding is the herding index of the arrivals in the window (the
	// arrival-weighted mean over the herding windows that start in it),
	// when the scenario has load_info; 0 where it has none.
	Herding float64 `json:"herding,omitempty"`
}

// ErrorRate is the share of the window's requests that ended in an error
// (all causes); 0 for a window without requests.
func (w *Window) ErrorRate() float64 {
	if w.Requests <= 0 {
		return 0
	}
	return float64(w.Errors) / float64(w.Requests)
}

// Timeline is a run's latency and errors over time in fixed windows, for the
// over-time plots; Warmup marks where the measured part begins.
type Timeline struct {
	WindowMS float64  `json:"window_ms"`
	WarmupMS float64  `json:"warmup_ms"`
	Windows  []Window `json:"windows"`
}
