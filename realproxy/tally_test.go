package realproxy

import (
	"math"
	"net/http"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

func result(code uint16, lat time.Duration, errMsg string, hdr ...string) *vegeta.Result {
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return &vegeta.Result{Code: code, Latency: lat, Error: errMsg, Headers: h}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		res  *vegeta.Result
		want model.Outcome
	}{
		{result(200, 0, "", wire.Backend, "web-0"), model.OK},
		{result(503, 0, "503 Service Unavailable", wire.Error, "no-backend"), model.NoBackend},
		{result(503, 0, "503 Service Unavailable", wire.Backend, "web-1"), model.Rejected}, // full queue
		{result(503, 0, "503 Service Unavailable"), model.Failed},                          // someone else's 503
		{result(504, 0, "504 Gateway Timeout"), model.Timeout},
		{result(0, 0, `Get "http://127.0.0.1:1/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`), model.Timeout},
		{result(500, 0, "500 Internal Server Error", wire.Backend, "web-0"), model.Failed},
		{result(502, 0, "502 Bad Gateway"), model.Failed},
		{result(0, 0, "connection refused"), model.Failed},
	} {
		if got := classify(tc.res); got != tc.want {
			t.Errorf("classify(%d %q %v) = %d, want %d", tc.res.Code, tc.res.Error, tc.res.Headers, got, tc.want)
		}
	}
}

// TestTallyResult feeds a hand-made stream of results and checks every
// figure against the simulator's definitions.
func TestTallyResult(t *testing.T) {
	sc := parse(t, `name: t
requests: 10
arrivals: {rate: 100}
servers:
  - {name: a, count: 1, weight: 2, concurrency: 2, service: {dist: constant, value: 1ms}}
  - {name: b, count: 1, service: {dist: constant, value: 1ms}}
algorithms: [{name: p2c, choices: 2, label: p2}]
`)
	tl := newTally(sc)
	byURL := map[string]int{"http://127.0.0.1:1": 0, "http://127.0.0.1:2": 1}
	ms := time.Millisecond
	tl.add(result(200, 100*ms, "", wire.Backend, "a-0"), 0, 0, 0, false, byURL) // warm-up: ignored
	tl.add(result(200, 2*ms, "", wire.Backend, "a-0", wire.Queue, "0"), 0, 0, 0, true, byURL)
	tl.add(result(200, 4*ms, "", wire.Backend, "a-0", wire.Queue, "2"), 0, 0, 0, true, byURL)
	tl.add(result(200, 6*ms, "", wire.Backend, "b-0"), 0, 0, 0, true, byURL)
	tl.add(result(503, ms, "", wire.Backend, "b-0"), 0, 0, 0, true, byURL)
	tl.add(result(503, ms, "", wire.Error, "no-backend"), 0, 0, 0, true, byURL)
	tl.add(result(500, ms, "", wire.Backend, "a-0"), 0, 0, 0, true, byURL)
	tl.add(result(504, ms, "", wire.Server, "http://127.0.0.1:2"), 0, 0, 0, true, byURL) // the proxy's timeout on b-0
	tl.add(result(502, ms, "", wire.Server, "http://127.0.0.1:9"), 0, 0, 0, true, byURL) // not this measurement's
	tl.add(result(0, ms, "dial tcp: connection refused"), 0, 0, 0, true, byURL)
	// Both of a's workers busy all the time, b's one a quarter of it.
	tl.endRepetition(time.Second, 3*time.Second, []time.Duration{2 * time.Second, 500 * time.Millisecond})
	r := tl.result(sc, 0)

	if r.Label != "p2" || r.Algorithm != "p2c" || r.Params["choices"] != 2 {
		t.Errorf("label %q, algorithm %q, params %v", r.Label, r.Algorithm, r.Params)
	}
	if r.Requests != 9 || r.Completed != 3 {
		t.Errorf("requests %d, completed %d; want 9, 3", r.Requests, r.Completed)
	}
	if e := r.Errors; e.Rejected != 2 || e.Failed != 3 || e.Timeout != 1 {
		t.Errorf("errors %+v, want rejected 2, failed 3, timeout 1", e)
	}
	if r.Requests != r.Completed+r.Errors.Rejected+r.Errors.Failed+r.Errors.Timeout {
		t.Error("requests != completed + errors")
	}
	if r.Latency.Mean != 4 || math.Abs(r.Latency.Max-6) > 1e-9 {
		t.Errorf("latency mean %v, max %v; want 4, 6", r.Latency.Mean, r.Latency.Max)
	}
	if r.ThroughputRPS != 1.5 {
		t.Errorf("throughput %v, want 1.5", r.ThroughputRPS)
	}
	if math.Abs(r.WaitProbability-1.0/3) > 1e-12 {
		t.Errorf("wait probability %v, want 1/3", r.WaitProbability)
	}
	a, b := r.Servers[0], r.Servers[1]
	if a.Name != "a-0" || a.Requests != 3 || a.Errors != 1 || a.Latency.Mean != 3 || a.Utilization != 0.5 {
		t.Errorf("server a: %+v; want 3 requests, 1 error, mean 3, utilisation 0.5", a)
	}
	if b.Name != "b-0" || b.Requests != 3 || b.Errors != 2 || b.Latency.Mean != 6 || b.Utilization != 0.25 {
		t.Errorf("server b: %+v; want 3 requests, 2 errors, mean 6, utilisation 0.25", b)
	}
	// Shares 3/2 and 3/1: Jain = 4.5^2 / (2 (2.25 + 9)) = 0.9.
	if math.Abs(r.Fairness.Jain-0.9) > 1e-12 {
		t.Errorf("Jain %v, want 0.9", r.Fairness.Jain)
	}
	if tl.unattributed != 2 {
		t.Errorf("unattributed %d, want 2 (the unknown 502 and the refused connection)", tl.unattributed)
	}
	if len(r.LatencyQuantiles) == 0 || r.LatencyQuantiles[0] > r.LatencyQuantiles[len(r.LatencyQuantiles)-1] {
		t.Errorf("latency quantiles missing or unsorted")
	}
}

// The proxy's X-Fulcrum-Tries reach summary.json's hedges and retries,
// measured requests only; a malformed one counts nothing.
func TestTallyTries(t *testing.T) {
	sc := parse(t, `name: t
requests: 10
arrivals: {rate: 100}
servers: [{name: a, count: 2, service: {dist: constant, value: 1ms}}]
hedge: {after: 5ms}
retry_budget: {}
algorithms: [round-robin]
`)
	tl := newTally(sc)
	ms := time.Millisecond
	tl.add(result(200, ms, "", wire.Backend, "a-0", wire.Tries, "1 1 0 0 0"), 0, 0, 0, false, nil) // warm-up
	tl.add(result(200, ms, "", wire.Backend, "a-0", wire.Tries, "1 1 0 0 0"), 0, 0, 0, true, nil)
	tl.add(result(200, ms, "", wire.Backend, "a-1", wire.Tries, "1 0 0 2 0"), 0, 0, 0, true, nil)
	tl.add(result(502, ms, "502 Bad Gateway", wire.Tries, "0 0 1 0 3"), 0, 0, 0, true, nil)
	tl.add(result(200, ms, "", wire.Backend, "a-1", wire.Tries, "x"), 0, 0, 0, true, nil)
	tl.add(result(200, ms, "", wire.Backend, "a-1"), 0, 0, 0, true, nil)
	tl.endRepetition(0, time.Second, []time.Duration{0, 0})
	a := tl.result(sc, 0)
	if a.Hedges == nil || a.Retries == nil {
		t.Fatalf("hedges %v, retries %v", a.Hedges, a.Retries)
	}
	if h, r := *a.Hedges, *a.Retries; h.Sent != 2 || h.Won != 1 || h.DeniedByBudget != 1 || r.Sent != 2 || r.DeniedByBudget != 3 {
		t.Errorf("hedges %+v, retries %+v", h, r)
	}
}
