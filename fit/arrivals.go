package fit

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Arrivals is the fit of a trace's arrival times.
type Arrivals struct {
	N    int
	Span time.Duration // first arrival to last
	Rate float64       // long-run mean, req/s
	// Profile is the rate over time as factors of Rate at the middles of
	// equal bins, when the counts per bin are not those of a constant rate
	// (a chi-square test, p < ProfileP); nil otherwise.
	Profile []ProfilePoint
	// ProfileChi2 and ProfileP are that test's statistic and p-value.
	ProfileChi2, ProfileP float64
	// Window is the length of the short windows whose counts measure
	// burstiness, and IDC their index of dispersion (variance over mean
	// of the counts, after the profile): about 1 for Poisson arrivals.
	Window time.Duration
	IDC    float64
	// IDCLimit is the index above which the arrivals are called bursty:
	// Poisson's 1 plus 4 standard errors and 20%.
	IDCLimit float64
	// States, when the arrivals are bursty, are a two-state MMPP's: a busy
	// and a quiet state, with their factors of the base rate and mean
	// sojourns. Nil: Poisson.
	States []State
}

// ProfilePoint is the rate factor at a time from the start.
type ProfilePoint struct {
	At     time.Duration
	Factor float64
}

// State is one state of a fitted MMPP.
type State struct {
	Factor      float64
	MeanSojourn time.Duration
}

// Process names the fitted process: "mmpp" or "poisson".
func (a *Arrivals) Process() string {
	if a.States != nil {
		return "mmpp"
	}
	return "poisson"
}

// ProfileP is the p-value below which a trace's rate is taken to change
// over time.
const ProfileP = 1e-3

// profileBins is how many bins the rate profile has.
const profileBins = 20

// FitArrivals fits arrival times (seconds from the start, non-decreasing).
func FitArrivals(times []float64) (*Arrivals, error) {
	n := len(times)
	if n < 100 {
		return nil, fmt.Errorf("fit: %d arrivals: too few to fit a process (100 at least)", n)
	}
	t0, t1 := times[0], times[n-1]
	span := t1 - t0
	if span <= 0 {
		return nil, errors.New("fit: every arrival is at the same instant")
	}
	a := &Arrivals{N: n, Span: seconds(span), Rate: float64(n-1) / span}

	// The profile: counts in equal bins against a constant rate.
	bins := make([]float64, profileBins)
	for _, t := range times {
		k := min(int((t-t0)/span*profileBins), profileBins-1)
		bins[k]++
	}
	want := float64(n) / profileBins
	for _, c := range bins {
		a.ProfileChi2 += (c - want) * (c - want) / want
	}
	a.ProfileP = distuv.ChiSquared{K: profileBins - 1}.Survival(a.ProfileChi2)
	factor := func(float64) float64 { return 1 }
	if a.ProfileP < ProfileP {
		w := span / profileBins
		for k, c := range bins {
			a.Profile = append(a.Profile, ProfilePoint{At: seconds((float64(k) + 0.5) * w), Factor: round4(c / want)})
		}
		factor = func(t float64) float64 {
			return profileFactor(a.Profile, seconds(t))
		}
	}

	// Burstiness: short windows of about 20 arrivals each, their counts
	// against the profile's expectation.
	w := 20 / a.Rate
	m := int(span / w)
	if m < 50 {
		m = 50
		w = span / float64(m)
	}
	a.Window = seconds(w)
	counts := make([]float64, m)
	for _, t := range times {
		counts[min(int((t-t0)/w), m-1)]++
	}
	var dev, exp float64
	expect := make([]float64, m)
	for k := range counts {
		expect[k] = a.Rate * w * factor((float64(k)+0.5)*w)
		dev += (counts[k] - expect[k]) * (counts[k] - expect[k])
		exp += expect[k]
	}
	a.IDC = dev / exp
	a.IDCLimit = max(1+4*math.Sqrt(2/float64(m-1)), 1.2)
	if a.IDC > a.IDCLimit {
		a.States = twoStates(counts, expect, w)
	}
	return a, nil
}

// twoStates fits a two-state MMPP to window counts: windows above their
// expectation are the busy state's, the others the quiet one's; a state's
// factor is its windows' mean count over their expectation, its sojourn
// the mean length of its runs of windows.
func twoStates(counts, expect []float64, w float64) []State {
	var sum, ex, runs, length [2]float64
	prev := -1
	for k, c := range counts {
		s := 0
		if c <= expect[k] {
			s = 1
		}
		sum[s] += c
		ex[s] += expect[k]
		length[s]++
		if s != prev {
			runs[s]++
			prev = s
		}
	}
	if runs[0] == 0 || runs[1] == 0 {
		return nil
	}
	var out []State
	for s := 0; s < 2; s++ {
		out = append(out, State{Factor: round4(sum[s] / ex[s]), MeanSojourn: seconds(length[s] / runs[s] * w)})
	}
	return out
}

// profileFactor is the piecewise-linear factor at t (flat before the first
// point and after the last).
func profileFactor(p []ProfilePoint, t time.Duration) float64 {
	if t <= p[0].At {
		return p[0].Factor
	}
	for i := 1; i < len(p); i++ {
		if t <= p[i].At {
			a, b := p[i-1], p[i]
			f := float64(t-a.At) / float64(b.At-a.At)
			return a.Factor + f*(b.Factor-a.Factor)
		}
	}
	return p[len(p)-1].Factor
}
