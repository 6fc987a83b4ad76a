package model_test

import (
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// recorderScenario has servers web-0 and web-1 (weight 1, 2 workers each)
// and big-0 (weight 2, 1 worker), 4 clients, and a run expected to last 2s
// (timeline windows of 20ms).
func recorderScenario(t *testing.T) *scenarios.Scenario {
	t.Helper()
	return parse(t, `clients: 4
warmup: 1s
requests: 100
arrivals: {process: poisson, rate: 100}
servers:
  - {name: web, count: 2, concurrency: 2, service: {dist: exponential, mean: 10ms}}
  - {name: big, weight: 2, service: {dist: exponential, mean: 10ms}}
algorithms: [{name: p2c, choices: 3, label: p3c}]
`, "")
}

// refLatency is what the recorder's latency figures must equal: a
// metrics.Latency and BatchMeans fed the completed measured requests'
// latencies in completion order.
func refLatency(lat ...time.Duration) (*metrics.Latency, *metrics.BatchMeans) {
	l, bm := metrics.NewLatency(), metrics.NewBatchMeans()
	for _, d := range lat {
		l.Record(d)
		bm.Add(float64(d) / 1e6)
	}
	return l, bm
}

var (
	evCrash   = report.FaultEvent(1050, "web-1", scenarios.FaultCrash, false, 0)
	evHealth  = report.HealthEvent(1100, "web-1", 0, false)
	evRecover = report.FaultEvent(1600, "web-1", scenarios.FaultCrash, true, 0)
)

// scriptedRun feeds r one run, by hand:
//
//	warm  0.5s client 3  web-0 ok 5ms (not measured)
//	r1    1.0s client 0  web-0 ok 10ms
//	r2    1.1s client 1  web-1 failed, then web-0 ok 30ms; 40ms in all, queued
//	r3    1.2s client 0  big-0 ok 20ms
//	r4    1.3s client 2  no backend
//	r5    1.4s client 2  web-1 failed
//	r6    1.5s client 3  big-0 timed out
//	r7    1.6s client 3  big-0 rejected (queue full)
//	r8    1.7s client 0  web-0 ok 20ms; 30ms in all (network), queued
//
// with a measured window of [1s, 3s), busy time 1s, 0.5s, 0.4s, and three
// events.
func scriptedRun(r *model.Recorder) {
	ms := time.Millisecond
	at := func(d float64) time.Duration { return time.Duration(d * float64(time.Second)) }
	// req sends a measured request of client c to the tries' servers in
	// turn, and ends it as out after total.
	type try struct {
		si  int
		ok  bool
		lat time.Duration
	}
	req := func(arr time.Duration, c int, out model.Outcome, total time.Duration, waited bool, tries ...try) {
		r.Arrival(arr, true)
		for i, tr := range tries {
			r.Attempt(tr.si)
			if i == 0 {
				r.Affinity(c, tr.si)
			}
			r.Answer(tr.si, tr.ok, tr.lat)
		}
		r.Done(arr, true, out, total, waited)
	}
	r.Arrival(at(0.5), false)
	r.Done(at(0.5), false, model.OK, 5*ms, true)
	req(at(1.0), 0, model.OK, 10*ms, false, try{0, true, 10 * ms})
	r.Event(evCrash)
	req(at(1.1), 1, model.OK, 40*ms, true, try{1, false, 0}, try{0, true, 30 * ms})
	r.Event(evHealth)
	req(at(1.2), 0, model.OK, 20*ms, false, try{2, true, 20 * ms})
	req(at(1.3), 2, model.NoBackend, 0, false)
	req(at(1.4), 2, model.Failed, 2*ms, false, try{1, false, 2 * ms})
	req(at(1.5), 3, model.Timeout, 100*ms, false, try{2, false, 100 * ms})
	r.Event(evRecover)
	req(at(1.6), 3, model.Rejected, 1*ms, false, try{2, false, 1 * ms})
	req(at(1.7), 0, model.OK, 30*ms, true, try{0, true, 20 * ms})
	r.Window(time.Second, 3*time.Second)
	r.Busy(0, time.Second)
	r.Busy(1, 500*ms)
	r.Busy(2, 300*ms)
	r.Busy(2, 100*ms) // adds up
}

func TestRecorderScriptedRun(t *testing.T) {
	sc := recorderScenario(t)
	rec := model.NewRecorder(sc)
	scriptedRun(rec)
	got := rec.Result(sc.Algorithms[0])

	ms := time.Millisecond
	lat, bm := refLatency(10*ms, 40*ms, 20*ms, 30*ms)
	wantLat := lat.Summary()
	wantLat.MeanCI95 = bm.HalfWidth(0.95)
	if wantLat.Mean != 25 || wantLat.Max != 40 || wantLat.MeanCI95 <= 0 {
		t.Fatalf("reference latency %+v", wantLat)
	}
	want := report.Algorithm{
		Label:     "p3c",
		Algorithm: "p2c",
		Params:    sc.Algorithms[0].Params,
		Requests:  8,
		Completed: 4,
		// No backend counts as rejected.
		Errors:          report.Errors{Rejected: 2, Failed: 1, Timeout: 1},
		ThroughputRPS:   2, // 4 completed over 2s
		Latency:         wantLat,
		Fairness:        metrics.Fairness([]float64{3, 2, 3.0 / 2}), // requests / weight
		WaitProbability: 0.5,
		// First attempts: client 0 web-0, big-0, web-0; client 1 web-1;
		// client 2 web-1; client 3 big-0, big-0. Best counts 2+1+1+2 of 7.
		Affinity: 6.0 / 7,
		Servers: []report.Server{
			// utilisation = busy / (window x concurrency)
			{Name: "web-0", Requests: 3, Utilization: 0.25, Errors: 0, Latency: report.ServerLatency{Mean: 20}},
			{Name: "web-1", Requests: 2, Utilization: 0.125, Errors: 2},
			{Name: "big-0", Requests: 3, Utilization: 0.2, Errors: 2, Latency: report.ServerLatency{Mean: 20}},
		},
		Events: []report.Event{evCrash, evHealth, evRecover},
	}
	if q := lat.QuantileGrid(report.QuantileGrid); len(q) != report.QuantileGrid || !reflect.DeepEqual(got.LatencyQuantiles, q) {
		t.Errorf("LatencyQuantiles: %d values, not the completed requests' %d", len(got.LatencyQuantiles), len(q))
	}
	if j := 6.5 * 6.5 / (3 * (9 + 4 + 2.25)); math.Abs(want.Fairness.Jain-j) > 1e-15 {
		t.Fatalf("reference Jain %v, want %v", want.Fairness.Jain, j)
	}

	// The histogram: the completed measured latencies, stamped with the window.
	if h := got.Histogram; h == nil {
		t.Error("no histogram")
	} else {
		if h.TotalCount() != 4 || h.StartTimeMs() != 1000 || h.EndTimeMs() != 3000 {
			t.Errorf("histogram: %d values, [%d, %d] ms; want 4, [1000, 3000]", h.TotalCount(), h.StartTimeMs(), h.EndTimeMs())
		}
		if h.Max() != lat.Histogram().Max() || h.Mean() != lat.Histogram().Mean() {
			t.Errorf("histogram max %d mean %v, want %d %v", h.Max(), h.Mean(), lat.Histogram().Max(), lat.Histogram().Mean())
		}
	}
	// The timeline: every arrival, the warm-up's too, in 20ms windows.
	if tl := got.Timeline; tl == nil {
		t.Error("no timeline")
	} else {
		if tl.WindowMS != 20 || tl.WarmupMS != 1000 {
			t.Errorf("timeline: window %v ms, warm-up %v ms; want 20, 1000", tl.WindowMS, tl.WarmupMS)
		}
		var n, ok, errs int64
		for _, w := range tl.Windows {
			n, ok, errs = n+w.Requests, ok+w.Completed, errs+w.Errors
		}
		if n != 9 || ok != 5 || errs != 4 {
			t.Errorf("timeline: %d requests, %d completed, %d errors; want 9, 5, 4", n, ok, errs)
		}
		if w := tl.Windows[25]; w.StartMS != 500 || w.Requests != 1 || w.Completed != 1 || w.MeanMS != 5 {
			t.Errorf("timeline's warm-up window: %+v", w)
		}
	}
	got.Histogram, got.Timeline, got.LatencyQuantiles = nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Result =\n%+v\nwant\n%+v", got, want)
	}

	// The batch means behind the confidence interval and the wait fraction.
	if b := rec.LatencyBatches(); b.Count() != 4 || b.Mean() != 25 || b.HalfWidth(0.95) != bm.HalfWidth(0.95) {
		t.Errorf("LatencyBatches: %d values, mean %v", b.Count(), b.Mean())
	}
	if b := rec.WaitBatches(); b.Count() != 4 || b.Mean() != 0.5 {
		t.Errorf("WaitBatches: %d values, mean %v; want 4, 0.5", b.Count(), b.Mean())
	}

	// Params are the result's own.
	res := rec.Result(sc.Algorithms[0])
	res.Params["choices"] = 99
	if !maps.Equal(sc.Algorithms[0].Params, map[string]any{"choices": sc.Algorithms[0].Params["choices"]}) || sc.Algorithms[0].Params["choices"] == 99 {
		t.Errorf("changing the result's params changed the scenario's: %v", sc.Algorithms[0].Params)
	}
}

// TestRecorderSameBytes: the same feed gives the same summary bytes.
func TestRecorderSameBytes(t *testing.T) {
	sc := recorderScenario(t)
	var out [2][]byte
	for i := range out {
		rec := model.NewRecorder(sc)
		scriptedRun(rec)
		var err error
		if out[i], err = json.Marshal(rec.Result(sc.Algorithms[0])); err != nil {
			t.Fatal(err)
		}
	}
	if string(out[0]) != string(out[1]) {
		t.Errorf("two feeds, two summaries:\n%s\n%s", out[0], out[1])
	}
}

func TestRecorderNothingCompleted(t *testing.T) {
	sc := recorderScenario(t)
	for _, tc := range []struct {
		name string
		feed func(r *model.Recorder)
	}{
		{"no request", func(r *model.Recorder) {}},
		{"errors only", func(r *model.Recorder) {
			r.Arrival(time.Second, true)
			r.Attempt(0)
			r.Answer(0, false, 0)
			r.Done(time.Second, true, model.Failed, time.Millisecond, false)
			r.Arrival(2*time.Second, true)
			r.Done(2*time.Second, true, model.NoBackend, 0, false)
			r.Window(time.Second, 3*time.Second)
		}},
		{"warm-up only", func(r *model.Recorder) {
			r.Arrival(0, false)
			r.Done(0, false, model.OK, time.Millisecond, true)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := model.NewRecorder(sc)
			tc.feed(rec)
			got := rec.Result(sc.Algorithms[0])
			if got.LatencyQuantiles != nil {
				t.Errorf("LatencyQuantiles = %d values, want nil", len(got.LatencyQuantiles))
			}
			if got.Completed != 0 || got.Latency != (report.Latency{}) || got.ThroughputRPS != 0 || got.WaitProbability != 0 {
				t.Errorf("completed %d, latency %+v, throughput %v, wait %v; want zeros", got.Completed, got.Latency, got.ThroughputRPS, got.WaitProbability)
			}
			if got.Histogram == nil || got.Histogram.TotalCount() != 0 {
				t.Errorf("histogram %v, want an empty one", got.Histogram)
			}
			for _, s := range got.Servers {
				if s.Utilization != 0 || s.Latency.Mean != 0 {
					t.Errorf("server %+v", s)
				}
			}
			if math.IsNaN(got.Fairness.Jain) || got.Fairness.Jain <= 0 {
				t.Errorf("Jain = %v", got.Fairness.Jain)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("summary.json: %v", err)
			}
		})
	}
}

func TestRecorderEventsCapped(t *testing.T) {
	sc := recorderScenario(t)
	rec := model.NewRecorder(sc)
	rec.Repeated()
	for i := range report.MaxEvents - 2 {
		rec.Event(report.HealthEvent(float64(i), "web-0", 0, i%2 == 1))
	}
	rec.EndRepetition(time.Second)
	// The cap holds over the whole run, whatever the repetition: the
	// engine decides which repetition's events to record.
	for i := range 5 {
		rec.Event(report.HealthEvent(float64(report.MaxEvents+i), "web-1", 0, false))
	}
	got := rec.Result(sc.Algorithms[0]).Events
	if len(got) != report.MaxEvents {
		t.Fatalf("%d events, want %d", len(got), report.MaxEvents)
	}
	for i, e := range got {
		want := report.HealthEvent(float64(i), "web-0", 0, i%2 == 1)
		if k := i - (report.MaxEvents - 2); k >= 0 {
			want = report.HealthEvent(float64(report.MaxEvents+k), "web-1", 0, false)
		}
		if e != want {
			t.Fatalf("event %d = %+v, want %+v: the first %d recorded", i, e, want, report.MaxEvents)
		}
	}
}

// TestRecorderEventsOrder: Result lists events in time order, simultaneous
// ones in the order they were recorded (a real run's come from several
// goroutines), and each Result has its own list.
func TestRecorderEventsOrder(t *testing.T) {
	sc := recorderScenario(t)
	rec := model.NewRecorder(sc)
	evHealth2 := report.HealthEvent(1050, "web-1", 1, false) // another balancer, with the crash
	for _, e := range []report.Event{evRecover, evCrash, evHealth, evHealth2} {
		rec.Event(e)
	}
	want := []report.Event{evCrash, evHealth2, evHealth, evRecover}
	got := rec.Result(sc.Algorithms[0]).Events
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events\n%+v\nwant\n%+v", got, want)
	}
	got[0].What = "changed"
	if again := rec.Result(sc.Algorithms[0]).Events; !reflect.DeepEqual(again, want) {
		t.Errorf("changing one Result's events changed the next's: %+v", again)
	}
	if got := model.NewRecorder(sc).Result(sc.Algorithms[0]).Events; len(got) != 0 {
		t.Errorf("no event: %+v", got)
	}
}

func TestRecorderRepetitions(t *testing.T) {
	sc := recorderScenario(t)
	rec := model.NewRecorder(sc)
	ms := time.Millisecond
	ok := func(arr time.Duration, si int, lat time.Duration) {
		rec.Arrival(arr, true)
		rec.Attempt(si)
		rec.Answer(si, true, lat)
		rec.Done(arr, true, model.OK, lat, false)
	}
	rec.Repeated()
	// Repetition 1: 2 requests, both fine, in 1s.
	rec.Arrival(500*ms, false)
	rec.Done(500*ms, false, model.OK, 5*ms, false)
	ok(1000*ms, 0, 10*ms)
	rec.Event(evCrash)
	ok(1500*ms, 1, 20*ms)
	rec.Window(time.Second, 2*time.Second)
	rec.Busy(0, 200*ms)
	rec.EndRepetition(time.Second)
	// Repetition 2: 4 requests, 2 fine, in 2s; its arrivals stay off the
	// timeline.
	rec.Arrival(500*ms, false)
	rec.Done(500*ms, false, model.Failed, 5*ms, false)
	ok(1000*ms, 0, 30*ms)
	rec.Event(evRecover)
	ok(1200*ms, 0, 50*ms)
	rec.Arrival(1400*ms, true)
	rec.Attempt(0)
	rec.Answer(0, false, 0)
	rec.Done(1400*ms, true, model.Failed, 0, false)
	rec.Arrival(1600*ms, true)
	rec.Done(1600*ms, true, model.NoBackend, 0, false)
	rec.Window(time.Second, 3*time.Second)
	rec.Busy(0, 400*ms)
	rec.EndRepetition(2 * time.Second)

	got := rec.Result(sc.Algorithms[0])
	rep := func(window float64, completed int, errorRate float64, shares []float64, lat ...time.Duration) report.RepetitionFigures {
		l, _ := refLatency(lat...)
		s := l.Summary()
		return report.RepetitionFigures{
			MeanMS: s.Mean, P50MS: s.P50, P90MS: s.P90, P99MS: s.P99, P999MS: s.P999,
			ThroughputRPS: float64(completed) / window,
			ErrorRate:     errorRate,
			Jain:          metrics.Fairness(shares).Jain,
		}
	}
	wantReps := []report.RepetitionFigures{
		rep(1, 2, 0, []float64{1, 1, 0}, 10*ms, 20*ms),
		rep(2, 2, 0.5, []float64{3, 0, 0}, 30*ms, 50*ms),
	}
	if wantReps[0].MeanMS != 15 || wantReps[0].ThroughputRPS != 2 || math.Abs(wantReps[0].Jain-2.0/3) > 1e-15 ||
		wantReps[1].MeanMS != 40 || wantReps[1].ThroughputRPS != 1 || math.Abs(wantReps[1].Jain-1.0/3) > 1e-15 {
		t.Fatalf("reference repetitions %+v", wantReps)
	}
	if !reflect.DeepEqual(got.Repetitions, wantReps) {
		t.Errorf("Repetitions =\n%+v\nwant\n%+v", got.Repetitions, wantReps)
	}
	// The merged figures.
	lat, _ := refLatency(10*ms, 20*ms, 30*ms, 50*ms)
	if got.Requests != 6 || got.Completed != 4 || got.Errors != (report.Errors{Rejected: 1, Failed: 1}) {
		t.Errorf("requests %d, completed %d, errors %+v; want 6, 4, {1 1 0}", got.Requests, got.Completed, got.Errors)
	}
	if got.ThroughputRPS != 4.0/3 {
		t.Errorf("throughput %v, want 4 over 3s", got.ThroughputRPS)
	}
	if wl := lat.Summary(); got.Latency.Mean != 27.5 || got.Latency.P50 != wl.P50 || got.Latency.Max != 50 {
		t.Errorf("latency %+v, want %+v", got.Latency, wl)
	}
	if !reflect.DeepEqual(got.LatencyQuantiles, lat.QuantileGrid(report.QuantileGrid)) {
		t.Error("LatencyQuantiles are not the merged repetitions'")
	}
	wantServers := []report.Server{
		{Name: "web-0", Requests: 4, Errors: 1, Utilization: 0.6 / (3 * 2), Latency: report.ServerLatency{Mean: 30}},
		{Name: "web-1", Requests: 1, Latency: report.ServerLatency{Mean: 20}},
		{Name: "big-0"},
	}
	for i, s := range got.Servers {
		w := wantServers[i]
		if s.Name != w.Name || s.Requests != w.Requests || s.Errors != w.Errors || s.Latency != w.Latency || math.Abs(s.Utilization-w.Utilization) > 1e-15 {
			t.Errorf("server %d = %+v, want %+v", i, s, w)
		}
	}
	if got.Fairness != metrics.Fairness([]float64{4, 1, 0}) {
		t.Errorf("fairness %+v", got.Fairness)
	}
	// The events recorded (the engine records the first repetition's
	// only); the first repetition's timeline and window.
	if !reflect.DeepEqual(got.Events, []report.Event{evCrash, evRecover}) {
		t.Errorf("events %+v, want both recorded", got.Events)
	}
	var n, done, errs int64
	for _, w := range got.Timeline.Windows {
		n, done, errs = n+w.Requests, done+w.Completed, errs+w.Errors
	}
	if n != 3 || done != 3 || errs != 0 {
		t.Errorf("timeline: %d requests, %d completed, %d errors; want the first repetition's 3, 3, 0", n, done, errs)
	}
	if h := got.Histogram; h.TotalCount() != 4 || h.StartTimeMs() != 1000 || h.EndTimeMs() != 2000 {
		t.Errorf("histogram: %d values, [%d, %d] ms; want 4, [1000, 2000]", h.TotalCount(), h.StartTimeMs(), h.EndTimeMs())
	}
}

// TestRecorderOneRepetition: a single repetition lists none (the figures
// are its own).
func TestRecorderOneRepetition(t *testing.T) {
	sc := recorderScenario(t)
	rec := model.NewRecorder(sc)
	rec.Repeated()
	rec.Arrival(time.Second, true)
	rec.Attempt(0)
	rec.Answer(0, true, time.Millisecond)
	rec.Done(time.Second, true, model.OK, time.Millisecond, false)
	rec.Window(time.Second, 2*time.Second)
	rec.EndRepetition(time.Second)
	if got := rec.Result(sc.Algorithms[0]); got.Repetitions != nil || got.Completed != 1 || got.ThroughputRPS != 1 {
		t.Errorf("repetitions %+v, completed %d, throughput %v", got.Repetitions, got.Completed, got.ThroughputRPS)
	}
}

// TestRecorderEmptyRepetition: a repetition with no measured request has
// no error rate and no throughput rather than NaN.
func TestRecorderEmptyRepetition(t *testing.T) {
	sc := recorderScenario(t)
	rec := model.NewRecorder(sc)
	rec.EndRepetition(0) // without Repeated: it starts counting itself
	rec.EndRepetition(time.Second)
	got := rec.Result(sc.Algorithms[0])
	want := []report.RepetitionFigures{{Jain: 1}, {Jain: 1}}
	if !reflect.DeepEqual(got.Repetitions, want) {
		t.Errorf("Repetitions = %+v, want %+v", got.Repetitions, want)
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("summary.json: %v", err)
	}
}
