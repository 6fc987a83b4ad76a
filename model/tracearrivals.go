package model

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/trace"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// A trace's replay (process: trace, DESIGN.md §7 and §8) yields the
// trace's arrivals, times divided by arrivals.speed:
//
//   - client: the trace's client strings in order of first appearance are
//     clients 0, 1, 2, ... (modulo the scenario's clients: set clients to
//     the trace's count, as sim fit does, to keep them all apart); a
//     request without a client is a client of its own;
//   - class: by name among the scenario's classes (an unknown name is an
//     error); without classes in the scenario, the trace's are ignored;
//   - job size: a traced service time is the job's size on a server of the
//     traced server's group (found by the server's name, or the group's,
//     or the group name sim fit gives it); another group's servers scale
//     it by the ratio of their group's mean to that one
//     (traffic.Arrival.Size, Ref); a traced server the scenario does not
//     name leaves the size unscaled. A request without a service time
//     draws one as generated arrivals do (a quantile from the stream
//     "trace/service");
//   - balancer instance: uniformly at random (stream "trace/balancer").
//
// The trace is read twice: once when the scenario is opened for a run (to
// check every line, count them and know the span), then streamed as the
// run goes.

// TraceInfo is what a first pass over a scenario's trace found.
type TraceInfo struct {
	Requests int64
	Span     time.Duration // the last arrival's time, replayed (divided by speed)
	Clients  int           // distinct client strings
}

var traceInfos sync.Map // path + size + mtime -> *TraceInfo

// ScanTrace reads sc's trace once, checking every line, and says how many
// requests it holds and over how long. An unreadable trace is an error that
// names its file and line.
func ScanTrace(sc *scenarios.Scenario) (*TraceInfo, error) {
	path := sc.TraceFile()
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model: trace: %w", err)
	}
	key := fmt.Sprintf("%s|%d|%d|%g", path, st.Size(), st.ModTime().UnixNano(), sc.Arrivals.Speed)
	if v, ok := traceInfos.Load(key); ok {
		return v.(*TraceInfo), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: trace: %w", err)
	}
	defer f.Close()
	rd, err := trace.NewReader(path, f)
	if err != nil {
		return nil, err
	}
	classes := classIndex(sc)
	info := &TraceInfo{}
	seen := map[string]struct{}{}
	var last time.Duration
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if classes != nil && r.Class != "" {
			if _, ok := classes[r.Class]; !ok {
				return nil, &trace.Error{File: path, Line: rd.Line(), Column: "class",
					Msg: fmt.Sprintf("%q is not one of the scenario's classes", r.Class)}
			}
		}
		if r.Client != "" {
			seen[r.Client] = struct{}{}
		}
		info.Requests++
		last = r.Time
	}
	if info.Requests == 0 {
		return nil, fmt.Errorf("model: trace %s holds no request", path)
	}
	info.Span = replayed(last, sc.Arrivals.Speed)
	info.Clients = len(seen)
	traceInfos.Store(key, info)
	return info, nil
}

func replayed(t time.Duration, speed float64) time.Duration {
	if speed <= 0 || speed == 1 {
		return t
	}
	return time.Duration(float64(t) / speed)
}

func classIndex(sc *scenarios.Scenario) map[string]int {
	if len(sc.Classes) == 0 {
		return nil
	}
	m := make(map[string]int, len(sc.Classes))
	for i, c := range sc.Classes {
		m[c.Name] = i
	}
	return m
}

// traceSource streams a trace's arrivals.
type traceSource struct {
	f         *os.File
	rd        *trace.Reader
	speed     float64
	clients   int
	balancers int
	classes   map[string]int
	servers   map[string]time.Duration // server or group name -> the group's mean service
	ids       map[string]int           // client string -> index
	next      int                      // the next new client's index
	k         int
	svc, bal  *rand.Rand
	err       error
}

func newTraceSource(sc *scenarios.Scenario) (*traceSource, error) {
	if _, err := ScanTrace(sc); err != nil {
		return nil, err
	}
	f, err := os.Open(sc.TraceFile())
	if err != nil {
		return nil, fmt.Errorf("model: trace: %w", err)
	}
	rd, err := trace.NewReader(sc.TraceFile(), f)
	if err != nil {
		f.Close()
		return nil, err
	}
	t := &traceSource{f: f, rd: rd, speed: sc.Arrivals.Speed, clients: max(sc.Clients, 1), balancers: max(sc.Balancers, 1),
		classes: classIndex(sc), servers: map[string]time.Duration{}, ids: map[string]int{},
		svc: rand.New(rand.NewPCG(sc.Seed, traffic.StreamID("trace/service"))),
		bal: rand.New(rand.NewPCG(sc.Seed, traffic.StreamID("trace/balancer"))),
	}
	for _, s := range sc.ServerList() {
		if s.URL != "" && !sc.Servers[s.Group].HasService() {
			// Someone else's server of unknown speed: no reference
			// mean (ref 0); it does its own work whatever the size.
			continue
		}
		d, err := dist.New(s.Service)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("model: server %s: %w", s.Name, err)
		}
		mean := time.Duration(d.Mean() * 1e9)
		t.servers[s.Name] = mean
		t.servers[sc.Servers[s.Group].Name] = mean
	}
	return t, nil
}

// ref is the mean service of the group of the traced server named s: by
// its name among the scenario's servers, else as a group's name, else as
// sim fit names a group for it (scenarios.SafeName); 0 if none.
func (t *traceSource) ref(s string) time.Duration {
	if s == "" {
		return 0
	}
	if m, ok := t.servers[s]; ok {
		return m
	}
	return t.servers[scenarios.SafeName(s)]
}

// Next returns the next arrival, or one at traffic.Never after the last
// (or on an error, kept in err).
func (t *traceSource) Next() traffic.Arrival {
	if t.f == nil {
		return traffic.Arrival{At: traffic.Never}
	}
	r, err := t.rd.Next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			t.err = err // the file changed since ScanTrace read it
		}
		t.f.Close()
		t.f = nil
		return traffic.Arrival{At: traffic.Never}
	}
	a := traffic.Arrival{At: replayed(r.Time, t.speed), U: t.svc.Float64()}
	id := t.next
	if r.Client != "" {
		if v, ok := t.ids[r.Client]; ok {
			id = v
		} else {
			t.ids[r.Client] = id
			t.next++
		}
	} else {
		t.next++
	}
	a.Client = id % t.clients
	a.Key = traffic.ClientKey(a.Client)
	if t.balancers > 1 {
		a.Balancer = t.bal.IntN(t.balancers)
	}
	if t.classes != nil && r.Class != "" {
		a.Class = t.classes[r.Class]
	}
	if r.Service >= 0 {
		a.Sized, a.Size, a.Ref = true, r.Service, t.ref(r.Server)
	}
	t.k++
	return a
}

func (t *traceSource) close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}
