package model_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// herdScenario has n single-worker servers of mean service 10ms (herding
// windows of 10ms) and load_info set, so the recorder measures herding.
func herdScenario(t *testing.T, n int, warmup string) *scenarios.Scenario {
	t.Helper()
	sc := parse(t, `warmup: `+warmup+`
requests: 100
arrivals: {rate: 100}
servers: [{name: web, count: `+itoa(n)+`, service: {dist: exponential, mean: 10ms}}]
load_info: {source: servers}
`, "")
	if w := model.HerdingWindow(sc); w != 10*time.Millisecond {
		t.Fatalf("HerdingWindow = %v, want the mean service time 10ms", w)
	}
	return sc
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// herdingOf feeds a recorder windows of arrivals, window k's arrivals
// going to the servers route(k) lists, and returns the index.
func herdingOf(t *testing.T, sc *scenarios.Scenario, windows int, route func(k int) []int) (float64, bool) {
	t.Helper()
	r := model.NewRecorder(sc)
	w := model.HerdingWindow(sc)
	for k := range windows {
		to := route(k)
		for j, si := range to {
			r.Routed(time.Duration(k)*w+time.Duration(j)*w/time.Duration(len(to)), si)
		}
	}
	a := r.Result(sc.Algorithms[0])
	if a.Herding == nil {
		return 0, false
	}
	return *a.Herding, true
}

func TestHerdingHandMade(t *testing.T) {
	const n = 10
	sc := herdScenario(t, n, "0s")
	tests := []struct {
		name  string
		route func(k int) []int
		want  float64
	}{
		{"even: each server once", func(int) []int { return []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9} }, 1},
		{"even: each server three times", func(int) []int {
			var out []int
			for i := range 3 * n {
				out = append(out, i%n)
			}
			return out
		}, 1},
		{"all on one", func(k int) []int { return []int{k % n, k % n, k % n, k % n} }, n},
		{"half the servers", func(int) []int { return []int{0, 1, 2, 3, 4, 0, 1, 2, 3, 4} }, 2},
		// Windows of 4 all on one (H = 10) and windows of 4 spread (H =
		// 2.5: four servers of ten once each), equally weighted.
		{"mixed windows", func(k int) []int {
			if k%2 == 0 {
				return []int{3, 3, 3, 3}
			}
			return []int{0, 1, 2, 3}
		}, (10 + 2.5) / 2},
		// Windows of one arrival say nothing of spread: left out, so the
		// weights are the 10-arrival windows' only.
		{"single arrivals left out", func(k int) []int {
			if k%2 == 0 {
				return []int{7}
			}
			return []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := herdingOf(t, sc, 40, tt.route)
			if !ok || math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("herding = %v (set %v), want %v", got, ok, tt.want)
			}
		})
	}
}

// Windows that start in the warm-up do not count.
func TestHerdingAfterWarmup(t *testing.T) {
	sc := herdScenario(t, 10, "100ms") // the first 10 windows
	got, _ := herdingOf(t, sc, 20, func(k int) []int {
		if k < 10 {
			return []int{0, 0, 0, 0}
		}
		return []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	})
	if got != 1 {
		t.Errorf("herding = %v, want 1 (the warm-up's herding left out)", got)
	}
}

// Routing each of A arrivals in a window to a uniformly random server of
// N gives E[H] = 1 + (N-1)/A: E[a_i^2] = A/N (1 - 1/N) + (A/N)^2. The
// windows are independent, so their mean is within 4 standard errors of
// that (a 6e-5 chance of a false alarm; the seed is fixed anyway).
func TestHerdingRandomRouting(t *testing.T) {
	const n, a, windows = 10, 20, 4000
	sc := herdScenario(t, n, "0s")
	rng := rand.New(rand.NewPCG(7, 7))
	var hs []float64
	routes := make([][]int, windows)
	for k := range routes {
		counts := make([]int, n)
		for range a {
			si := rng.IntN(n)
			routes[k] = append(routes[k], si)
			counts[si]++
		}
		s := 0
		for _, c := range counts {
			s += c * c
		}
		hs = append(hs, float64(n*s)/float64(a*a))
	}
	got, _ := herdingOf(t, sc, windows, func(k int) []int { return routes[k] })
	mean, sd := meanSD(hs)
	if math.Abs(got-mean) > 1e-9 {
		t.Errorf("herding = %v, the windows' own H average %v", got, mean)
	}
	want := 1 + float64(n-1)/a
	if se := sd / math.Sqrt(windows); math.Abs(got-want) > 4*se {
		t.Errorf("herding under random routing = %v, want %v ± %v (4 standard errors)", got, want, 4*se)
	}
}

func meanSD(xs []float64) (float64, float64) {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, math.Sqrt(v / float64(len(xs)-1))
}

// Arrivals recorded out of order (the real engine records them as answers
// come back) land in their windows.
func TestHerdingOutOfOrder(t *testing.T) {
	sc := herdScenario(t, 10, "0s")
	w := model.HerdingWindow(sc)
	r := model.NewRecorder(sc)
	type routed struct {
		at time.Duration
		si int
	}
	var all []routed
	for k := range 200 {
		for j := range 4 {
			all = append(all, routed{time.Duration(k)*w + time.Duration(j), k % 10})
		}
	}
	slices.Reverse(all[:100]) // a few windows' answers come back in reverse
	for _, x := range all {
		r.Routed(x.at, x.si)
	}
	if h := r.Result(sc.Algorithms[0]).Herding; h == nil || *h != 10 {
		t.Errorf("herding = %v, want 10", h)
	}
}

// Without load_info there is no herding figure: summaries keep their bytes.
func TestHerdingOnlyWithLoadInfo(t *testing.T) {
	sc := parse(t, "requests: 10\narrivals: {rate: 100}\n", "")
	r := model.NewRecorder(sc)
	r.Routed(0, 0)
	r.Routed(1, 0)
	if a := r.Result(sc.Algorithms[0]); a.Herding != nil {
		t.Errorf("herding = %v without load_info, want none", *a.Herding)
	}
}

func TestLoadBoard(t *testing.T) {
	b := model.NewLoadBoard(5)
	if _, _, ok := b.Visible(100); ok {
		t.Fatal("an empty board shows something")
	}
	b.Post(10, []int64{1})
	b.Post(20, []int64{2})
	b.Post(30, []int64{3})
	if next, ok := b.Next(); !ok || next != 15 {
		t.Errorf("Next = %v %v, want 15", next, ok)
	}
	if _, _, ok := b.Visible(14); ok {
		t.Error("visible before its delay")
	}
	at, c, ok := b.Visible(27) // 10 and 20 are visible: the later wins
	if !ok || at != 20 || c[0] != 2 {
		t.Errorf("Visible(27) = %v %v %v, want 20 [2]", at, c, ok)
	}
	if _, _, ok := b.Visible(27); ok {
		t.Error("the same posting shown twice")
	}
	b.Post(40, []int64{4})
	at, c, ok = b.Visible(100)
	if !ok || at != 40 || c[0] != 4 {
		t.Errorf("Visible(100) = %v %v %v, want 40 [4]", at, c, ok)
	}
}

// A board whose delay is longer than its refresh is never empty; it must
// still hold only the postings in transit, and show each at its time.
func TestLoadBoardBoundedWhenNeverEmpty(t *testing.T) {
	b := model.NewLoadBoard(25) // delay 2.5 refreshes
	maxPending := 0
	for k := int64(0); k < 100_000; k++ {
		now := time.Duration(10 * k)
		b.Post(now, []int64{k})
		at, c, ok := b.Visible(now)
		if k >= 3 {
			// Taken at now-30 is the latest visible (at+25 <= now).
			if !ok || at != now-30 || c[0] != k-3 {
				t.Fatalf("step %d: Visible = %v %v %v, want %v [%d]", k, at, c, ok, now-30, k-3)
			}
		}
		if p := model.PendingLen(b); p > maxPending {
			maxPending = p
		}
	}
	if maxPending > 16 {
		t.Errorf("the board held up to %d postings for 3 in transit: it grows with the run", maxPending)
	}
}
