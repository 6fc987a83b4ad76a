// Package verdict decides, from a run's figures, which algorithm to run and
// why: the report.Verdict at the end of `sim run` and `bench run`, in
// summary.json and in report.html. Decide is a pure function of the
// summary (and a little of the scenario, in Context), so the same seed
// gives the same verdict.
//
// # Objectives and the test that tells algorithms apart
//
// Four objectives, each with its best algorithm and those that cannot be
// told apart from it: p99 latency, mean latency, error rate (all causes
// over requests) and fairness (Jain's index over requests per server by
// weight). How two algorithms are told apart depends on the samples the
// run has:
//
//   - sim run --seeds K (K >= 2): a paired t-test over the seeds, two-sided,
//     at 0.05. The same seed gives every algorithm the same arrivals and
//     service times (common random numbers), so each seed is a pair and
//     the test is on the per-seed differences; a figure over a long run
//     (a mean, a p99) is near normal, and the t-test can already separate
//     at K = 2, where the Wilcoxon signed-rank test cannot below K = 6.
//     Latencies are compared by their logarithms (the test is on the
//     per-seed ratios): an algorithm is 1.3x slower, not 3 ms, and a run
//     whose tail collapses in one seed (p99 from 2 s to 96 s) must not
//     hide that it is 25x worse in every seed. Values are the means over
//     the seeds.
//   - bench run --repeat N (N >= 4): the Mann-Whitney U test
//     (compare.MannWhitney), two-sided, at 0.05: repetitions are not paired
//     (each runs on the machine's noise of its own moment). Below 4
//     repetitions a side it cannot reach p < 0.05, and the rule without
//     samples applies, with a note saying so.
//   - one seed or one repetition: there is no sample to test on, and the
//     note says so ("one seed: differences under 5% are not tested; run
//     --seeds 5"). Two algorithms are then not told apart when their
//     difference is within: for p99, 5% of the smaller; for the mean, the
//     95% interval of the difference from both batch-means intervals,
//     sqrt(ci_a^2 + ci_b^2) (5% where either has none); for the error
//     rate, 1.96 standard errors of the difference of two proportions,
//     sqrt(ra(1-ra)/na + rb(1-rb)/nb), or 5% of the smaller; for Jain's
//     index, 0.01.
//
// In every mode, two values that read the same as the verdict shows them
// (three significant digits; Jain's index to three decimals) are not told
// apart: a difference nobody can see is none to act on. An algorithm
// without a figure (no completed request has no latency; a NaN) takes no
// part in that objective and is listed as missing. The reasons' server
// figures are the first seed's in a run of several seeds, the merged
// repetitions' in a real run.
//
// # The recommendation
//
// Errors first (a fast answer that failed is not an answer), then p99,
// then the mean, then fairness: starting from every algorithm, each
// objective in turn keeps those that cannot be told apart from the best
// of the ones still in; the first left in the summary's order with the
// lowest p99 is recommended.
//
// # Reasons
//
// Each other algorithm gets one line, against the recommended one (R):
// the first objective in the order above on which it is told apart from R
// and worse ("p99 2.1x p2c's"), then what the figures say caused it, by
// the first rule that fires:
//
//   - errors (the loss is the error rate): the errors' main cause and the
//     server with most failed attempts, with its fault from the timeline
//     and the share of requests each algorithm sent it;
//   - hot-server: one server at 85% utilisation or more, at least 15
//     points above the mean of the rest, while R's busiest is at least 10
//     points lower;
//   - stale-load: the scenario has old load information (load_info) and
//     the herding index is at least 1.5x R's;
//   - slow-server: a server whose mean latency is at least twice the
//     median of the others' took at least 1.5x the share of requests R
//     sent it;
//   - imbalance: the busiest server (requests over weight) took at least
//     10% over its even share, and 5 points more over it than R's;
//   - queueing: at least 5 points more of its requests waited in a queue;
//   - slower: none of these; the loss alone.
//
// An algorithm not told apart from R on any objective says so (tied);
// when a test ran and it is worse anyway (1.5x on a latency), the line
// gives the loss, the p-value and how widely its samples spread, and asks
// for twice as many: the test had too little to go on.
package verdict

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fulcrum-lb/fulcrum/compare"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// Alpha is the tests' significance level: two algorithms are told apart
// when p < Alpha.
const Alpha = 0.05

// The rule without samples (package doc).
const (
	relTolerance  = 0.05 // p99, and mean or error rate without an interval
	jainTolerance = 0.01
	z95           = 1.959963984540054
)

// minMannWhitney is the smallest number of repetitions a side with which
// the Mann-Whitney U test can reach p < Alpha: 2/C(8,4) = 0.029.
const minMannWhitney = 4

// Context is what a verdict needs of the scenario beyond the summary.
type Context struct {
	// Weights are the servers' weights by name; a server not in it
	// weighs 1.
	Weights map[string]float64
	// LoadInfo is set when load-aware algorithms decide on old load
	// information (load_info other than each balancer's live counts); Age
	// is then how old it can be: its refresh period plus its delay.
	LoadInfo bool
	Age      time.Duration
}

// ContextOf is sc's Context; a nil sc gives the zero Context.
func ContextOf(sc *scenarios.Scenario) Context {
	var c Context
	if sc == nil {
		return c
	}
	c.Weights = map[string]float64{}
	for _, s := range sc.ServerList() {
		c.Weights[s.Name] = s.Weight
	}
	if li := sc.LoadInfo; !li.Live() {
		c.LoadInfo, c.Age = true, li.Refresh+li.Delay
	}
	return c
}

// Attach sets s.Verdict to the verdict on s for scenario sc.
func Attach(s *report.Summary, sc *scenarios.Scenario) {
	s.Verdict = Decide(s, ContextOf(sc))
}

// objective is one of the verdict's objectives.
type objective struct {
	fig report.FigureDef
	// seed reads the figure of one seed or repetition.
	seed func(r *report.RepetitionFigures) float64
	// latency: undefined without a completed request.
	latency bool
}

// objectives are the verdict's, in the order it shows them.
var objectives = []objective{
	{report.FiguresNamed("p99")[0], func(r *report.RepetitionFigures) float64 { return r.P99MS }, true},
	{report.FiguresNamed("mean")[0], func(r *report.RepetitionFigures) float64 { return r.MeanMS }, true},
	{report.FiguresNamed("errors")[0], func(r *report.RepetitionFigures) float64 { return r.ErrorRate }, false},
	{report.FiguresNamed("jain")[0], func(r *report.RepetitionFigures) float64 { return r.Jain }, false},
}

// priority is the recommendation's order of the objectives (indexes
// into objectives): errors, p99, mean, fairness.
var priority = []int{2, 0, 1, 3}

// mode is how a verdict tells algorithms apart.
type mode int

const (
	noSample mode = iota
	paired        // per-seed figures: paired t-test
	unpaired      // repetitions: Mann-Whitney U
)

// judge holds a verdict being decided.
type judge struct {
	s    *report.Summary
	c    Context
	mode mode
	n    int // samples per algorithm
	// vals[o][i] is objective o's value for algorithm i (NaN: none);
	// samples[o][i] its samples in paired or unpaired mode.
	vals    [][]float64
	samples [][][]float64
}

// Decide is the verdict on s: see the package doc for the rules. It never
// returns nil: a summary without algorithms gets a verdict that says so.
func Decide(s *report.Summary, c Context) *report.Verdict {
	j := newJudge(s, c)
	v := &report.Verdict{Test: j.testName(), Samples: max(j.n, 1), Note: j.note()}
	algs := s.Algorithms
	if len(algs) == 0 {
		v.Why = "no algorithm ran"
		v.Objectives, v.Reasons = []report.VerdictObjective{}, []report.VerdictReason{}
		return v
	}
	for o := range objectives {
		v.Objectives = append(v.Objectives, j.objective(o))
	}
	rec := j.recommend()
	if rec < 0 {
		v.Why = "no algorithm has figures (no request was measured)"
	} else {
		v.Recommend = algs[rec].Label
		v.Why = j.why(rec, v.Objectives)
	}
	for i := range algs {
		v.Reasons = append(v.Reasons, j.reason(i, rec, v.Why))
	}
	return v
}

func newJudge(s *report.Summary, c Context) *judge {
	j := &judge{s: s, c: c, n: 1}
	algs := s.Algorithms
	switch {
	case len(s.Seeds) >= 2 && allLen(algs, func(a *report.Algorithm) int { return len(a.PerSeed) }, len(s.Seeds)):
		j.mode, j.n = paired, len(s.Seeds)
	case len(algs) > 0 && slices.ContainsFunc(algs, func(a report.Algorithm) bool { return len(a.Repetitions) >= 2 }):
		j.n = len(algs[0].Repetitions)
		for _, a := range algs {
			j.n = min(j.n, len(a.Repetitions))
		}
		if j.n >= minMannWhitney {
			j.mode = unpaired
		}
	}
	j.vals = make([][]float64, len(objectives))
	j.samples = make([][][]float64, len(objectives))
	for o, ob := range objectives {
		j.vals[o] = make([]float64, len(algs))
		j.samples[o] = make([][]float64, len(algs))
		for i := range algs {
			a := &algs[i]
			var xs []float64
			switch j.mode {
			case paired:
				xs = pick(a.PerSeed, ob.seed)
			case unpaired:
				xs = pick(a.Repetitions, ob.seed)
			}
			j.samples[o][i] = xs
			v := math.NaN()
			switch {
			case a.Requests <= 0, ob.latency && a.Completed <= 0:
				// no figure
			case j.mode == paired:
				v = meanOf(xs) // NaN if a seed had none
			default:
				v = ob.fig.Value(a)
			}
			if math.IsInf(v, 0) {
				v = math.NaN()
			}
			j.vals[o][i] = v
		}
	}
	return j
}

func allLen(algs []report.Algorithm, n func(*report.Algorithm) int, want int) bool {
	for i := range algs {
		if n(&algs[i]) != want {
			return false
		}
	}
	return true
}

func pick(rs []report.RepetitionFigures, f func(*report.RepetitionFigures) float64) []float64 {
	xs := make([]float64, len(rs))
	for i := range rs {
		xs[i] = f(&rs[i])
	}
	return xs
}

func meanOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// samplesWord is "seed" in the simulator, "repetition" in the real engine.
func (j *judge) samplesWord() string {
	if j.s.Engine == "real" {
		return "repetition"
	}
	return "seed"
}

func (j *judge) testName() string {
	switch j.mode {
	case paired:
		return fmt.Sprintf("paired t-test over %d seeds", j.n)
	case unpaired:
		return fmt.Sprintf("Mann-Whitney U over %d repetitions", j.n)
	}
	if j.n >= 2 {
		return fmt.Sprintf("not tested: %d repetitions", j.n)
	}
	return "not tested: one " + j.samplesWord()
}

func (j *judge) note() string {
	const rule = "differences under 5% (0.01 in Jain's index, or within the mean's batch-means interval) are not tested"
	switch {
	case len(j.s.Algorithms) == 1:
		return "one algorithm: nothing to compare it with"
	case j.mode != noSample:
		return ""
	case j.n >= 2:
		return fmt.Sprintf("%d repetitions: too few for the Mann-Whitney U test to reach p < %g (it needs %d a side); %s; run --repeat 5",
			j.n, Alpha, minMannWhitney, rule)
	case j.s.Engine == "real":
		return "one repetition: " + rule + "; run --repeat 5"
	}
	return "one seed: " + rule + "; run --seeds 5"
}

// has reports whether algorithm i has objective o's figure.
func (j *judge) has(o, i int) bool { return !math.IsNaN(j.vals[o][i]) }

// better reports whether x is better than y for objective o.
func better(o int, x, y float64) bool {
	if objectives[o].fig.Better == report.HigherIsBetter {
		return x > y
	}
	return x < y
}

// tied reports whether algorithms a and b cannot be told apart on
// objective o, with the test's p-value where one ran.
func (j *judge) tied(o, a, b int) (bool, *float64) {
	if a == b {
		return true, nil
	}
	x, y := j.vals[o][a], j.vals[o][b]
	// A difference the verdict cannot show is no difference to act on.
	key := objectives[o].fig.Key
	shown := report.VerdictValue(key, x) == report.VerdictValue(key, y)
	switch j.mode {
	case paired:
		xa, xb := j.samples[o][a], j.samples[o][b]
		if objectives[o].fig.Unit == report.UnitMS {
			xa, xb = logs(xa), logs(xb)
		}
		p := pairedT(xa, xb)
		return shown || p >= Alpha, &p
	case unpaired:
		_, p := compare.MannWhitney(j.samples[o][a], j.samples[o][b])
		return shown || p >= Alpha, &p
	}
	if shown {
		return true, nil
	}
	d := math.Abs(x - y)
	lo := math.Min(x, y)
	algs := j.s.Algorithms
	switch objectives[o].fig.Key {
	case "mean_ms":
		ca, cb := algs[a].Latency.MeanCI95, algs[b].Latency.MeanCI95
		if ca > 0 && cb > 0 {
			return d <= math.Hypot(ca, cb), nil
		}
	case "error_rate":
		na, nb := float64(algs[a].Requests), float64(algs[b].Requests)
		se := math.Sqrt(x*(1-x)/na + y*(1-y)/nb)
		return d <= math.Max(z95*se, relTolerance*lo), nil
	case "jain":
		return d <= jainTolerance, nil
	}
	return d <= relTolerance*lo, nil
}

// logs returns the natural logarithms of xs, or xs itself if any is not
// above 0 (a latency of 0 has no logarithm; the test is then on the
// values).
func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) {
			return xs
		}
		out[i] = math.Log(x)
	}
	return out
}

// pairedT is the two-sided p-value of the paired t-test of x against y:
// with d_i = x_i - y_i over K pairs,
//
//	t = mean(d) / (sd(d) / sqrt(K)),  p = 2 P(T_{K-1} > |t|)
//
// Every d_i equal to 0 gives 1 (nothing differs); equal but not 0 gives 0
// (a difference without noise). A NaN anywhere gives 1: nothing to tell.
func pairedT(x, y []float64) float64 {
	k := min(len(x), len(y))
	if k < 2 {
		return 1
	}
	d := make([]float64, k)
	for i := range d {
		d[i] = x[i] - y[i]
		if math.IsNaN(d[i]) || math.IsInf(d[i], 0) {
			return 1
		}
	}
	m := meanOf(d)
	var ss float64
	for _, v := range d {
		ss += (v - m) * (v - m)
	}
	sd := math.Sqrt(ss / float64(k-1))
	switch {
	case sd == 0 && m == 0:
		return 1
	case sd == 0:
		return 0
	}
	t := math.Abs(m) / (sd / math.Sqrt(float64(k)))
	return math.Min(1, 2*distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(k - 1)}.Survival(t))
}

// bestOf is the index, among cands, of the best value of objective o
// (the first in cands on equal values); -1 if none has the figure.
func (j *judge) bestOf(o int, cands []int) int {
	best := -1
	for _, i := range cands {
		if j.has(o, i) && (best < 0 || better(o, j.vals[o][i], j.vals[o][best])) {
			best = i
		}
	}
	return best
}

func (j *judge) all() []int {
	out := make([]int, len(j.s.Algorithms))
	for i := range out {
		out[i] = i
	}
	return out
}

func (j *judge) rule(o int) string {
	if j.mode != noSample {
		return fmt.Sprintf("p >= %g", Alpha)
	}
	switch objectives[o].fig.Key {
	case "mean_ms":
		return "within the batch-means 95% interval of the difference (5% of the smaller without one; not tested)"
	case "error_rate":
		return "within 1.96 standard errors of the difference of the two proportions, or 5% of the smaller (not tested)"
	case "jain":
		return "within 0.01 (not tested)"
	}
	return "within 5% of the smaller (not tested)"
}

func (j *judge) objective(o int) report.VerdictObjective {
	algs := j.s.Algorithms
	vo := report.VerdictObjective{Figure: objectives[o].fig.Key, Rule: j.rule(o)}
	best := j.bestOf(o, j.all())
	for i := range algs {
		if !j.has(o, i) {
			vo.Missing = append(vo.Missing, algs[i].Label)
		}
	}
	if best < 0 {
		return vo
	}
	vo.Best, vo.Value = algs[best].Label, j.vals[o][best]
	var ties []int
	ps := map[int]*float64{}
	for i := range algs {
		if i == best || !j.has(o, i) {
			continue
		}
		if ok, p := j.tied(o, best, i); ok {
			ties = append(ties, i)
			ps[i] = p
		}
	}
	slices.SortStableFunc(ties, func(a, b int) int {
		x, y := j.vals[o][a], j.vals[o][b]
		switch {
		case better(o, x, y):
			return -1
		case better(o, y, x):
			return 1
		}
		return 0
	})
	for _, i := range ties {
		vo.Ties = append(vo.Ties, report.VerdictTie{Label: algs[i].Label, Value: j.vals[o][i], P: ps[i]})
	}
	return vo
}

// recommend applies the recommendation's rule (package doc); -1 when no
// algorithm has a figure.
func (j *judge) recommend() int {
	cands := j.all()
	for _, o := range priority {
		best := j.bestOf(o, cands)
		if best < 0 {
			continue
		}
		cands = slices.DeleteFunc(cands, func(i int) bool {
			if !j.has(o, i) {
				return true
			}
			ok, _ := j.tied(o, best, i)
			return !ok
		})
	}
	p99 := 0
	if best := j.bestOf(p99, cands); best >= 0 {
		return best
	}
	for _, i := range cands {
		if j.s.Algorithms[i].Requests > 0 {
			return i
		}
	}
	return -1
}

// name is objective o's name in a reason.
func name(o int) string {
	switch objectives[o].fig.Key {
	case "error_rate":
		return "error rate"
	case "jain":
		return "Jain's index"
	}
	return objectives[o].fig.Title
}

// why is the recommended algorithm's line: each objective, in the
// verdict's order, as best, not told apart from the best, or behind it:
//
//	best p99 (55.5 ms), mean (12.5 ms); as good as the best in error rate (0%), Jain's index (1.000)
func (j *judge) why(rec int, objs []report.VerdictObjective) string {
	var best, tied, behind []string
	label := j.s.Algorithms[rec].Label
	for o := range objectives {
		vo := objs[o]
		if !j.has(o, rec) {
			behind = append(behind, "no "+name(o))
			continue
		}
		val := report.VerdictValue(vo.Figure, j.vals[o][rec])
		switch {
		case vo.Best == label:
			best = append(best, name(o)+" ("+val+")")
		case slices.ContainsFunc(vo.Ties, func(t report.VerdictTie) bool { return t.Label == label }):
			tied = append(tied, name(o)+" ("+val+")")
		default:
			behind = append(behind, name(o)+" "+val+" against "+vo.Best+"'s "+report.VerdictValue(vo.Figure, vo.Value))
		}
	}
	var parts []string
	if len(best) > 0 {
		parts = append(parts, "best "+strings.Join(best, ", "))
	}
	if len(tied) > 0 {
		parts = append(parts, "as good as the best in "+strings.Join(tied, ", "))
	}
	if len(behind) > 0 {
		parts = append(parts, "behind in "+strings.Join(behind, ", "))
	}
	return strings.Join(parts, "; ")
}
