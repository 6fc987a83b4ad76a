package traffic

import (
	"math"
	"testing"
	"time"
)

func drawUntil(t *testing.T, s *Stream, end time.Duration) []Arrival {
	t.Helper()
	var out []Arrival
	for {
		a := s.Next()
		if a.At >= end {
			return out
		}
		out = append(out, a)
	}
}

// TestPlainShapeIsNew: a zero Shape draws exactly New's stream, so every
// existing scenario keeps its arrivals.
func TestPlainShapeIsNew(t *testing.T) {
	for _, p := range []string{Poisson, Constant} {
		a, _ := New(p, 500, 7, 3, 9)
		b, _ := NewShaped(p, 500, Shape{}, 7, 3, 9)
		for i := range 1000 {
			if x, y := a.Next(), b.Next(); x != y {
				t.Fatalf("%s arrival %d: %+v vs %+v", p, i, x, y)
			}
		}
	}
}

// TestMMPPMeanRate: the long-run rate is the rate asked for, whatever the
// factors (on/off included): base = rate x sum(d) / sum(f d). Over T
// seconds the count's variance is about rate x T x IDC, where the index of
// dispersion is bounded here by 1 + 2 x max(f) x rate x max(d): the
// tolerance is 5 of those standard deviations.
func TestMMPPMeanRate(t *testing.T) {
	const rate = 1000.0
	const T = 400 * time.Second
	for _, tc := range []struct {
		name   string
		states []State
	}{
		{"two states", []State{{4, time.Second}, {0.25, 4 * time.Second}}},
		{"on/off", []State{{1, 100 * time.Millisecond}, {0, 300 * time.Millisecond}}},
		{"three states", []State{{3, 200 * time.Millisecond}, {1, 500 * time.Millisecond}, {0.1, time.Second}}},
	} {
		s, err := NewShaped(MMPP, rate, Shape{States: tc.states}, 10, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		n := float64(len(drawUntil(t, s, T)))
		var maxF, maxD, d, fd float64
		for _, st := range tc.states {
			d += st.MeanSojourn.Seconds()
			fd += st.Factor * st.MeanSojourn.Seconds()
		}
		for _, st := range tc.states {
			maxF = max(maxF, st.Factor*d/fd)
			maxD = max(maxD, st.MeanSojourn.Seconds())
		}
		want := rate * T.Seconds()
		sd := math.Sqrt(want * (1 + 2*maxF*rate*maxD))
		if math.Abs(n-want) > 5*sd {
			t.Errorf("%s: %v arrivals in %v, want %v ± %.0f", tc.name, n, T, want, 5*sd)
		}
	}
}

// TestMMPPIsBursty: counts in windows much shorter than the sojourns vary
// far more than a Poisson process's (index of dispersion well above 1),
// and an on/off process has empty windows where Poisson has none.
func TestMMPPIsBursty(t *testing.T) {
	idc := func(s *Stream) (float64, int) {
		const w, nw = 10 * time.Millisecond, 20000
		counts := make([]float64, nw)
		for _, a := range drawUntil(t, s, w*nw) {
			counts[a.At/w]++
		}
		var m, v float64
		empty := 0
		for _, c := range counts {
			m += c
			if c == 0 {
				empty++
			}
		}
		m /= nw
		for _, c := range counts {
			v += (c - m) * (c - m)
		}
		return v / nw / m, empty
	}
	p, _ := New(Poisson, 2000, 1, 1, 5)
	onoff, _ := NewShaped(MMPP, 2000, Shape{States: []State{{1, 500 * time.Millisecond}, {0, 500 * time.Millisecond}}}, 1, 1, 5)
	ip, ep := idc(p)
	io, eo := idc(onoff)
	if math.Abs(ip-1) > 0.1 || ep != 0 {
		t.Errorf("poisson: index of dispersion %.3f (want 1), %d empty windows", ip, ep)
	}
	// On/off at 4000/s half the time: counts 40 or 0, so the IDC is about
	// 40 x (1/2) + 1 = 21, and about half the windows are empty.
	if io < 10 || eo < 5000 {
		t.Errorf("on/off: index of dispersion %.1f, %d empty windows; want a bursty process", io, eo)
	}
}

// TestProfileStep: with a step from factor 1 to 3 and back, the measured
// rate in each second follows the profile (Poisson thinning), within 5
// standard deviations of a Poisson count; and a constant process keeps
// exact gaps of 1/(rate x factor).
func TestProfileStep(t *testing.T) {
	const rate = 2000.0
	prof := []ProfilePoint{{0, 1}, {10 * time.Second, 1}, {10 * time.Second, 3}, {20 * time.Second, 3}, {20 * time.Second, 1}}
	s, err := NewShaped(Poisson, rate, Shape{Profile: prof}, 1, 1, 11)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, 30)
	for _, a := range drawUntil(t, s, 30*time.Second) {
		counts[a.At/time.Second]++
	}
	for sec, c := range counts {
		want := rate
		if sec >= 10 && sec < 20 {
			want = 3 * rate
		}
		if math.Abs(c-want) > 5*math.Sqrt(want) {
			t.Errorf("second %d: %v arrivals, want %v", sec, c, want)
		}
	}
	c, _ := NewShaped(Constant, 100, Shape{Profile: prof}, 1, 1, 11)
	as := drawUntil(t, c, 30*time.Second)
	gaps := map[time.Duration]int{}
	for i := 1; i < len(as); i++ {
		gaps[(as[i].At-as[i-1].At).Round(time.Microsecond)]++
	}
	if gaps[10*time.Millisecond] < 1900 || gaps[3333*time.Microsecond] < 2900 {
		t.Errorf("constant under a step: gaps %v, want 10ms outside the step and 3.33ms in it", gaps)
	}
}

// TestSine: arrivals in each quarter of the period follow the sine's mean
// factor over it: 1 + A x (2/pi) in the first half's middle ... checked as
// the ratio of the first half's count to the second's:
// (1 + 2A/pi) / (1 - 2A/pi).
func TestSine(t *testing.T) {
	const rate, A = 1000.0, 0.5
	period := 10 * time.Second
	s, _ := NewShaped(Poisson, rate, Shape{Sine: &Sine{Period: period, Amplitude: A}}, 1, 1, 2)
	var first, second float64
	for _, a := range drawUntil(t, s, 100*period) {
		if a.At%period < period/2 {
			first++
		} else {
			second++
		}
	}
	want := (1 + 2*A/math.Pi) / (1 - 2*A/math.Pi)
	// Each half's count is Poisson: the ratio's relative SE is about
	// sqrt(1/first + 1/second).
	if got := first / second; math.Abs(got/want-1) > 5*math.Sqrt(1/first+1/second) {
		t.Errorf("first half / second half = %.4f, want %.4f", got, want)
	}
	if total := first + second; math.Abs(total-rate*100*period.Seconds()) > 5*math.Sqrt(total) {
		t.Errorf("%v arrivals, want %v: the sine does not change the mean", total, rate*100*period.Seconds())
	}
}

// TestClasses: classes are drawn by weight.
func TestClasses(t *testing.T) {
	w := []float64{9, 1, 2}
	s, _ := NewShaped(Poisson, 1000, Shape{Classes: w}, 1, 1, 4)
	const n = 120000
	counts := make([]float64, len(w))
	for range n {
		counts[s.Next().Class]++
	}
	for i, c := range counts {
		p := w[i] / 12
		if want := n * p; math.Abs(c-want) > 5*math.Sqrt(want*(1-p)) {
			t.Errorf("class %d: %v arrivals, want %v", i, c, want)
		}
	}
}

// TestDeadProfile: a profile that ends at factor 0 ends the stream.
func TestDeadProfile(t *testing.T) {
	prof := []ProfilePoint{{0, 1}, {time.Second, 1}, {time.Second, 0}}
	for _, p := range []string{Poisson, Constant} {
		s, _ := NewShaped(p, 1000, Shape{Profile: prof}, 1, 1, 1)
		n := 0
		for s.Next().At != Never {
			if n++; n > 5000 {
				t.Fatalf("%s: still arriving after %d", p, n)
			}
		}
		if n < 900 || n > 1100 {
			t.Errorf("%s: %d arrivals before the factor fell to 0, want about 1000", p, n)
		}
	}
	m, _ := NewShaped(MMPP, 1000, Shape{States: []State{{1, time.Second}, {2, time.Second}}, Profile: prof}, 1, 1, 1)
	for n := 0; m.Next().At != Never; n++ {
		if n > 10000 {
			t.Fatal("mmpp: still arriving")
		}
	}
}

func TestShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		process string
		sh      Shape
	}{
		{MMPP, Shape{States: []State{{1, time.Second}}}},
		{MMPP, Shape{States: []State{{0, time.Second}, {0, time.Second}}}},
		{MMPP, Shape{States: []State{{1, 0}, {1, time.Second}}}},
		{Poisson, Shape{States: []State{{1, time.Second}, {2, time.Second}}}},
		{Poisson, Shape{Profile: []ProfilePoint{{time.Second, 1}, {0, 1}}}},
		{Poisson, Shape{Profile: []ProfilePoint{{0, 0}}}},
		{Poisson, Shape{Sine: &Sine{Period: time.Second, Amplitude: 1}}},
		{Poisson, Shape{Sine: &Sine{Amplitude: 0.5}}},
		{Poisson, Shape{Classes: []float64{1, 0}}},
	} {
		if _, err := NewShaped(tc.process, 100, tc.sh, 1, 1, 1); err == nil {
			t.Errorf("%s %+v: no error", tc.process, tc.sh)
		}
	}
}
