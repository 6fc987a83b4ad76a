package traffic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// MMPP is the process name of a Markov-modulated Poisson process.
const MMPP = "mmpp"

// Shape is what an open-loop process adds to the plain rate (DESIGN.md §7):
// Markov modulation (States), a piecewise-linear factor over time
// (Profile), a sinusoidal one (Sine), and request classes drawn by weight.
// The zero Shape is the plain process.
type Shape struct {
	// States, for the mmpp process: in state i arrivals come at
	// Factor_i x base; a state lasts an exponential time of mean
	// MeanSojourn_i, and then the next is drawn uniformly from the others.
	// base = rate x sum(d_i) / sum(f_i d_i), so the long-run mean is rate.
	States []State
	// Profile is a piecewise-linear factor from t = 0: two points at one
	// instant make a step; after the last point its factor holds, and
	// before the first, the first's.
	Profile []ProfilePoint
	// Sine multiplies by 1 + Amplitude x sin(2 pi t / Period).
	Sine *Sine
	// Classes are the classes' weights: each arrival is of class i with
	// probability weight_i / sum. Empty: no classes (every arrival class 0,
	// and no draw for it).
	Classes []float64
}

// State is one state of an MMPP.
type State struct {
	Factor      float64
	MeanSojourn time.Duration
}

// ProfilePoint is a point of a Profile.
type ProfilePoint struct {
	At     time.Duration
	Factor float64
}

// Sine is a sinusoidal modulation, with 0 <= Amplitude < 1.
type Sine struct {
	Period    time.Duration
	Amplitude float64
}

// modulated reports whether the shape changes the rate over time.
func (sh *Shape) modulated() bool { return len(sh.Profile) > 0 || sh.Sine != nil }

// factor is the time modulation at t (profile x sine), >= 0.
func (sh *Shape) factor(t time.Duration) float64 {
	f := 1.0
	if p := sh.Profile; len(p) > 0 {
		f = profileAt(p, t)
	}
	if s := sh.Sine; s != nil && s.Period > 0 {
		f *= 1 + s.Amplitude*math.Sin(2*math.Pi*float64(t)/float64(s.Period))
	}
	return f
}

// profileAt interpolates the profile at t. Of two points at one instant,
// the first holds before it and the second from it on.
func profileAt(p []ProfilePoint, t time.Duration) float64 {
	// The first point after t.
	i, _ := slices.BinarySearchFunc(p, t, func(q ProfilePoint, t time.Duration) int {
		if q.At <= t {
			return -1
		}
		return 1
	})
	switch {
	case i == 0:
		return p[0].Factor
	case i == len(p):
		return p[len(p)-1].Factor
	}
	a, b := p[i-1], p[i]
	return a.Factor + (b.Factor-a.Factor)*float64(t-a.At)/float64(b.At-a.At)
}

// maxFactor bounds factor over all t, for thinning.
func (sh *Shape) maxFactor() float64 {
	m := 1.0
	if p := sh.Profile; len(p) > 0 {
		m = 0
		for _, q := range p {
			m = max(m, q.Factor)
		}
	}
	if s := sh.Sine; s != nil {
		m *= 1 + s.Amplitude
	}
	return m
}

// check says what is wrong with a shape, if anything (the scenario loader
// reports these with file and line; this is the last line of defence).
func (sh *Shape) check(process string) error {
	if process == MMPP {
		if len(sh.States) < 2 {
			return fmt.Errorf("traffic: mmpp needs at least 2 states, got %d", len(sh.States))
		}
		var fd float64
		for i, s := range sh.States {
			if !(s.Factor >= 0) || math.IsInf(s.Factor, 0) || s.MeanSojourn <= 0 {
				return fmt.Errorf("traffic: mmpp state %d: factor %v, mean sojourn %v", i, s.Factor, s.MeanSojourn)
			}
			fd += s.Factor * s.MeanSojourn.Seconds()
		}
		if !(fd > 0) {
			return fmt.Errorf("traffic: mmpp: every state has factor 0")
		}
	} else if len(sh.States) > 0 {
		return fmt.Errorf("traffic: states are for the mmpp process, not %s", process)
	}
	for i, q := range sh.Profile {
		if !(q.Factor >= 0) || math.IsInf(q.Factor, 0) || (i > 0 && q.At < sh.Profile[i-1].At) {
			return fmt.Errorf("traffic: profile point %d (%v, %v): factors >= 0, times in order", i, q.At, q.Factor)
		}
	}
	if len(sh.Profile) > 0 && !(sh.maxFactor() > 0) {
		return fmt.Errorf("traffic: the profile's factor is 0 throughout")
	}
	if s := sh.Sine; s != nil && (s.Period <= 0 || !(s.Amplitude >= 0 && s.Amplitude < 1)) {
		return fmt.Errorf("traffic: sine: period %v must be > 0 and amplitude %v in [0, 1)", s.Period, s.Amplitude)
	}
	for i, w := range sh.Classes {
		if !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("traffic: class %d: weight %v must be > 0", i, w)
		}
	}
	return nil
}

// mmpp is the modulating chain of an MMPP, on its own random stream (so
// that the arrivals' stream keeps one draw pattern per arrival).
type mmpp struct {
	rng      *rand.Rand
	rates    []float64       // per state, arrivals per ns
	sojourns []time.Duration // per state, mean
	state    int
	until    float64 // ns: when the current state ends
}

func newMMPP(states []State, rate float64, seed uint64) *mmpp {
	var d, fd float64
	for _, s := range states {
		d += s.MeanSojourn.Seconds()
		fd += s.Factor * s.MeanSojourn.Seconds()
	}
	base := rate * d / fd // per second
	m := &mmpp{rng: rand.New(rand.NewPCG(seed, StreamID("arrivals/mmpp")))}
	for _, s := range states {
		m.rates = append(m.rates, s.Factor*base/1e9)
		m.sojourns = append(m.sojourns, s.MeanSojourn)
	}
	// The chain starts in its stationary distribution (proportional to the
	// mean sojourns, the jumps being uniform), so the run has no transient.
	u := m.rng.Float64() * d
	for i, s := range states {
		if u -= s.MeanSojourn.Seconds(); u < 0 || i == len(states)-1 {
			m.state = i
			break
		}
	}
	m.until = m.holding()
	return m
}

func (m *mmpp) holding() float64 { return float64(m.sojourns[m.state]) * m.rng.ExpFloat64() }

// jump leaves the current state for one of the others, uniformly.
func (m *mmpp) jump() {
	j := m.rng.IntN(len(m.rates) - 1)
	if j >= m.state {
		j++
	}
	m.state = j
	m.until += m.holding()
}

// next is the time of the next event of a Poisson process whose rate is
// the chain's state rate x scale, after t (ns): exponential gaps, redrawn
// at each state change (memoryless).
func (m *mmpp) next(t, scale float64, gap func() float64) float64 {
	for {
		r := m.rates[m.state] * scale
		if r > 0 {
			if c := t + gap()/r; c < m.until {
				return c
			}
		}
		t = m.until
		m.jump()
	}
}
