package dist

import (
	"math"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Internally every distribution works in nanoseconds (float64); Mean and
// Moment2 convert to seconds.
const nsPerSecond = 1e9

func seconds(ns float64) float64 { return ns / nsPerSecond }

func seconds2(ns2 float64) float64 { return ns2 / (nsPerSecond * nsPerSecond) }

// constant: S = value.
//
//	E[S] = value, E[S^2] = value^2
type constant struct{ v time.Duration }

func (c *constant) Quantile(float64) time.Duration { return c.v }
func (c *constant) Mean() float64                  { return seconds(float64(c.v)) }
func (c *constant) Moment2() float64               { v := float64(c.v); return seconds2(v * v) }
func (c *constant) String() string                 { return "constant{value: " + c.v.String() + "}" }

// exponential{mean m}: F(x) = 1 - exp(-x/m), so
//
//	Q(u) = -m ln(1-u)
//	E[S] = m, E[S^2] = 2 m^2
//
// This is the simulator's hottest call. math.Log has an assembly kernel and
// costs a third of math.Log1p; 1-u is exact for u >= 1/2 and loses only
// relative precision ~1e-16/u below, far under the nanosecond rounding that
// follows for any mean a scenario uses.
type exponential struct {
	mean float64 // ns
	spec time.Duration
}

func newExponential(mean time.Duration) *exponential {
	return &exponential{mean: float64(mean), spec: mean}
}

func (e *exponential) Quantile(u float64) time.Duration {
	return toDuration(-e.mean * math.Log(1-clampU(u)))
}
func (e *exponential) Mean() float64    { return seconds(e.mean) }
func (e *exponential) Moment2() float64 { return seconds2(2 * e.mean * e.mean) }
func (e *exponential) String() string   { return "exponential{mean: " + e.spec.String() + "}" }

// lognormal{mean m, cv c}: ln S ~ Normal(mu, sigma^2) with
//
//	sigma^2 = ln(1 + c^2),  mu = ln(m) - sigma^2/2
//
// so that E[S] = exp(mu + sigma^2/2) = m and Var[S] = (exp(sigma^2)-1) m^2 = c^2 m^2.
//
//	Q(u) = exp(mu + sigma Phi^-1(u)),  E[S^2] = m^2 (1 + c^2)
type lognormal struct {
	d        distuv.LogNormal // in ns
	mean, cv float64
	spec     time.Duration
}

func newLognormal(mean time.Duration, cv float64) *lognormal {
	m := float64(mean)
	s2 := math.Log1p(cv * cv)
	return &lognormal{
		d:    distuv.LogNormal{Mu: math.Log(m) - s2/2, Sigma: math.Sqrt(s2)},
		mean: m, cv: cv, spec: mean,
	}
}

func (l *lognormal) Quantile(u float64) time.Duration { return toDuration(l.d.Quantile(clampU(u))) }
func (l *lognormal) Mean() float64                    { return seconds(l.mean) }
func (l *lognormal) Moment2() float64                 { return seconds2(l.mean * l.mean * (1 + l.cv*l.cv)) }
func (l *lognormal) String() string {
	return "lognormal{mean: " + l.spec.String() + ", cv: " + fmtFloat(l.cv) + "}"
}

// gamma{mean m, cv c}: shape k and scale theta with
//
//	k = 1/c^2,  theta = m c^2
//
// so that E[S] = k theta = m and Var[S] = k theta^2 = c^2 m^2; E[S^2] = m^2 (1 + c^2).
// Q(u) is gonum's inverse regularised incomplete gamma function: an iterative
// inversion, 1-6 us per call against the exponential's 10 ns, and for
// u < 0.25 gonum allocates a 16-byte parameter slice per call. Prefer
// lognormal or weibull for long runs if the shape does not matter.
//
// That inversion panics or returns NaN for some u below about 1e-20 (e.g.
// shape 2 below 3e-27, shape 100 below 3e-150; checked to be sound for
// u >= 2^-53, the smallest positive value of a 53-bit uniform generator, for
// shapes 1e-6..1e8). Below u0 = 2^-53 we therefore use the leading term of
// the lower tail, P(k, x) ~ x^k / Gamma(k+1), scaled to meet the exact value
// at u0:
//
//	Q(u) = Q(u0) (u/u0)^(1/k)   for u < u0
//
// which is monotone and continuous and affects a probability below 1.2e-16.
type gamma struct {
	d        distuv.Gamma // in ns; Beta is the rate 1/theta
	q0       float64      // Q(gammaU0) in ns
	mean, cv float64
	spec     time.Duration
}

var gammaU0 = math.Ldexp(1, -53)

func newGamma(mean time.Duration, cv float64) *gamma {
	m := float64(mean)
	c2 := cv * cv
	g := &gamma{d: distuv.Gamma{Alpha: 1 / c2, Beta: 1 / (m * c2)}, mean: m, cv: cv, spec: mean}
	g.q0 = g.d.Quantile(gammaU0)
	return g
}

func (g *gamma) Quantile(u float64) time.Duration {
	u = clampU(u)
	if u < gammaU0 {
		return toDuration(g.q0 * math.Pow(u/gammaU0, 1/g.d.Alpha))
	}
	return toDuration(g.d.Quantile(u))
}
func (g *gamma) Mean() float64    { return seconds(g.mean) }
func (g *gamma) Moment2() float64 { return seconds2(g.mean * g.mean * (1 + g.cv*g.cv)) }
func (g *gamma) String() string {
	return "gamma{mean: " + g.spec.String() + ", cv: " + fmtFloat(g.cv) + "}"
}

// uniform{min a, max b}:
//
//	Q(u) = a + u (b - a),  E[S] = (a+b)/2,  E[S^2] = (a^2 + ab + b^2)/3
type uniform struct {
	d        distuv.Uniform // in ns
	min, max time.Duration
}

func newUniform(lo, hi time.Duration) *uniform {
	return &uniform{d: distuv.Uniform{Min: float64(lo), Max: float64(hi)}, min: lo, max: hi}
}

func (u *uniform) Quantile(p float64) time.Duration { return toDuration(u.d.Quantile(clampU(p))) }
func (u *uniform) Mean() float64                    { return seconds((u.d.Min + u.d.Max) / 2) }
func (u *uniform) Moment2() float64 {
	a, b := u.d.Min, u.d.Max
	return seconds2((a*a + a*b + b*b) / 3)
}
func (u *uniform) String() string {
	return "uniform{min: " + u.min.String() + ", max: " + u.max.String() + "}"
}

// pareto{mean m, alpha a} (type I, a > 1): F(x) = 1 - (xm/x)^a for x >= xm, with
//
//	xm = m (a-1)/a
//
// so that E[S] = a xm/(a-1) = m.
//
//	Q(u) = xm (1-u)^(-1/a),  E[S^2] = a xm^2/(a-2) for a > 2, else +Inf
type pareto struct {
	d     distuv.Pareto // in ns
	mean  float64
	alpha float64
	spec  time.Duration
}

func newPareto(mean time.Duration, alpha float64) *pareto {
	m := float64(mean)
	return &pareto{d: distuv.Pareto{Xm: m * (alpha - 1) / alpha, Alpha: alpha}, mean: m, alpha: alpha, spec: mean}
}

func (p *pareto) Quantile(u float64) time.Duration { return toDuration(p.d.Quantile(clampU(u))) }
func (p *pareto) Mean() float64                    { return seconds(p.mean) }
func (p *pareto) Moment2() float64 {
	if p.alpha <= 2 {
		return math.Inf(1)
	}
	return seconds2(p.alpha * p.d.Xm * p.d.Xm / (p.alpha - 2))
}
func (p *pareto) String() string {
	return "pareto{mean: " + p.spec.String() + ", alpha: " + fmtFloat(p.alpha) + "}"
}

// weibull{mean m, shape k}: F(x) = 1 - exp(-(x/lambda)^k) with
//
//	lambda = m / Gamma(1 + 1/k)
//
// so that E[S] = lambda Gamma(1+1/k) = m.
//
//	Q(u) = lambda (-ln(1-u))^(1/k),  E[S^2] = lambda^2 Gamma(1 + 2/k)
type weibull struct {
	d     distuv.Weibull // in ns
	mean  float64
	shape float64
	spec  time.Duration
}

func newWeibull(mean time.Duration, shape float64) *weibull {
	m := float64(mean)
	return &weibull{d: distuv.Weibull{K: shape, Lambda: m / math.Gamma(1+1/shape)}, mean: m, shape: shape, spec: mean}
}

func (w *weibull) Quantile(u float64) time.Duration { return toDuration(w.d.Quantile(clampU(u))) }
func (w *weibull) Mean() float64                    { return seconds(w.mean) }
func (w *weibull) Moment2() float64 {
	l := w.d.Lambda
	return seconds2(l * l * math.Gamma(1+2/w.shape))
}
func (w *weibull) String() string {
	return "weibull{mean: " + w.spec.String() + ", shape: " + fmtFloat(w.shape) + "}"
}

// mixture{of: [{weight w_i, ...}]}: S is component i with probability
// p_i = w_i / sum_j w_j.
//
//	E[S] = sum_i p_i E[S_i],  E[S^2] = sum_i p_i E[S_i^2]
//
// Quantile splits [0, 1) into consecutive intervals [c_{i-1}, c_i) of lengths
// p_i (c_i = p_1 + ... + p_i), finds the interval holding u and returns
// Q_i((u - c_{i-1}) / p_i). If U is uniform on [0, 1), it falls in interval i
// with probability p_i and, given that, the rescaled value is again uniform on
// [0, 1), so the result has exactly the mixture's distribution: an exact
// transform of a uniform, which is all the engines need to sample job sizes
// from the shared u_k. It is not the mixture's (monotone) quantile function:
// u is not the fraction of sizes below the result, so never read percentiles
// off it, and two servers with different mixtures are coupled less tightly by
// the common u_k than two monotone quantiles would be. Inverting the mixture's
// CDF instead would need a root search per request.
//
// Components may themselves be mixtures; the rescaling composes.
type mixture struct {
	comp []Dist
	lo   []float64 // c_{i-1}
	inv  []float64 // 1/p_i
	hi   []float64 // c_i; the last is exactly 1
	p    []float64
	w    []float64 // weights as written, for String
}

func newMixture(of []Spec) *mixture {
	var total float64
	for _, c := range of {
		total += c.Weight
	}
	m := &mixture{}
	var cum float64
	for i, c := range of {
		p := c.Weight / total
		m.lo = append(m.lo, cum)
		cum += p
		if i == len(of)-1 {
			cum = 1
		}
		c.Weight = 0
		m.comp = append(m.comp, build(c))
		m.hi = append(m.hi, cum)
		m.inv = append(m.inv, 1/p)
		m.p = append(m.p, p)
		m.w = append(m.w, of[i].Weight)
	}
	return m
}

func (m *mixture) Quantile(u float64) time.Duration {
	u = clampU(u)
	i := 0
	for i < len(m.hi)-1 && u >= m.hi[i] {
		i++
	}
	// The component clamps a rescaled value that rounds up to 1.
	return m.comp[i].Quantile((u - m.lo[i]) * m.inv[i])
}

func (m *mixture) Mean() float64 {
	var s float64
	for i, c := range m.comp {
		s += m.p[i] * c.Mean()
	}
	return s
}

func (m *mixture) Moment2() float64 {
	var s float64
	for i, c := range m.comp {
		s += m.p[i] * c.Moment2()
	}
	return s
}

func (m *mixture) String() string {
	var b strings.Builder
	b.WriteString("mixture{of: [")
	for i, c := range m.comp {
		if i > 0 {
			b.WriteString(", ")
		}
		s := c.String()
		// {weight: w, dist: ...} as a component is written in a scenario.
		name, rest, _ := strings.Cut(s, "{")
		b.WriteString("{weight: " + fmtFloat(m.w[i]) + ", dist: " + name)
		if rest != "}" {
			b.WriteString(", " + rest)
		} else {
			b.WriteString("}")
		}
	}
	b.WriteString("]}")
	return b.String()
}
