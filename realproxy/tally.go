package realproxy

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// classify reads a result as the simulator would have counted it:
//
//	2xx                                   OK
//	503 with X-Fulcrum-Error: no-backend  NoBackend (ErrNoBackend)
//	503 with X-Fulcrum-Backend            Rejected (the backend's queue was full)
//	504, or the client's own timeout      Timeout
//	anything else (500, 502, other 503s,
//	connection errors)                    Failed
func classify(res *vegeta.Result) model.Outcome {
	switch c := res.Code; {
	case c >= 200 && c < 300:
		return model.OK
	case c == http.StatusServiceUnavailable:
		if res.Headers.Get(wire.Error) == wire.ErrorNoBackend {
			return model.NoBackend
		}
		if res.Headers.Get(wire.Backend) != "" {
			return model.Rejected
		}
		return model.Failed
	case c == http.StatusGatewayTimeout:
		return model.Timeout
	case c == 0 && isTimeout(res.Error):
		return model.Timeout
	}
	return model.Failed
}

// isTimeout tells whether a client-side error is http.Client's timeout:
// `Get "...": context deadline exceeded (Client.Timeout exceeded while
// awaiting headers)` and its variants.
func isTimeout(msg string) bool {
	return strings.Contains(msg, "Client.Timeout") || strings.Contains(msg, "deadline exceeded") ||
		strings.Contains(msg, "timeout")
}

// tally feeds one algorithm's results, over its repetitions, into the
// model.Recorder the simulator uses too. The load generator sees only each
// request's final answer, so its attempt is the one the answer names: the
// X-Fulcrum-Backend header, or else the backend whose URL (in byURL, this
// measurement's) the X-Forwarded-Server header gives, which the proxy sets
// on its own 502 and 504. Results are fed from one goroutine; events may
// come from several.
type tally struct {
	rec    *model.Recorder
	byName map[string]int
	// unattributed counts measured errors that name no known backend
	// (client errors, proxy answers without a backend); they are in the
	// errors but on no server. The proxy's no-backend 503 is not counted
	// here: it rightly belongs to no server.
	unattributed int64

	evMu sync.Mutex // serialises Event: faults and health changes come from several goroutines

	classes bool // the scenario has request classes

	crashes  *model.FaultSchedule // nil without crash faults
	availSet bool

	// foreign marks someone else's servers (a scenario's urls, by
	// server index): they are told apart by the proxy's X-Forwarded-Server
	// alone, and their busy time is unknown (foreign.go).
	foreign []bool
	names   []string
}

func newTally(sc *scenarios.Scenario) *tally {
	t := &tally{rec: model.NewRecorder(sc), byName: make(map[string]int), classes: len(sc.Classes) > 0}
	if model.HasCrashes(sc) {
		t.crashes = model.NewFaultSchedule(sc)
	}
	for i, s := range sc.ServerList() {
		t.byName[s.Name] = i
		t.foreign = append(t.foreign, s.URL != "")
		t.names = append(t.names, s.Name)
	}
	t.rec.Repeated()
	return t
}

// add counts one result of an arrival scheduled at (from the start of the
// run) by client, of class class; measured says whether it came after the warm-up.
func (t *tally) add(res *vegeta.Result, at time.Duration, client, class int, measured bool, byURL map[string]int) {
	out := classify(res)
	t.rec.Arrival(at, measured)
	srv, named := t.server(res, byURL)
	if named {
		t.rec.Routed(at, srv) // the answering attempt's server (the simulator's: the first)
	}
	if measured {
		if srv >= 0 {
			t.rec.Attempt(srv)
			t.rec.Answer(srv, out == model.OK, res.Latency)
			if named {
				t.rec.Affinity(client, srv)
			}
		} else if out != model.OK && out != model.NoBackend {
			t.unattributed++
		}
	}
	waited := false
	if q := res.Headers.Get(wire.Queue); q != "" && (srv < 0 || !t.foreign[srv]) {
		if v, err := strconv.ParseFloat(q, 64); err == nil && v > 0 {
			waited = true
		}
	}
	t.rec.Done(at, measured, out, res.Latency, waited)
	if v := res.Headers.Get(wire.Tries); v != "" {
		if tr, ok := model.ParseTries(v); ok {
			t.rec.Tries(measured, tr)
		}
	}
	if t.classes {
		t.rec.ClassDone(class, measured, out, res.Latency)
	}
}

// server is the index of the server a result's answer came from, or -1,
// and whether that server answered (named) rather than the proxy for it
// (its 502 or 504, which name the backend in X-Forwarded-Server only).
// An emulated server names itself (X-Fulcrum-Backend). Someone else's
// server is known by the proxy's X-Forwarded-Server alone, whatever it
// sends itself; it answered unless the proxy says it answered for it
// (X-Fulcrum-Error).
func (t *tally) server(res *vegeta.Result, byURL map[string]int) (srv int, named bool) {
	fwd, fwdOK := byURL[res.Headers.Get(wire.Server)]
	if fwdOK && t.foreign[fwd] {
		return fwd, res.Headers.Get(wire.Error) == ""
	}
	if name := res.Headers.Get(wire.Backend); name != "" {
		if i, ok := t.byName[name]; ok && !t.foreign[i] {
			return i, true
		}
	}
	if fwdOK {
		return fwd, false
	}
	return -1, false
}

// foreignName is the name of someone else's server that the proxy sent
// res to (X-Forwarded-Server), or "" (an emulated server, or none).
func (t *tally) foreignName(res *vegeta.Result, byURL map[string]int) string {
	if i, ok := byURL[res.Headers.Get(wire.Server)]; ok && t.foreign[i] {
		return t.names[i]
	}
	return ""
}

// event records a timeline entry, from any goroutine.
func (t *tally) event(e report.Event) {
	t.evMu.Lock()
	defer t.evMu.Unlock()
	t.rec.Event(e)
}

// endRepetition closes a repetition whose measured window ran from start
// to end, with each server's busy worker-time in it.
func (t *tally) endRepetition(start, end time.Duration, busy []time.Duration) {
	t.rec.Window(start, end)
	if t.crashes != nil && !t.availSet {
		// The schedule's own crash times: the real faults follow it on
		// wall time, so the figure is the scenario's, as in the simulator.
		t.rec.Availability(t.crashes.Availability(start, end))
		t.availSet = true
	}
	for j, b := range busy {
		t.rec.Busy(j, b)
	}
	t.rec.EndRepetition(end - start)
}

// result assembles the figures of algorithm i.
func (t *tally) result(sc *scenarios.Scenario, i int) report.Algorithm {
	t.evMu.Lock()
	defer t.evMu.Unlock()
	a := t.rec.Result(sc.Algorithms[i])
	for j := range a.Servers {
		if t.foreign[j] {
			a.Servers[j].Utilization = math.NaN() // unknown: see foreign.go
		}
	}
	return a
}
