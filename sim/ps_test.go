package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/theory"
)

// psScript drives one PS server by hand: jobs of given sizes reach it at
// given times, and the test reads when each is answered. Sizes are exact: the
// service distribution is uniform on [0, 1s), so quantile u is u seconds.
type psScript struct {
	conc, queueLimit int
	faults           []scenarios.Fault
	jobs             []psScriptJob
	removeAt         map[int]time.Duration // job index -> when psRemove takes it out
}

type psScriptJob struct {
	at, size time.Duration
}

// psFate is a job's fate: when its answer left the server, and what it was.
type psFate struct {
	at  time.Duration
	out model.Outcome
}

const psNet = time.Hour // a network delay no job time comes near: answers are events to read

func psEngine(t *testing.T, conc, queueLimit int, faults []scenarios.Fault) *engine {
	t.Helper()
	sc := queueScenario("round-robin", nil, 1, conc, dist.Spec{Dist: "uniform", Min: 0, Max: time.Second}, 0.5, 10)
	sc.Servers[0].Discipline = scenarios.DisciplinePS
	sc.Servers[0].QueueLimit = queueLimit
	sc.Network = dist.Spec{Dist: "constant", Value: psNet}
	sc.Faults = faults
	e, err := newEngine(sc, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.arriving = false // the script's jobs instead
	return e
}

// run plays the script and returns each job's fate (at 0 and 0: never
// answered) and the server's busy worker-time.
func (sp psScript) run(t *testing.T) ([]psFate, time.Duration) {
	t.Helper()
	e := psEngine(t, sp.conc, sp.queueLimit, sp.faults)
	idx := map[int32]int{}
	for k, j := range sp.jobs {
		ai := e.attempts.alloc()
		a := &e.attempts.items[ai]
		a.server, a.u, a.state = 0, j.size.Seconds(), atInFlight
		idx[ai] = k
		e.q.push(j.at, evReachServer, ai, int32(a.gen))
	}
	type removal struct {
		at time.Duration
		k  int
	}
	var removals []removal
	for k, at := range sp.removeAt {
		removals = append(removals, removal{at, k})
	}
	sort.Slice(removals, func(i, j int) bool { return removals[i].at < removals[j].at })
	fates := make([]psFate, len(sp.jobs))
	for e.q.len() > 0 {
		if len(removals) > 0 && removals[0].at <= e.q.top().at {
			e.q.settle()
			e.q.now = removals[0].at
			for ai, k := range idx {
				if k == removals[0].k && !e.psRemove(ai) {
					t.Errorf("psRemove(job %d) at %v: not in service", k, e.q.now)
				}
			}
			removals = removals[1:]
			continue
		}
		ev := e.q.pop()
		if ev.kind() == evResponse {
			a := &e.attempts.items[ev.a]
			fates[idx[ev.a]] = psFate{ev.at - psNet, a.result}
			continue
		}
		if ev.at >= psNet {
			continue // faults' ends and the like after every job is done
		}
		e.dispatch(&ev)
	}
	e.flushBusy(0)
	if p := e.servers[0].ps; p.q.Len() != 0 || e.servers[0].busy != 0 {
		t.Errorf("server left with %d jobs, %d busy", p.q.Len(), e.servers[0].busy)
	}
	return fates, time.Duration(e.servers[0].busyInt)
}

const ms = time.Millisecond

// Hand-computed processor sharing: each case's completion times follow from
// every job progressing at min(1, c/n) / slowdown of full speed.
func TestPSByHand(t *testing.T) {
	ok := model.OK
	for _, tc := range []struct {
		name     string
		script   psScript
		want     []psFate
		wantBusy time.Duration
	}{
		{"c=1: sizes 3 and 1 together finish at 2 and 4",
			psScript{conc: 1, jobs: []psScriptJob{{0, 3 * ms}, {0, 1 * ms}}},
			[]psFate{{4 * ms, ok}, {2 * ms, ok}}, 4 * ms},
		{"c=2: three of size 2 share two workers, all done at 3",
			psScript{conc: 2, jobs: []psScriptJob{{0, 2 * ms}, {0, 2 * ms}, {0, 2 * ms}}},
			[]psFate{{3 * ms, ok}, {3 * ms, ok}, {3 * ms, ok}}, 6 * ms},
		{"c=2: two jobs run at full speed",
			psScript{conc: 2, jobs: []psScriptJob{{0, 2 * ms}, {1 * ms, 2 * ms}}},
			[]psFate{{2 * ms, ok}, {3 * ms, ok}}, 4 * ms},
		{"c=1: a later arrival halves the pace of the first",
			psScript{conc: 1, jobs: []psScriptJob{{0, 2 * ms}, {1 * ms, 2 * ms}}},
			[]psFate{{3 * ms, ok}, {4 * ms, ok}}, 4 * ms},
		{"c=1: idle gap, then a job alone",
			psScript{conc: 1, jobs: []psScriptJob{{0, 1 * ms}, {5 * ms, 1 * ms}}},
			[]psFate{{1 * ms, ok}, {6 * ms, ok}}, 2 * ms},
		{"slowdown x2 from 1 to 3 changes the pace of a job in progress",
			psScript{conc: 1, jobs: []psScriptJob{{0, 3 * ms}},
				faults: []scenarios.Fault{{At: 1 * ms, Target: "s-0", Kind: "slowdown", Factor: 2, Duration: 2 * ms}}},
			[]psFate{{4 * ms, ok}}, 4 * ms},
		{"slowdown and sharing together",
			psScript{conc: 1, jobs: []psScriptJob{{0, 2 * ms}, {0, 2 * ms}},
				faults: []scenarios.Fault{{At: 0, Target: "s-0", Kind: "slowdown", Factor: 2, Duration: 0}}},
			[]psFate{{8 * ms, ok}, {8 * ms, ok}}, 8 * ms},
		{"queue_limit 1 on c=1: the third job is rejected, the fourth (after a departure) is not",
			psScript{conc: 1, queueLimit: 1, jobs: []psScriptJob{{0, 1 * ms}, {0, 3 * ms}, {0, 1 * ms}, {3 * ms, 1 * ms}}},
			[]psFate{{2 * ms, ok}, {5 * ms, ok}, {0, model.Rejected}, {5 * ms, ok}}, 5 * ms},
		{"a crash fails every job in service; after recovery the server is empty",
			psScript{conc: 1, jobs: []psScriptJob{{0, 2 * ms}, {0, 2 * ms}, {3 * ms, 1 * ms}},
				faults: []scenarios.Fault{{At: 1 * ms, Target: "s-0", Kind: "crash", Duration: 1 * ms}}},
			[]psFate{{1 * ms, model.Failed}, {1 * ms, model.Failed}, {4 * ms, ok}}, 2 * ms},
		{"psRemove at 1 of the size-3 job: the size-1 one finishes alone at 1.5",
			psScript{conc: 1, jobs: []psScriptJob{{0, 3 * ms}, {0, 1 * ms}}, removeAt: map[int]time.Duration{0: 1 * ms}},
			[]psFate{{0, 0}, {1500 * time.Microsecond, ok}}, 1500 * time.Microsecond},
		{"psRemove of one of three on c=2",
			psScript{conc: 2, jobs: []psScriptJob{{0, 2 * ms}, {0, 2 * ms}, {0, 4 * ms}}, removeAt: map[int]time.Duration{2: 3 * ms}},
			// 0-3: each at 2/3, the first two done at 3 with 2; the third removed then.
			[]psFate{{3 * ms, ok}, {3 * ms, ok}, {0, 0}}, 6 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, busy := tc.script.run(t)
			if !slices.Equal(got, tc.want) {
				t.Errorf("fates %v, want %v", got, tc.want)
			}
			if busy != tc.wantBusy {
				t.Errorf("busy worker-time %v, want %v", busy, tc.wantBusy)
			}
		})
	}
}

// Random scripts against a reference that recomputes every job's remaining
// work at every arrival and departure: the virtual clock must give the same
// completion times to the nanosecond, leave no job behind, and count busy
// time as min(n, c) workers. Sizes and gaps are odd numbers of nanoseconds,
// and c = 3 makes rates like 3/7, so every completion involves rounding.
func TestPSMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		conc := 1 + trial%3
		var sp psScript
		sp.conc = conc
		at := time.Duration(0)
		n := 1 + rng.IntN(40)
		for range n {
			at += time.Duration(rng.IntN(3_000_001))
			sp.jobs = append(sp.jobs, psScriptJob{at, 1 + time.Duration(rng.IntN(5_000_000))})
		}
		got, busy := sp.run(t)
		want, wantBusy := psReference(conc, sp.jobs)
		for k := range want {
			if got[k].out != model.OK || absDur(got[k].at-want[k]) > 1 {
				t.Fatalf("trial %d (c=%d, %d jobs): job %d done at %v (%v), reference %v", trial, conc, n, k, got[k].at, got[k].out, want[k])
			}
		}
		if absDur(busy-wantBusy) > time.Duration(2*n) {
			t.Fatalf("trial %d: busy %v, reference %v", trial, busy, wantBusy)
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// psReference is processor sharing the slow way: remaining work per job,
// reduced at every change (float64 in ns), completion times rounded.
func psReference(conc int, jobs []psScriptJob) (done []time.Duration, busy time.Duration) {
	rem := make([]float64, len(jobs))
	done = make([]time.Duration, len(jobs))
	var in []int
	now, next := 0.0, 0
	var busyF float64
	for next < len(jobs) || len(in) > 0 {
		rate := 1.0
		if len(in) > conc {
			rate = float64(conc) / float64(len(in))
		}
		tDone := math.Inf(1)
		first := -1
		for _, k := range in {
			if t := now + rem[k]/rate; t < tDone {
				tDone, first = t, k
			}
		}
		if next < len(jobs) && float64(jobs[next].at) <= tDone {
			t := float64(jobs[next].at)
			for _, k := range in {
				rem[k] -= (t - now) * rate
			}
			busyF += (t - now) * float64(min(len(in), conc))
			now = t
			rem[next] = float64(jobs[next].size)
			in = append(in, next)
			next++
			continue
		}
		for _, k := range in {
			rem[k] -= (tDone - now) * rate
		}
		busyF += (tDone - now) * float64(min(len(in), conc))
		now = tDone
		rem[first] = 0
		done[first] = time.Duration(math.Round(now))
		in = slices.DeleteFunc(in, func(k int) bool { return k == first })
	}
	return done, time.Duration(math.Round(busyF))
}

// psScenario is one PS server of concurrency conc at the given load.
func psScenario(conc int, service dist.Spec, load float64, requests int64, seed uint64) *scenarios.Scenario {
	sc := queueScenario("round-robin", nil, 1, conc, service, load, requests)
	sc.Servers[0].Discipline = scenarios.DisciplinePS
	sc.Seed = seed
	return sc
}

// M/G/1-PS is insensitive: E[T] = E[S]/(1 - rho) whatever the service
// distribution. The checks are those of theory_test.go (batch means, 4 SE,
// a bounded relative SE), on distributions far from exponential: lognormal
// with cv 3 and a pareto with alpha 2.5 (cv 2.2), for which FIFO's
// Pollaczek-Khinchine mean would be 3.3x and 2.0x PS's at this load.
func TestPSIsMG1PS(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	const load = 0.7
	for _, tc := range []struct {
		name     string
		spec     dist.Spec
		requests int64
		m2       float64 // E[S^2], s^2
	}{
		{"exponential", exp1ms, 400_000, 2e-6},
		{"lognormal cv 3", dist.Spec{Dist: "lognormal", Mean: ms, CV: 3}, 600_000, 10e-6},
		// x_m = E[S] (alpha-1)/alpha, E[S^2] = alpha x_m^2 / (alpha-2)
		{"pareto alpha 2.5", dist.Spec{Dist: "pareto", Mean: ms, Alpha: 2.5}, 600_000, 1.8e-6},
		{"constant", dist.Spec{Dist: "constant", Value: ms}, 300_000, 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := simulate(t, psScenario(1, tc.spec, load, tc.requests, 1))
			want := theory.MG1PS(load/1e-3, 1e-3)
			checkMean(t, "M/G/1-PS "+tc.name, e, want.MeanResponse*1e3, 0.02)
			checkWait(t, "M/G/1-PS "+tc.name, e, want.PWait)
			checkUtilization(t, e, load, load/1e-3, tc.m2, 1)
		})
	}
}

// E[T(x)] = x/(1 - rho): a class of size k has mean response k E[S]/(1 - rho)
// (E[S] the base distribution's mean, rho over every class), through the
// public scenario interface. The classes' means have no batch means of their
// own, so the spread is taken over independent seeds: the mean of 10 runs
// is checked within 5 standard errors (Student's t with 9 degrees of freedom:
// a correct engine fails a fresh set of seeds about once in 1500), and the
// standard error must be under 3% of the mean.
func TestPSClassSizesGetProportionalTimes(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	const load, seeds = 0.6, 10
	sizes := []float64{0.25, 1, 4}
	weights := []float64{4, 4, 1}
	spec := dist.Spec{Dist: "lognormal", Mean: ms, CV: 2}
	per := make([][]float64, len(sizes)) // per class, per seed: mean ms
	for seed := range uint64(seeds) {
		sc := psScenario(1, spec, load, 120_000, seed+1)
		for i := range sizes {
			sc.Classes = append(sc.Classes, scenarios.Class{Name: string(rune('a' + i)), Weight: weights[i], Size: sizes[i]})
		}
		r := simulate(t, sc).result(0)
		for i, c := range r.Classes {
			per[i] = append(per[i], c.Latency.Mean)
		}
	}
	for i, k := range sizes {
		want := theory.MG1PSSize(k*1e-3, load) * 1e3
		m, se := meanSE(per[i])
		t.Logf("class size %g: mean %.4f ms ± %.4f, theory %.4f (k E[S]/(1-rho)), z = %+.2f", k, m, se, want, (m-want)/se)
		if se > 0.03*want {
			t.Errorf("size %g: SE %.4f is %.1f%% of the mean: too few requests to test anything", k, se, 100*se/want)
		}
		if math.Abs(m-want) > 5*se {
			t.Errorf("size %g: mean %.4f ms, want %.4f ± %.4f", k, m, want, 5*se)
		}
	}
}

func meanSE(xs []float64) (mean, se float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1) / float64(len(xs)))
}

// A FIFO scenario gets no PS state: its path is the one it always had.
func TestFIFOHasNoPSState(t *testing.T) {
	e := simulate(t, queueScenario("round-robin", nil, 2, 1, exp1ms, 0.5, 1000))
	for i := range e.servers {
		if e.servers[i].ps != nil {
			t.Fatalf("server %d has PS state", i)
		}
	}
}

// BenchmarkEnginePS100 is BenchmarkEngineP2C100 on processor-sharing
// servers: the cost of the virtual clock, the heap and the rescheduled
// completions.
func BenchmarkEnginePS100(b *testing.B) {
	sc := queueScenario("p2c", map[string]any{"choices": 2}, 100, 1, exp1ms, 0.9, int64(b.N))
	sc.Servers[0].Discipline = scenarios.DisciplinePS
	sc.Warmup = 0
	b.ReportAllocs()
	b.ResetTimer()
	e, err := newEngine(sc, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
