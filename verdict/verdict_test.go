package verdict

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
)

// srv is a synthetic server: requests, utilisation, errors, mean latency.
type srv struct {
	name   string
	req    int64
	util   float64
	errs   int64
	meanMS float64
}

// alg builds a synthetic algorithm with the given p99 and mean (ms),
// errors (failed) and servers; Jain's index and the counts follow from
// the servers (equal weights).
func alg(label string, p99, mean float64, failed int64, servers ...srv) report.Algorithm {
	a := report.Algorithm{Label: label, Algorithm: label, Latency: report.Latency{P99: p99, Mean: mean}}
	shares := make([]float64, len(servers))
	for i, s := range servers {
		a.Requests += s.req
		a.Servers = append(a.Servers, report.Server{Name: s.name, Requests: s.req, Utilization: s.util, Errors: s.errs,
			Latency: report.ServerLatency{Mean: s.meanMS}})
		shares[i] = float64(s.req)
	}
	a.Errors.Failed = failed
	a.Completed = a.Requests - failed
	a.Fairness.Jain = jain(shares)
	return a
}

func jain(xs []float64) float64 {
	var s, ss float64
	for _, x := range xs {
		s += x
		ss += x * x
	}
	if ss == 0 {
		return 0
	}
	return s * s / (float64(len(xs)) * ss)
}

// even is n servers web-0.. with req requests each at utilisation u.
func even(n int, req int64, u float64) []srv {
	out := make([]srv, n)
	for i := range out {
		out[i] = srv{name: "web-" + string(rune('0'+i)), req: req, util: u, meanMS: 10}
	}
	return out
}

func summary(engine string, algs ...report.Algorithm) *report.Summary {
	return &report.Summary{Scenario: "t", Engine: engine, Seed: 1, Algorithms: algs}
}

// withSeeds gives every algorithm K per-seed figures: its p99 and mean
// plus the noise noise(i, seed), its error rate and Jain's index as they
// are.
func withSeeds(s *report.Summary, k int, noise func(alg, seed int) float64) *report.Summary {
	for i := range k {
		s.Seeds = append(s.Seeds, uint64(1+i))
	}
	for j := range s.Algorithms {
		a := &s.Algorithms[j]
		for i := range k {
			f := report.FiguresOf(a)
			d := noise(j, i)
			f.P99MS += d
			f.MeanMS += d / 4
			a.PerSeed = append(a.PerSeed, f)
		}
	}
	return s
}

func objectiveOf(t *testing.T, v *report.Verdict, key string) report.VerdictObjective {
	t.Helper()
	for _, o := range v.Objectives {
		if o.Figure == key {
			return o
		}
	}
	t.Fatalf("no objective %s in %+v", key, v.Objectives)
	return report.VerdictObjective{}
}

func reasonOf(t *testing.T, v *report.Verdict, label string) report.VerdictReason {
	t.Helper()
	for _, r := range v.Reasons {
		if r.Label == label {
			return r
		}
	}
	t.Fatalf("no reason for %s in %+v", label, v.Reasons)
	return report.VerdictReason{}
}

func tieLabels(o report.VerdictObjective) string {
	var ls []string
	for _, t := range o.Ties {
		ls = append(ls, t.Label)
	}
	return strings.Join(ls, ",")
}

func TestDecide(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	noise := make([][]float64, 4) // per algorithm, per seed: N(0, 1) ms
	for j := range noise {
		for range 6 {
			noise[j] = append(noise[j], rng.NormFloat64())
		}
		// Centred: each algorithm's mean over the seeds is its own figure.
		m := meanOf(noise[j])
		for i := range noise[j] {
			noise[j][i] -= m
		}
	}
	crash := func(a report.Algorithm) report.Algorithm {
		a.Events = []report.Event{report.FaultEvent(8250, "web-2", "crash", false, 0), report.FaultEvent(14250, "web-2", "crash", true, 0)}
		return a
	}
	staleCtx := Context{LoadInfo: true, Age: 2 * time.Second}
	herd := func(a report.Algorithm, h float64) report.Algorithm { a.Herding = &h; return a }
	wait := func(a report.Algorithm, w float64) report.Algorithm { a.WaitProbability = w; return a }

	tests := []struct {
		name      string
		s         *report.Summary
		ctx       Context
		recommend string
		test      string // Verdict.Test
		note      string // a substring of Note
		p99Best   string
		p99Ties   string // labels, comma-separated
		errBest   string
		reasons   map[string]string // label: rule
		texts     map[string]string // label: a substring of its line
		check     func(t *testing.T, v *report.Verdict)
	}{
		{
			name: "one seed: the lowest p99 wins; within 5% is a tie, not tested",
			s: summary("sim",
				wait(alg("rr", 90, 20, 0, even(4, 1000, 0.7)...), 0.5),
				wait(alg("lc", 54, 12, 0, even(4, 1000, 0.7)...), 0.2),
				wait(alg("p2c", 56, 12.3, 0, even(4, 1000, 0.7)...), 0.21)),
			recommend: "lc", test: "not tested: one seed", note: "one seed: differences under 5%",
			p99Best: "lc", p99Ties: "p2c", errBest: "rr",
			reasons: map[string]string{"rr": "queueing", "lc": "recommended", "p2c": "tied"},
			texts:   map[string]string{"rr": "rr: p99 1.67x lc's (90.0 ms against 54.0 ms); 50.0% of its requests queued against lc's 20.0%"},
		},
		{
			name: "one seed: the mean's batch-means intervals decide the mean",
			s: func() *report.Summary {
				s := summary("sim", alg("a", 50, 10.0, 0, even(4, 1000, 0.7)...), alg("b", 60, 10.3, 0, even(4, 1000, 0.7)...))
				s.Algorithms[0].Latency.MeanCI95, s.Algorithms[1].Latency.MeanCI95 = 0.2, 0.2 // hypot 0.28 < 0.3: apart
				return s
			}(),
			recommend: "a", test: "not tested: one seed", p99Best: "a", errBest: "a",
			reasons: map[string]string{"b": "slower"},
			texts:   map[string]string{"b": "b: p99 1.20x a's"},
			check: func(t *testing.T, v *report.Verdict) {
				if m := objectiveOf(t, v, "mean_ms"); m.Best != "a" || len(m.Ties) != 0 || !strings.Contains(m.Rule, "batch-means") {
					t.Errorf("mean: %+v; want a alone, told apart by the batch-means intervals", m)
				}
			},
		},
		{
			name: "one seed: overlapping batch-means intervals tie the mean",
			s: func() *report.Summary {
				s := summary("sim", alg("a", 50, 10.0, 0, even(4, 1000, 0.7)...), alg("b", 60, 10.3, 0, even(4, 1000, 0.7)...))
				s.Algorithms[0].Latency.MeanCI95, s.Algorithms[1].Latency.MeanCI95 = 0.3, 0.3 // hypot 0.42 > 0.3
				return s
			}(),
			recommend: "a", test: "not tested: one seed", p99Best: "a", errBest: "a",
			check: func(t *testing.T, v *report.Verdict) {
				if m := objectiveOf(t, v, "mean_ms"); m.Best != "a" || tieLabels(m) != "b" {
					t.Errorf("mean: %+v; want a, b tied", m)
				}
			},
		},
		{
			name: "errors only: the same latency, errors on a crashed server decide",
			s: summary("sim",
				crash(alg("lc", 50, 10, 2400, srv{"web-0", 30000, 0.6, 0, 10}, srv{"web-1", 30000, 0.6, 0, 10}, srv{"web-2", 40000, 0.3, 2400, 10})),
				crash(alg("rr", 50, 10, 1200, srv{"web-0", 33000, 0.6, 0, 10}, srv{"web-1", 33000, 0.6, 0, 10}, srv{"web-2", 34000, 0.3, 1200, 10}))),
			recommend: "rr", test: "not tested: one seed", p99Best: "lc", p99Ties: "rr", errBest: "rr",
			reasons: map[string]string{"lc": "errors", "rr": "recommended"},
			texts: map[string]string{"lc": "lc: error rate 2.40% against rr's 1.20%; all of them failed; 100% of the errors at servers on web-2 (crash at 8.25s), which it sent 40.0% of requests, rr 34.0%",
				"rr": "best error rate (1.20%), Jain's index (1.000); as good as the best in p99 (50.0 ms), mean (10.0 ms)"},
		},
		{
			name: "one seed: an error rate within counting noise is a tie",
			s: summary("sim",
				alg("a", 50, 10, 3, even(4, 50000, 0.7)...), // 1.5e-5 against 0: within 1.96 se
				alg("b", 60, 12, 0, even(4, 50000, 0.7)...)),
			recommend: "a", test: "not tested: one seed", p99Best: "a", errBest: "b",
			reasons: map[string]string{"b": "slower"},
		},
		{
			name: "a hot server",
			s: summary("sim",
				alg("rr", 200, 30, 0, srv{"web-0", 1000, 0.60, 0, 10}, srv{"web-1", 1000, 0.60, 0, 10}, srv{"web-7", 1000, 0.99, 0, 80}),
				alg("p2c", 60, 12, 0, srv{"web-0", 1100, 0.70, 0, 10}, srv{"web-1", 1100, 0.70, 0, 10}, srv{"web-7", 800, 0.75, 0, 20})),
			recommend: "p2c", test: "not tested: one seed", p99Best: "p2c", errBest: "rr",
			reasons: map[string]string{"rr": "hot-server"},
			texts:   map[string]string{"rr": "web-7 at 99% utilisation while the rest are at 60% (p2c's busiest: 75%)"},
		},
		{
			name: "old load information: herding",
			s: summary("sim",
				herd(alg("lc", 108, 30, 0, even(4, 1000, 0.9)...), 7),
				herd(alg("p2c", 51, 15, 0, even(4, 1000, 0.9)...), 2.4)),
			ctx:       staleCtx,
			recommend: "p2c", test: "not tested: one seed", p99Best: "p2c", errBest: "lc",
			reasons: map[string]string{"lc": "stale-load"},
			texts:   map[string]string{"lc": "lc: p99 2.12x p2c's (108 ms against 51.0 ms) with load information up to 2s old: herding index 7.00 against p2c's 2.40"},
		},
		{
			name: "herding without old load information is not blamed on it",
			s: summary("sim",
				herd(alg("lc", 108, 30, 0, even(4, 1000, 0.9)...), 7),
				herd(alg("p2c", 51, 15, 0, even(4, 1000, 0.9)...), 2.4)),
			recommend: "p2c", test: "not tested: one seed", p99Best: "p2c", errBest: "lc",
			reasons: map[string]string{"lc": "slower"},
		},
		{
			name: "a slow server fed its even share",
			s: summary("sim",
				alg("rr", 900, 40, 0, srv{"fast-0", 1000, 0.5, 0, 10}, srv{"fast-1", 1000, 0.5, 0, 11}, srv{"fast-2", 1000, 0.5, 0, 10}, srv{"slow-0", 1000, 0.8, 0, 100}),
				alg("lc", 90, 12, 0, srv{"fast-0", 1300, 0.6, 0, 10}, srv{"fast-1", 1300, 0.6, 0, 10}, srv{"fast-2", 1300, 0.6, 0, 10}, srv{"slow-0", 100, 0.8, 0, 60})),
			recommend: "lc", test: "not tested: one seed", p99Best: "lc", errBest: "rr",
			reasons: map[string]string{"rr": "slow-server"},
			texts:   map[string]string{"rr": "slow-0 answers in 100 ms (the others' median 10.0 ms) and took 25.0% of its requests, 2.50% of lc's"},
		},
		{
			name: "imbalance, by weight",
			s: summary("sim",
				alg("ring-hash", 80, 20, 0, srv{"web-0", 1400, 0.7, 0, 10}, srv{"web-1", 1000, 0.7, 0, 10}, srv{"web-2", 800, 0.7, 0, 10}, srv{"big-0", 1800, 0.7, 0, 10}),
				alg("p2c", 50, 12, 0, srv{"web-0", 1000, 0.7, 0, 10}, srv{"web-1", 1000, 0.7, 0, 10}, srv{"web-2", 1000, 0.7, 0, 10}, srv{"big-0", 2000, 0.7, 0, 10})),
			ctx:       Context{Weights: map[string]float64{"big-0": 2}},
			recommend: "p2c", test: "not tested: one seed", p99Best: "p2c", errBest: "ring-hash",
			reasons: map[string]string{"ring-hash": "imbalance"},
			texts:   map[string]string{"ring-hash": "its busiest server, web-0, took 28.0% of requests against 20.0% even (Jain's index 0.914, p2c's 0.893)"},
		},
		{
			name: "paired t-test over seeds: a steady 2 ms gap is told apart, noise is not",
			s: withSeeds(summary("sim",
				alg("a", 50, 10, 0, even(4, 1000, 0.7)...),
				alg("b", 52, 10.5, 0, even(4, 1000, 0.7)...),
				alg("c", 50.2, 10.05, 0, even(4, 1000, 0.7)...)), 6,
				func(j, i int) float64 {
					if j == 2 {
						return 3 * noise[2][i] // c: the same level as a, much noisier
					}
					return 0.1 * noise[0][i] // a and b move together: a paired gap of exactly 2
				}),
			recommend: "a", test: "paired t-test over 6 seeds", p99Best: "a", p99Ties: "c", errBest: "a",
			reasons: map[string]string{"a": "recommended", "b": "slower", "c": "tied"},
		},
		{
			name: "real, 5 repetitions: Mann-Whitney U",
			s: func() *report.Summary {
				s := summary("real", alg("a", 50, 10, 0, even(4, 1000, 0.7)...), alg("b", 51, 10.2, 0, even(4, 1000, 0.7)...), alg("c", 70, 14, 0, even(4, 1000, 0.7)...))
				for j := range s.Algorithms {
					a := &s.Algorithms[j]
					for i := range 5 {
						f := report.FiguresOf(a)
						f.P99MS += 4 * noise[j][i] // a and b overlap; c is 20 ms away
						a.Repetitions = append(a.Repetitions, f)
					}
				}
				return s
			}(),
			recommend: "a", test: "Mann-Whitney U over 5 repetitions", p99Best: "a", p99Ties: "b", errBest: "a",
			reasons: map[string]string{"c": "slower"},
		},
		{
			name: "real, 3 repetitions: too few for Mann-Whitney, the rule without samples",
			s: func() *report.Summary {
				s := summary("real", alg("a", 50, 10, 0, even(4, 1000, 0.7)...), alg("b", 70, 14, 0, even(4, 1000, 0.7)...))
				for j := range s.Algorithms {
					for range 3 {
						s.Algorithms[j].Repetitions = append(s.Algorithms[j].Repetitions, report.FiguresOf(&s.Algorithms[j]))
					}
				}
				return s
			}(),
			recommend: "a", test: "not tested: 3 repetitions", note: "too few for the Mann-Whitney U test", p99Best: "a", errBest: "a",
		},
		{
			name:      "real, one repetition",
			s:         summary("real", alg("a", 50, 10, 0, even(4, 1000, 0.7)...), alg("b", 70, 14, 0, even(4, 1000, 0.7)...)),
			recommend: "a", test: "not tested: one repetition", note: "run --repeat 5", p99Best: "a", errBest: "a",
		},
		{
			name:      "a single algorithm",
			s:         summary("sim", alg("p2c", 50, 10, 0, even(4, 1000, 0.7)...)),
			recommend: "p2c", test: "not tested: one seed", note: "one algorithm: nothing to compare", p99Best: "p2c", errBest: "p2c",
			reasons: map[string]string{"p2c": "only"},
		},
		{
			name: "no completed request: no latency, not recommended",
			s: summary("sim",
				alg("dead", 0, 0, 4000, even(4, 1000, 0)...),
				alg("ok", 80, 20, 0, even(4, 1000, 0.7)...)),
			recommend: "ok", test: "not tested: one seed", p99Best: "ok", errBest: "ok",
			reasons: map[string]string{"dead": "errors"},
		},
		{
			name: "NaN figures take no part",
			s: func() *report.Summary {
				s := summary("sim", alg("nan", 10, 5, 0, even(4, 1000, 0.7)...), alg("ok", 80, 20, 0, even(4, 1000, 0.7)...))
				s.Algorithms[0].Latency.P99 = math.NaN()
				return s
			}(),
			recommend: "ok", test: "not tested: one seed", p99Best: "ok", errBest: "nan",
			reasons: map[string]string{"nan": "slower"},
			texts:   map[string]string{"nan": "no completed request, so no p99"},
		},
		{
			name:      "no algorithm",
			s:         summary("sim"),
			recommend: "", test: "not tested: one seed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Decide(tt.s, tt.ctx)
			if v.Recommend != tt.recommend || v.Test != tt.test {
				t.Fatalf("recommend %q, test %q; want %q, %q\n%s", v.Recommend, v.Test, tt.recommend, tt.test, text(v))
			}
			if !strings.Contains(v.Note, tt.note) {
				t.Errorf("note %q; want it to say %q", v.Note, tt.note)
			}
			if len(tt.s.Algorithms) == 0 {
				if len(v.Objectives) != 0 || len(v.Reasons) != 0 || v.Why != "no algorithm ran" {
					t.Errorf("empty summary: %+v", v)
				}
				return
			}
			if len(v.Objectives) != 4 || len(v.Reasons) != len(tt.s.Algorithms) {
				t.Fatalf("%d objectives, %d reasons; want 4, %d", len(v.Objectives), len(v.Reasons), len(tt.s.Algorithms))
			}
			for i, key := range []string{"p99_ms", "mean_ms", "error_rate", "jain"} {
				if v.Objectives[i].Figure != key {
					t.Errorf("objective %d is %s, want %s", i, v.Objectives[i].Figure, key)
				}
			}
			if p := objectiveOf(t, v, "p99_ms"); p.Best != tt.p99Best || tieLabels(p) != tt.p99Ties {
				t.Errorf("p99: best %q, ties %q; want %q, %q\n%s", p.Best, tieLabels(p), tt.p99Best, tt.p99Ties, text(v))
			}
			if e := objectiveOf(t, v, "error_rate"); e.Best != tt.errBest {
				t.Errorf("error rate: best %q, want %q", e.Best, tt.errBest)
			}
			for label, rule := range tt.reasons {
				if r := reasonOf(t, v, label); r.Rule != rule {
					t.Errorf("%s: rule %q (%s); want %q", label, r.Rule, r.Text, rule)
				}
			}
			for label, want := range tt.texts {
				if r := reasonOf(t, v, label); !strings.Contains(r.Text, want) {
					t.Errorf("%s: %q\nwant it to contain %q", label, r.Text, want)
				}
			}
			if tt.check != nil {
				tt.check(t, v)
			}
			// The verdict goes into summary.json: no NaN may reach it.
			if _, err := json.Marshal(v); err != nil {
				t.Errorf("summary.json cannot hold it: %v", err)
			}
		})
	}
}

func text(v *report.Verdict) string {
	var b bytes.Buffer
	report.WriteVerdict(&b, v)
	return b.String()
}

// TestDecideTieP: in a run of seeds, each tie carries its test's p-value,
// at or above Alpha; a single seed's ties carry none.
func TestDecideTieP(t *testing.T) {
	base := summary("sim", alg("a", 50, 10, 0, even(4, 1000, 0.7)...), alg("b", 50.5, 10.1, 0, even(4, 1000, 0.7)...))
	one := Decide(base, Context{})
	if o := objectiveOf(t, one, "p99_ms"); len(o.Ties) != 1 || o.Ties[0].P != nil || !strings.Contains(o.Rule, "not tested") {
		t.Errorf("one seed: %+v", o)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	seeded := withSeeds(base, 5, func(int, int) float64 { return 2 * rng.NormFloat64() })
	o := objectiveOf(t, Decide(seeded, Context{}), "p99_ms")
	if len(o.Ties) != 1 || o.Ties[0].P == nil || *o.Ties[0].P < Alpha || o.Rule != "p >= 0.05" {
		t.Errorf("5 seeds: %+v", o)
	}
}

// TestDecideDeterministic: the same summary gives the same bytes, as
// summary.json must for the same seed.
func TestDecideDeterministic(t *testing.T) {
	s := summary("sim",
		alg("rr", 90, 20, 5, even(8, 1000, 0.7)...), alg("lc", 54, 12, 0, even(8, 1000, 0.7)...),
		alg("p2c", 56, 13, 0, even(8, 1000, 0.7)...), alg("random", 150, 30, 9, even(8, 1000, 0.7)...))
	first, _ := json.Marshal(Decide(s, Context{}))
	for range 20 {
		if again, _ := json.Marshal(Decide(s, Context{})); !bytes.Equal(first, again) {
			t.Fatalf("verdict differs between calls:\n%s\n%s", first, again)
		}
	}
}

// TestPairedT checks the paired t-test against a value worked out by
// numerical integration of Student's t density: differences 1..5, t =
// 3 / (sqrt(2.5) / sqrt(5)) = 4.2426 with 4 degrees of freedom, p =
// 0.0132356; and its edges.
func TestPairedT(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"differences 1..5", []float64{11, 12, 13, 14, 15}, []float64{10, 10, 10, 10, 10}, 0.0132356},
		{"sign does not matter", []float64{10, 10, 10, 10, 10}, []float64{11, 12, 13, 14, 15}, 0.0132356},
		{"all equal", []float64{1, 2, 3}, []float64{1, 2, 3}, 1},
		{"a constant difference", []float64{2, 3, 4}, []float64{1, 2, 3}, 0},
		{"one pair", []float64{2}, []float64{1}, 1},
		{"a NaN", []float64{2, math.NaN(), 4}, []float64{1, 2, 3}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pairedT(tt.x, tt.y); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("p = %.7f, want %.7f", got, tt.want)
			}
		})
	}
}

// TestDecideSeedsSkewed: over seeds, latencies are compared by their
// ratios, so a tail that collapses in one seed does not hide a gap in
// every seed; a gap in two seeds only is not told apart, and the reason
// says how widely the seeds spread.
func TestDecideSeedsSkewed(t *testing.T) {
	tests := []struct {
		name string
		b    []float64 // b's p99 per seed; a's is 100 ms in every seed
		rule string    // b's reason
		text string
	}{
		{"worse in every seed, one seed far worse", []float64{2000, 3000, 96000, 2500, 5000}, "slower", "b: p99 217x a's"},
		{"worse in two seeds only", []float64{90, 110, 5000, 95, 8000}, "tied",
			"b: p99 26.6x a's (2660 ms against 100 ms), but not told apart (p = 0.18): its p99 ranges from 90.0 ms to 8000 ms over the 5 seeds; run more (--seeds 10)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summary("sim", alg("a", 100, 10, 0, even(4, 1000, 0.7)...), alg("b", 0, 10, 0, even(4, 1000, 0.7)...))
			for i, p99 := range tt.b {
				s.Seeds = append(s.Seeds, uint64(i+1))
				fa, fb := report.FiguresOf(&s.Algorithms[0]), report.FiguresOf(&s.Algorithms[1])
				fb.P99MS = p99
				s.Algorithms[0].PerSeed = append(s.Algorithms[0].PerSeed, fa)
				s.Algorithms[1].PerSeed = append(s.Algorithms[1].PerSeed, fb)
			}
			v := Decide(s, Context{})
			if v.Recommend != "a" {
				t.Fatalf("recommend %q, want a\n%s", v.Recommend, text(v))
			}
			if r := reasonOf(t, v, "b"); r.Rule != tt.rule || !strings.Contains(r.Text, tt.text) {
				t.Errorf("b: %+v\nwant rule %q and %q", r, tt.rule, tt.text)
			}
		})
	}
}

// TestDecideNoisyBeforeLoss: a real run of 4 repetitions where b's p99
// is far worse on average but all over the place (not told apart), and
// its Jain's index is steadily worse (told apart): b's line names the
// fairness loss, then the p99 gap the test could not confirm.
func TestDecideNoisyBeforeLoss(t *testing.T) {
	s := summary("real", alg("a", 80, 10, 0, even(4, 1000, 0.7)...), alg("b", 907.5, 10, 0, even(4, 1000, 0.7)...))
	s.Algorithms[1].Fairness.Jain = 0.95
	for k, p99 := range []float64{60, 2000, 70, 1500} {
		fa, fb := report.FiguresOf(&s.Algorithms[0]), report.FiguresOf(&s.Algorithms[1])
		fa.P99MS, fb.P99MS = 80+float64(k), p99
		s.Algorithms[0].Repetitions = append(s.Algorithms[0].Repetitions, fa)
		s.Algorithms[1].Repetitions = append(s.Algorithms[1].Repetitions, fb)
	}
	v := Decide(s, Context{})
	if v.Recommend != "a" || v.Test != "Mann-Whitney U over 4 repetitions" {
		t.Fatalf("recommend %q, test %q\n%s", v.Recommend, v.Test, text(v))
	}
	if p := objectiveOf(t, v, "p99_ms"); tieLabels(p) != "b" {
		t.Errorf("p99 ties %q, want b", tieLabels(p))
	}
	want := "b: Jain's index 0.950 against a's 1.000; p99 11.3x a's (908 ms against 80.0 ms), but not told apart (p = 1.0): its p99 ranges from 60.0 ms to 2000 ms over the 4 repetitions; run more (--repeat 8)"
	if r := reasonOf(t, v, "b"); r.Text != want {
		t.Errorf("b: %q\nwant %q", r.Text, want)
	}
}
