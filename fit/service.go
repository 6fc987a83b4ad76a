// Package fit proposes a scenario for traffic that was measured: the
// arrival process and its rate over time, the request classes and each
// server's service-time distribution, chosen among the scenario format's
// distributions by likelihood, with how well each fits.
//
// Maximum-likelihood estimates come from closed forms where they exist
// (exponential, lognormal through gonum's Normal.Fit on the logs, pareto)
// and from gonum's optimize for the shape of gamma and weibull; families
// are compared by BIC, so that a two-parameter family must earn its extra
// parameter (exponential data is not called gamma with shape 1.003). Each
// fit reports its Kolmogorov-Smirnov distance to the sample.
package fit

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fulcrum-lb/fulcrum/dist"
)

// Candidate is one family fitted to a sample.
type Candidate struct {
	Spec   dist.Spec
	LogLik float64
	BIC    float64 // -2 LogLik + params x ln n: lower is better
	KS     float64 // sup |F_fit - F_sample|
	cdf    func(float64) float64
}

// Service is the fit of a sample of service times.
type Service struct {
	N          int
	Mean       time.Duration
	Best       Candidate   // the lowest BIC, but exponential for a gamma or weibull of shape within 2% of 1
	Candidates []Candidate // every family that could be fitted, lowest BIC first
	// Floor is the value zeros were raised to (half the smallest
	// positive sample: a log's resolution), 0 if there were none.
	Floor time.Duration
}

// FitService fits the scenario format's distributions to samples (in
// seconds, >= 0) and picks the one of lowest BIC. It needs two samples or
// more.
func FitService(samples []float64) (*Service, error) {
	n := len(samples)
	if n < 2 {
		return nil, fmt.Errorf("fit: %d service times: too few to fit", n)
	}
	x := slices.Clone(samples)
	sort.Float64s(x)
	if x[0] < 0 || math.IsNaN(x[0]) || math.IsInf(x[n-1], 0) {
		return nil, fmt.Errorf("fit: a service time of %g s", x[0])
	}
	out := &Service{N: n}
	var sum float64
	for _, v := range x {
		sum += v
	}
	mean := sum / float64(n)
	out.Mean = seconds(mean)
	if x[n-1] == x[0] || x[n-1]-x[0] < 1e-9*mean {
		c := Candidate{Spec: dist.Spec{Dist: "constant", Value: seconds(mean)}, LogLik: math.Inf(1), BIC: math.Inf(-1)}
		out.Best, out.Candidates = c, []Candidate{c}
		return out, nil
	}
	// Zeros are times below the resolution of the log: count them as
	// half its step, so that the families on (0, inf) can be fitted.
	if x[0] == 0 {
		k := sort.SearchFloat64s(x, math.SmallestNonzeroFloat64)
		if k == n {
			return nil, fmt.Errorf("fit: every service time is 0")
		}
		floor := x[k] / 2
		for i := 0; i < k; i++ {
			x[i] = floor
		}
		out.Floor = seconds(floor)
	}
	var sumLog float64
	for _, v := range x {
		sumLog += math.Log(v)
	}
	fn := float64(n)
	add := func(spec dist.Spec, params int, logProb func(float64) float64, cdf func(float64) float64) {
		ll := 0.0
		for _, v := range x {
			ll += logProb(v)
		}
		if math.IsNaN(ll) || math.IsInf(ll, 0) {
			return
		}
		c := Candidate{Spec: spec, LogLik: ll, BIC: -2*ll + float64(params)*math.Log(fn), cdf: cdf}
		c.KS = ks(x, cdf)
		out.Candidates = append(out.Candidates, c)
	}

	exp := distuv.Exponential{}
	exp.Fit(x, nil)
	add(dist.Spec{Dist: "exponential", Mean: seconds(mean)}, 1, exp.LogProb, exp.CDF)

	logs := make([]float64, n)
	for i, v := range x {
		logs[i] = math.Log(v)
	}
	var nrm distuv.Normal
	nrm.Fit(logs, nil)
	ln := distuv.LogNormal{Mu: nrm.Mu, Sigma: nrm.Sigma}
	add(dist.Spec{Dist: "lognormal", Mean: seconds(math.Exp(ln.Mu + ln.Sigma*ln.Sigma/2)), CV: round4(math.Sqrt(math.Expm1(ln.Sigma * ln.Sigma)))},
		2, ln.LogProb, ln.CDF)

	// Gamma: for a shape k the likelihood's scale is mean/k; the shape
	// maximises (k-1) sum ln x - n k ln(mean/k) - n lgamma(k) - n k.
	if k, ok := argmin1(func(k float64) float64 {
		lg, _ := math.Lgamma(k)
		return -((k-1)*sumLog - fn*k*math.Log(mean/k) - fn*lg - fn*k)
	}, 1); ok {
		g := distuv.Gamma{Alpha: k, Beta: k / mean}
		add(dist.Spec{Dist: "gamma", Mean: seconds(mean), CV: round4(1 / math.Sqrt(k))}, 2, g.LogProb, g.CDF)
	}

	// Weibull: for a shape k the scale is (mean of x^k)^(1/k), leaving
	// n ln k - n ln(mean of x^k) + (k-1) sum ln x - n to maximise.
	// The logs of x/mean are taken once (each evaluation is then a sum of
	// exponentials), and the search starts from the shape the sample's cv
	// suggests (k ~ cv^-1.086, Justus), a few steps from the optimum.
	lr := make([]float64, n)
	var sq float64
	for i, v := range x {
		lr[i] = math.Log(v / mean)
		sq += (v - mean) * (v - mean)
	}
	powSum := func(k float64) float64 {
		var s float64
		for _, l := range lr {
			s += math.Exp(k * l)
		}
		return s
	}
	k0 := 1.0
	if cv := math.Sqrt(sq/fn) / mean; cv > 0.05 && cv < 20 {
		k0 = math.Pow(cv, -1.086)
	}
	if k, ok := argmin1(func(k float64) float64 {
		s := powSum(k)
		return -(fn*math.Log(k) - fn*(math.Log(s/fn)+k*math.Log(mean)) + (k-1)*sumLog - fn)
	}, k0); ok {
		s := powSum(k)
		lambda := mean * math.Pow(s/fn, 1/k)
		w := distuv.Weibull{K: k, Lambda: lambda}
		add(dist.Spec{Dist: "weibull", Mean: seconds(lambda * math.Gamma(1+1/k)), Shape: round4(k)}, 2, w.LogProb, w.CDF)
	}

	// Pareto: x_m = the smallest sample, alpha = n / sum ln(x / x_m);
	// the format needs a finite mean (alpha > 1).
	xm := x[0]
	if alpha := fn / (sumLog - fn*math.Log(xm)); alpha > 1 && !math.IsInf(alpha, 0) {
		p := distuv.Pareto{Xm: xm, Alpha: alpha}
		add(dist.Spec{Dist: "pareto", Mean: seconds(alpha * xm / (alpha - 1)), Alpha: round4(alpha)}, 2, p.LogProb, p.CDF)
	}

	if len(out.Candidates) == 0 {
		return nil, fmt.Errorf("fit: no distribution could be fitted to %d service times", n)
	}
	sort.SliceStable(out.Candidates, func(i, j int) bool { return out.Candidates[i].BIC < out.Candidates[j].BIC })
	out.Best = out.Candidates[0]
	// Exponential is gamma and weibull of shape 1. On a large sample read
	// from a log's millisecond timers, the rounding alone lets a shape of
	// 0.99 win on BIC: a fit that close to 1 is called exponential, the
	// simpler model that no queueing figure can tell from it.
	if b := out.Best.Spec; b.Dist == "gamma" && math.Abs(b.CV-1) < nearlyExponential || b.Dist == "weibull" && math.Abs(b.Shape-1) < nearlyExponential {
		for _, c := range out.Candidates {
			if c.Spec.Dist == "exponential" {
				out.Best = c
			}
		}
	}
	return out, nil
}

// nearlyExponential is how close to 1 a gamma's cv or a weibull's shape
// must be for the fit to be called exponential.
const nearlyExponential = 0.02

// argmin1 minimises f over x > 0, from x0, with gonum's Nelder-Mead on ln
// x.
func argmin1(f func(float64) float64, x0 float64) (float64, bool) {
	res, err := optimize.Minimize(optimize.Problem{Func: func(u []float64) float64 {
		v := f(math.Exp(u[0]))
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}}, []float64{math.Log(x0)}, &optimize.Settings{Converger: &optimize.FunctionConverge{Absolute: 1e-10, Iterations: 50}}, &optimize.NelderMead{})
	if err != nil && res == nil {
		return 0, false
	}
	k := math.Exp(res.X[0])
	return k, k > 0 && !math.IsInf(k, 0) && !math.IsNaN(k)
}

// ks is the Kolmogorov-Smirnov distance between the sorted sample x and
// cdf.
func ks(x []float64, cdf func(float64) float64) float64 {
	n := float64(len(x))
	d := 0.0
	for i, v := range x {
		f := cdf(v)
		d = max(d, math.Abs(f-float64(i)/n), math.Abs(float64(i+1)/n-f))
	}
	return d
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

func round4(x float64) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}
