package fit

import (
	"math"
	"math/rand/v2"
	"testing"
)

// poissonTimes draws n Poisson arrivals at rate, modulated by factor(t).
func modulated(n int, rate float64, factor func(float64) float64, fmax float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []float64
	t := 0.0
	for len(out) < n {
		t += rng.ExpFloat64() / (rate * fmax)
		if rng.Float64()*fmax < factor(t) {
			out = append(out, t)
		}
	}
	return out
}

func TestFitArrivals(t *testing.T) {
	t.Run("poisson", func(t *testing.T) {
		a, err := FitArrivals(modulated(100000, 500, func(float64) float64 { return 1 }, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", a)
		if math.Abs(a.Rate/500-1) > 0.02 || a.Process() != "poisson" || a.Profile != nil {
			t.Errorf("rate %.1f, process %s, profile %v; want 500, poisson, none", a.Rate, a.Process(), a.Profile)
		}
	})
	t.Run("profile", func(t *testing.T) {
		// The rate doubles in the second half.
		a, err := FitArrivals(modulated(100000, 500, func(t float64) float64 {
			if t > 133 {
				return 2
			}
			return 1
		}, 2, 2))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("rate %.1f IDC %.2f profile %v", a.Rate, a.IDC, a.Profile)
		if a.Profile == nil || a.Process() != "poisson" {
			t.Fatalf("profile %v, process %s: want a step, poisson", a.Profile, a.Process())
		}
		first, last := a.Profile[0].Factor, a.Profile[len(a.Profile)-1].Factor
		if math.Abs(last/first-2) > 0.1 {
			t.Errorf("the profile's factors go from %.3f to %.3f: want a doubling", first, last)
		}
	})
	t.Run("bursty", func(t *testing.T) {
		// On/off: 1s at 4x, 3s at 0.
		a, err := FitArrivals(modulated(100000, 500, func(t float64) float64 {
			if math.Mod(t, 4) < 1 {
				return 4
			}
			return 0
		}, 4, 3))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("rate %.1f IDC %.2f (limit %.2f) states %+v", a.Rate, a.IDC, a.IDCLimit, a.States)
		if a.Process() != "mmpp" || len(a.States) != 2 {
			t.Fatalf("process %s: want mmpp", a.Process())
		}
		if a.States[1].Factor > 0.1 || math.Abs(a.States[0].Factor-4) > 0.4 {
			t.Errorf("states %+v: want factors about 4 and 0", a.States)
		}
	})
	if _, err := FitArrivals(make([]float64, 10)); err == nil {
		t.Error("10 arrivals fitted")
	}
}
