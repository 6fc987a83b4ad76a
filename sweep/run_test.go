package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/sim"
	"github.com/fulcrum-lb/fulcrum/theory"
)

// tiny is four M/M/1 servers (1 ms mean service) behind one balancer: the
// model of the theory curves, run for a few thousand requests.
const tiny = `name: tiny
requests: 2000
warmup: 100ms
arrivals: {load: 0.5}
servers:
  - {name: web, count: 4, service: {dist: exponential, mean: 1ms}}
algorithms: [random, round-robin, {name: p2c, choices: 2}]
`

func parse(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("tiny.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func mustRun(t *testing.T, sc *scenarios.Scenario, opt Options) *report.Sweep {
	t.Helper()
	sw, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

func TestRunShape(t *testing.T) {
	sc := parse(t, tiny)
	values := []float64{0.3, 0.6, 0.9}
	sw := mustRun(t, sc, Options{Param: "arrivals.load", Values: values, Seeds: 1})
	if sw.Scenario != "tiny" || sw.Engine != "sim" || sw.Param != "arrivals.load" || sw.Unit != "" || sw.Shard != "" ||
		len(sw.Seeds) != 1 || sw.Seeds[0] != 1 || strings.Join(sw.Labels, ",") != "random,round-robin,p2c" {
		t.Errorf("sweep header: %+v", sw)
	}
	if len(sw.Points) != len(values)*3 {
		t.Fatalf("%d points, want %d", len(sw.Points), len(values)*3)
	}
	for i, p := range sw.Points {
		if p.Value != values[i/3] || p.Label != sw.Labels[i%3] {
			t.Errorf("point %d is (%v, %s); want value-major order", i, p.Value, p.Label)
		}
		if len(p.Figures) != len(Figures) {
			t.Errorf("point %d has %d figures, want %d", i, len(p.Figures), len(Figures))
		}
		for _, f := range Figures {
			st, ok := p.Figures[f]
			if !ok || st.N != 1 {
				t.Errorf("point %d: figure %s = %+v, %v", i, f, st, ok)
			}
			if f != "mean_ms" && st.CI95 != 0 {
				t.Errorf("point %d: %s has a CI of %v with one seed; want 0", i, f, st.CI95)
			}
		}
	}
	// One seed: the figures are the run's own, mean_ms with its batch-means
	// interval.
	at, err := sc.WithNumber("arrivals.load", 0.6)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sim.RunAlgorithm(context.Background(), at, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := sw.Points[1*3+2]
	if m := p.Figures["mean_ms"]; m.Mean != a.Latency.Mean || m.CI95 != a.Latency.MeanCI95 || m.CI95 <= 0 {
		t.Errorf("p2c at 0.6: mean_ms %+v; the run says %v ± %v", m, a.Latency.Mean, a.Latency.MeanCI95)
	}
	if p.Figures["p99_ms"].Mean != a.Latency.P99 || p.Figures["throughput_rps"].Mean != a.ThroughputRPS ||
		p.Figures["wait_probability"].Mean != a.WaitProbability || p.Figures["jain"].Mean != a.Fairness.Jain {
		t.Errorf("p2c at 0.6: figures %+v differ from the run's %+v", p.Figures, a)
	}
	// Latency grows with the load.
	for li, l := range sw.Labels {
		lo, hi := sw.Points[li].Figures["mean_ms"].Mean, sw.Points[2*3+li].Figures["mean_ms"].Mean
		if !(hi > lo) {
			t.Errorf("%s: mean %v at load 0.9, not above %v at 0.3", l, hi, lo)
		}
	}

	csv, err := EncodeCSV(sw)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 1+len(sw.Points) || lines[0] != strings.Join(CSVHeader, ",") ||
		!strings.HasPrefix(lines[1], "0.3,random,") || len(CSVHeader) != 2+2*len(Figures)+1 {
		t.Errorf("sweep.csv:\n%s", csv)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, sw); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tiny: arrivals.load, seed 1", "round-robin", "0.9", "±", "M/M/1 per server", "E_4/M/1 per server"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

// TestSeeds checks that K = 3 seeds run seeds 1..3 and that each figure is
// their mean with the Student's t half-width t(0.975; 2) s / sqrt(3).
func TestSeeds(t *testing.T) {
	sc := parse(t, tiny)
	sc.Seed = 5
	sw := mustRun(t, sc, Options{Param: "arrivals.load", Values: []float64{0.7}, Seeds: 3})
	if len(sw.Seeds) != 3 || sw.Seeds[0] != 5 || sw.Seeds[2] != 7 {
		t.Fatalf("seeds %v, want 5 6 7", sw.Seeds)
	}
	const t975 = 4.302652729911275 // Student's t, 2 degrees of freedom, 97.5%
	at, _ := sc.WithNumber("arrivals.load", 0.7)
	for li, p := range sw.Points {
		var means, p99s []float64
		for _, seed := range sw.Seeds {
			s := at.Clone()
			s.Seed = seed
			a, err := sim.RunAlgorithm(context.Background(), s, li, nil)
			if err != nil {
				t.Fatal(err)
			}
			means = append(means, a.Latency.Mean)
			p99s = append(p99s, a.Latency.P99)
		}
		for name, xs := range map[string][]float64{"mean_ms": means, "p99_ms": p99s} {
			m, sd := stat.MeanStdDev(xs, nil)
			st := p.Figures[name]
			if st.N != 3 || math.Abs(st.Mean-m) > 1e-12*m || math.Abs(st.CI95-t975*sd/math.Sqrt(3)) > 1e-9*st.CI95 {
				t.Errorf("%s %s = %+v; runs %v give %v ± %v", p.Label, name, st, xs, m, t975*sd/math.Sqrt(3))
			}
			// Sensible: the seeds differ, but not by as much as the figure.
			if !(st.CI95 > 0 && st.CI95 < st.Mean) {
				t.Errorf("%s %s: CI %v for a mean of %v", p.Label, name, st.CI95, st.Mean)
			}
		}
	}
}

func TestShardsMergeToWhole(t *testing.T) {
	sc := parse(t, tiny)
	opt := Options{Param: "arrivals.load", Values: []float64{0.4, 0.6, 0.8}, Seeds: 2, Parallelism: 3}
	whole, err := EncodeJSON(mustRun(t, sc, opt))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 4} {
		var parts []*report.Sweep
		for i := n - 1; i >= 0; i-- { // any order
			o := opt
			o.Shard, o.Shards, o.Parallelism = i, n, 1
			part := mustRun(t, sc, o)
			if part.Shard != FormatShard(i, n) {
				t.Errorf("shard %d/%d is named %q", i, n, part.Shard)
			}
			// Through the files, as sim merge reads them.
			dir := filepath.Join(t.TempDir(), "shard")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := WriteDir(dir, part, nil); err != nil {
				t.Fatal(err)
			}
			back, err := Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, back)
		}
		merged, err := Merge(parts...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := EncodeJSON(merged)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, whole) {
			t.Errorf("%d shards merged differ from the whole sweep:\n%s\nwant\n%s", n, got, whole)
		}
	}
}

func TestMergeRejects(t *testing.T) {
	sc := parse(t, tiny)
	sc.Requests = 300
	opt := Options{Param: "arrivals.load", Values: []float64{0.4, 0.6}, Seeds: 1}
	shard := func(o Options, i, n int) *report.Sweep {
		o.Shard, o.Shards = i, n
		return mustRun(t, sc, o)
	}
	s0, s1 := shard(opt, 0, 2), shard(opt, 1, 2)
	whole := mustRun(t, sc, opt)
	other := opt
	other.Values = []float64{0.4, 0.7}
	moreSeeds := opt
	moreSeeds.Seeds = 2
	sc2 := sc.Clone()
	sc2.Requests = 400
	otherScenario, err := Run(context.Background(), sc2, Options{Param: opt.Param, Values: opt.Values, Seeds: 1, Shard: 1, Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	relabelled := *s1
	relabelled.Points = append([]report.SweepPoint(nil), s1.Points...)
	relabelled.Points[0].Label = "bogus"
	lying := *s1 // says shard 1/2, holds a point of shard 0
	lying.Points = append([]report.SweepPoint{s0.Points[0]}, s1.Points[1:]...)

	for _, tc := range []struct {
		name  string
		parts []*report.Sweep
		want  string
	}{
		{"none", nil, "nothing to merge"},
		{"missing", []*report.Sweep{s0}, "missing shard 1/2"},
		{"overlap", []*report.Sweep{s0, s1, s0}, "shard 0/2 appears twice"},
		{"whole and shard", []*report.Sweep{whole, s1}, "whole sweep"},
		{"other N", []*report.Sweep{s0, shard(opt, 1, 3)}, "of 2 shards"},
		{"values", []*report.Sweep{s0, shard(other, 1, 2)}, "values"},
		{"seeds", []*report.Sweep{s0, shard(moreSeeds, 1, 2)}, "seeds"},
		{"scenario", []*report.Sweep{s0, otherScenario}, "scenarios differ"},
		{"unknown point", []*report.Sweep{s0, &relabelled}, "not in the sweep"},
		{"point twice", []*report.Sweep{s0, &lying}, "is in part 1 (shard 0/2) and in part 2 (shard 1/2)"},
	} {
		_, err := Merge(tc.parts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Merge = %v; want an error containing %q", tc.name, err, tc.want)
		}
	}
	// A point missing though every shard is there.
	short := *s1
	short.Points = s1.Points[1:]
	if _, err := Merge(s0, &short); err == nil || !strings.Contains(err.Error(), "1 of 6 points are missing") {
		t.Errorf("Merge with a point missing = %v", err)
	}
	if m, err := Merge(whole); err != nil || m.Shard != "" || len(m.Points) != 6 {
		t.Errorf("Merge(whole) = %+v, %v", m, err)
	}
}

func TestTheory(t *testing.T) {
	sc := parse(t, tiny)
	values := []float64{0.5, 0.9, 1, 1.2}
	scs, err := Scenarios(sc, "arrivals.load", values)
	if err != nil {
		t.Fatal(err)
	}
	curves := theoryCurves(scs)
	if len(curves) != 2 || curves[0].Label != "random" || curves[1].Label != "round-robin" {
		t.Fatalf("curves %+v; want random and round-robin", curves)
	}
	mu, n := 1000.0, 4 // 1 ms service
	for vi, load := range values {
		lambda := load * float64(n) * mu
		for _, c := range curves {
			r := theory.RandomRouting(lambda, mu, n)
			if c.Label == "round-robin" {
				r = theory.RoundRobin(lambda, mu, n)
			}
			want := r.MeanResponse * 1000
			if load >= 1 {
				want = Unstable
			}
			if c.Figure != "mean_ms" || math.Abs(c.Values[vi]-want) > 1e-12*math.Abs(want) {
				t.Errorf("%s at %v: %v, want %v", c.Label, load, c.Values[vi], want)
			}
		}
	}
	if got := curves[0].Values[0]; math.Abs(got-2) > 1e-12 { // M/M/1 at 0.5, 1 ms: 2 ms
		t.Errorf("random at 0.5: %v ms, want 2", got)
	}

	// Sweeping the service time or the rate keeps the model; anything else
	// that leaves it has no curves.
	if scs, err := Scenarios(sc, "servers[0].service.mean", []float64{0.001, 0.002}); err != nil || len(theoryCurves(scs)) != 2 {
		t.Errorf("sweep of the mean service time: curves %v, %v", theoryCurves(scs), err)
	}
	for _, tc := range []struct{ change, param string }{
		{"servers:\n  - {name: web, count: 4, service: {dist: lognormal, mean: 1ms, cv: 2}}\n", "arrivals.load"},
		{"servers:\n  - {name: web, count: 4, concurrency: 2, service: {dist: exponential, mean: 1ms}}\n", "arrivals.load"},
		{"servers:\n  - {name: web, count: 4, queue_limit: 5, service: {dist: exponential, mean: 1ms}}\n", "arrivals.load"},
		{"servers:\n  - {name: a, count: 2, service: {dist: exponential, mean: 1ms}}\n  - {name: b, count: 2, service: {dist: exponential, mean: 1ms}}\n", "arrivals.load"},
		{"timeout: 1s\n", "arrivals.load"},
		{"balancers: 2\n", "arrivals.load"},
		{"network: {dist: constant, value: 1ms}\n", "arrivals.load"},
		{"faults: [{at: 1s, target: web-0, kind: crash}]\n", "arrivals.load"},
		{"health_check: {active: {}}\n", "arrivals.load"},
		{"arrivals: {process: constant, load: 0.5}\n", "arrivals.load"},
		{"", "timeout"}, // 0 at the first value only
	} {
		text := tiny
		if strings.HasPrefix(tc.change, "servers:") {
			text = strings.Replace(text, "servers:\n  - {name: web, count: 4, service: {dist: exponential, mean: 1ms}}\n", tc.change, 1)
		} else if strings.HasPrefix(tc.change, "arrivals:") {
			text = strings.Replace(text, "arrivals: {load: 0.5}\n", tc.change, 1)
		} else {
			text += tc.change
		}
		vals := []float64{0.5, 0.7}
		if tc.param == "timeout" {
			vals = []float64{0, 1}
		}
		scs, err := Scenarios(parse(t, text), tc.param, vals)
		if err != nil {
			t.Fatalf("%q: %v", tc.change, err)
		}
		if c := theoryCurves(scs); c != nil {
			t.Errorf("%q, sweeping %s: theory curves %+v; want none", tc.change, tc.param, c)
		}
	}
	// Only random and round-robin have curves.
	scs, _ = Scenarios(parse(t, strings.Replace(tiny, "[random, round-robin, ", "[least-connections, ", 1)), "arrivals.load", []float64{0.5})
	if c := theoryCurves(scs); c != nil {
		t.Errorf("least-connections and p2c: curves %+v", c)
	}
}

func TestRunErrors(t *testing.T) {
	sc := parse(t, tiny)
	for _, tc := range []struct {
		opt  Options
		want string
	}{
		{Options{Param: "arrivals.lod", Values: []float64{1}, Seeds: 1}, "arrivals.lod: no such field"},
		{Options{Param: "servers[3].count", Values: []float64{1}, Seeds: 1}, "servers[3].count: the scenario has 1 server groups"},
		{Options{Param: "arrivals.load", Values: []float64{0.5, 0}, Seeds: 1}, "arrivals.load = 0: must be > 0"},
		{Options{Param: "arrivals.load", Values: []float64{0.5}, Seeds: 0}, "0 seeds"},
		{Options{Param: "arrivals.load", Values: nil, Seeds: 1}, "no values"},
		{Options{Param: "arrivals.load", Values: []float64{0.5}, Seeds: 1, Shard: 3, Shards: 2}, "shard 3/2"},
	} {
		if _, err := Run(context.Background(), sc, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v) = %v; want an error containing %q", tc.opt, err, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, sc, Options{Param: "arrivals.load", Values: []float64{0.5}, Seeds: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run on a cancelled context = %v", err)
	}
}

// TestRunFailureCancels: a run that fails is the error reported, named by
// its value, label and seed, whichever runs it cancelled; with one run at a
// time, none starts after it (the progress counts only the two before it).
// "fails-to-start" is a registered strategy whose balancer cannot be built,
// so it fails when its run starts, not when the sweep is planned.
func TestRunFailureCancels(t *testing.T) {
	if err := algorithms.Register(algorithms.Spec{
		Name: "fails-to-start",
		New: func(algorithms.Params, rand.Source) (algorithms.Balancer, error) {
			return nil, errors.New("cannot start")
		},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { algorithms.Unregister("fails-to-start") })
	for _, par := range []int{1, 2, 4} {
		sc := parse(t, tiny)
		sc.Warmup = 0
		sc.Algorithms = []scenarios.Algorithm{{Name: "round-robin", Label: "round-robin"}, {Name: "fails-to-start", Label: "fails-to-start"}}
		var arrivals atomic.Int64
		_, err := Run(context.Background(), sc, Options{
			Param: "arrivals.load", Values: []float64{0.5, 0.6}, Seeds: 2, Parallelism: par,
			Progress: func(n int64) { arrivals.Add(n) },
		})
		// One at a time, the first broken run fails first; with more, the
		// second may fail first and cancel the first before it starts.
		want := []string{fmt.Sprintf("arrivals.load = 0.5, fails-to-start, seed %d: sim: algorithm fails-to-start: algorithms: fails-to-start: cannot start", sc.Seed)}
		if par > 1 {
			want = append(want, strings.Replace(want[0], fmt.Sprint("seed ", sc.Seed), fmt.Sprint("seed ", sc.Seed+1), 1))
		}
		if err == nil || !slices.Contains(want, err.Error()) {
			t.Errorf("parallelism %d: Run = %v; want one of %q", par, err, want)
		}
		if par == 1 && arrivals.Load() != 2*sc.Requests {
			t.Errorf("parallelism 1: %d arrivals simulated; want %d, round-robin's two seeds at 0.5 and nothing after the failure", arrivals.Load(), 2*sc.Requests)
		}
	}
}
