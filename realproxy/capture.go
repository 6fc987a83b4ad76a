package realproxy

import (
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/trace"
)

// TraceFile is the name of an algorithm's trace: trace-<label>.csv, the
// label escaped as every file name is (report.FileLabel).
func TraceFile(label string) string { return "trace-" + report.FileLabel(label) + ".csv" }

// capture writes one algorithm's measurement (its first repetition) as a
// trace (DESIGN.md §8): every request the load generator sent, warm-up
// included, at the time it left, with its client and class from the
// schedule, the backend that answered and its service time from the
// backend's headers, the latency and the outcome. Results come in order of
// completion; a Sorter puts them in order of sending within the client's
// timeout, so memory holds one timeout's worth of requests.
type capture struct {
	w       *trace.Writer
	s       *trace.Sorter
	classes []string
}

func newCapture(dir string, sc *scenarios.Scenario, label string) (*capture, error) {
	w, err := trace.Create(filepath.Join(dir, TraceFile(label)))
	if err != nil {
		return nil, fmt.Errorf("realproxy: %w", err)
	}
	c := &capture{w: w, s: trace.NewSorter(w, clientTimeout(sc)+time.Second)}
	for _, cl := range sc.Classes {
		c.classes = append(c.classes, cl.Name)
	}
	return c, nil
}

// add records one result: sent is when the request left, from the start
// of the run's clock. foreign, if not "", is the name of someone else's
// server that the proxy sent it to (tally.foreignName): it sends no
// Fulcrum headers, so its service time is unknown.
func (c *capture) add(res *vegeta.Result, sent time.Duration, client, class int, foreign string) error {
	r := trace.Record{Time: max(sent, 0), Client: strconv.Itoa(client), Service: trace.Unknown, Latency: res.Latency,
		Server: res.Headers.Get(wire.Backend)}
	if foreign != "" {
		r.Server = foreign
	}
	if class >= 0 && class < len(c.classes) {
		r.Class = c.classes[class]
	}
	switch classify(res) {
	case model.OK:
		r.Outcome = trace.OK
		if us, err := strconv.ParseInt(res.Headers.Get(wire.Service), 10, 64); err == nil && us >= 0 && foreign == "" {
			r.Service = time.Duration(us) * time.Microsecond
		}
	case model.Timeout:
		r.Outcome = trace.Timeout
	case model.Rejected, model.NoBackend:
		r.Outcome = trace.Rejected
	default:
		r.Outcome = trace.Failed
	}
	return c.s.Add(r)
}

func (c *capture) commit() error {
	if err := c.s.Flush(); err != nil {
		return err
	}
	return c.w.Commit()
}

func (c *capture) abort() { c.w.Abort() }

// LiveTrace writes the trace of live traffic through a proxy (bench proxy
// --trace): each request proxy.Config.OnRequest reports, in order of
// arrival (within Window), streamed to a file that appears at Commit.
type LiveTrace struct {
	mu  sync.Mutex
	w   *trace.Writer
	s   *trace.Sorter
	err error
}

// NewLiveTrace starts a trace at path; window bounds how much later than
// a later arrival a request may end (the longest latency: the proxy's
// timeout for all attempts, or a minute).
func NewLiveTrace(path string, window time.Duration) (*LiveTrace, error) {
	w, err := trace.Create(path)
	if err != nil {
		return nil, err
	}
	return &LiveTrace{w: w, s: trace.NewSorter(w, window)}, nil
}

// Add records one request; for proxy.Config.OnRequest. A request later
// than the window is dropped, and counted in Err.
func (l *LiveTrace) Add(r proxy.RequestRecord) {
	rec := trace.Record{Time: max(r.Start, 0), Client: r.Client, Class: r.Class, Server: r.Backend,
		Service: trace.Unknown, Latency: r.Latency}
	switch {
	case r.Status >= 200 && r.Status < 500:
		rec.Outcome = trace.OK
		if r.Service >= 0 {
			rec.Service = r.Service
		}
	case r.NoBackend:
		rec.Outcome = trace.Rejected
	case r.Status == 504:
		rec.Outcome = trace.Timeout
	default:
		rec.Outcome = trace.Failed
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.s.Add(rec); err != nil && l.err == nil {
		l.err = err
	}
}

// Commit writes what is held and makes the trace appear; it reports the
// first request that could not be placed, if any (the trace is written
// all the same).
func (l *LiveTrace) Commit() (n int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.s.Flush(); err != nil {
		l.w.Abort()
		return 0, err
	}
	if err := l.w.Commit(); err != nil {
		return 0, err
	}
	return l.w.Count(), l.err
}

// Abort discards the trace.
func (l *LiveTrace) Abort() { l.w.Abort() }
