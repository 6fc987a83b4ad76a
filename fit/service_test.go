package fit

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
)

// TestFitServiceRecovers: samples drawn from each family (through the
// simulator's own dist package) are fitted to that family, with its mean
// within 2%, and the fit's KS distance is small.
func TestFitServiceRecovers(t *testing.T) {
	t.Parallel()
	for _, spec := range []dist.Spec{
		{Dist: "exponential", Mean: 80 * time.Millisecond},
		{Dist: "lognormal", Mean: 120 * time.Millisecond, CV: 1},
		{Dist: "lognormal", Mean: 20 * time.Millisecond, CV: 3},
		{Dist: "gamma", Mean: 50 * time.Millisecond, CV: 0.5},
		{Dist: "weibull", Mean: 30 * time.Millisecond, Shape: 2.5},
		{Dist: "pareto", Mean: 10 * time.Millisecond, Alpha: 2.5},
	} {
		t.Run(spec.Dist, func(t *testing.T) {
			d, err := dist.New(spec)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float64, 30000)
			for i := range x {
				x[i] = d.Quantile(rng.Float64()).Seconds()
			}
			f, err := FitService(x)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range f.Candidates {
				t.Logf("%-11s BIC %12.1f KS %.4f %+v", c.Spec.Dist, c.BIC, c.KS, c.Spec)
			}
			if f.Best.Spec.Dist != spec.Dist {
				t.Errorf("chose %s, want %s", f.Best.Spec.Dist, spec.Dist)
			}
			if rel := math.Abs(float64(f.Best.Spec.Mean-spec.Mean)) / float64(spec.Mean); rel > 0.02 && spec.Dist != "pareto" {
				t.Errorf("mean %v, want %v (%.1f%% off)", f.Best.Spec.Mean, spec.Mean, 100*rel)
			}
			if f.Best.KS > 0.015 {
				t.Errorf("KS %.4f of the chosen fit: too far for a sample of its own family", f.Best.KS)
			}
		})
	}
}

func TestFitServiceEdges(t *testing.T) {
	if _, err := FitService([]float64{1}); err == nil {
		t.Error("one sample fitted")
	}
	f, err := FitService([]float64{0.01, 0.01, 0.01})
	if err != nil || f.Best.Spec.Dist != "constant" || f.Best.Spec.Value != 10*time.Millisecond {
		t.Errorf("constant: %+v, %v", f, err)
	}
	if f, err := FitService([]float64{0, 0}); err != nil || f.Best.Spec.Dist != "constant" || f.Best.Spec.Value != 0 {
		t.Errorf("all zeros: %+v, %v; want constant 0s", f, err)
	}
	f, err = FitService([]float64{0, 0.001, 0.002, 0.004, 0.003, 0.001})
	if err != nil || f.Floor != 500*time.Microsecond {
		t.Errorf("zeros: floor %v, %v", f.Floor, err)
	}
}
