package theory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSizedClass(t *testing.T) {
	for _, c := range []struct {
		size, mean, cv, m1, m2 float64
	}{
		{1, 0.5, 1, 0.5, 0.5},   // exponential: 2 m^2
		{3, 0.1, 0, 0.3, 0.09},  // constant
		{20, 0.01, 2, 0.2, 0.2}, // (0.2)^2 (1 + 4)
		{0.5, 2, 0.5, 1, 1.25},  // 1 x (1 + 1/4)
	} {
		got := SizedClass(7, c.size, c.mean, c.cv)
		if got.Weight != 7 || !near(got.MeanS, c.m1, 1e-15) || !near(got.SecondMomentS, c.m2, 1e-15) {
			t.Errorf("SizedClass(7, %v, %v, %v) = %+v, want E[S] %v E[S^2] %v", c.size, c.mean, c.cv, got, c.m1, c.m2)
		}
	}
	if got := SizedClass(1, 1, 1, math.Inf(1)); !math.IsInf(got.SecondMomentS, 1) {
		t.Errorf("SizedClass with cv Inf = %+v", got)
	}
}

// TestMG1ClassesSpecialCases: one class is M/G/1; classes of exponential
// service with one mean are M/M/1 (the mixture is that exponential), and
// constant ones M/D/1; classes differ only by their own service means.
func TestMG1ClassesSpecialCases(t *testing.T) {
	for _, c := range []struct{ lambda, m, m2 float64 }{{0.6, 1, 2}, {0.8, 1, 5}, {90, 0.01, 1e-4}, {0, 2, 4}, {1.5, 1, 2}} {
		got := MG1Classes(c.lambda, []ServiceClass{{Weight: 3, MeanS: c.m, SecondMomentS: c.m2}})
		want := MG1(c.lambda, c.m, c.m2)
		checkResult(t, fmt.Sprintf("one class %+v", c), got.All, want, 1e-15)
		checkResult(t, fmt.Sprintf("one class %+v, class 0", c), got.Classes[0], want, 1e-15)
	}
	for _, rho := range []float64{0.1, 0.5, 0.9} {
		const m = 0.02
		exp := MG1Classes(rho/m, []ServiceClass{SizedClass(1, 1, m, 1), SizedClass(4, 2, m/2, 1), {Weight: 2, MeanS: m, SecondMomentS: 2 * m * m}})
		mm1 := MM1(rho/m, 1/m)
		checkResult(t, fmt.Sprintf("exponential classes rho %v", rho), exp.All, mm1, 1e-13)
		for i, r := range exp.Classes {
			checkResult(t, fmt.Sprintf("exponential classes rho %v, class %d", rho, i), r, mm1, 1e-13)
		}
		det := MG1Classes(rho/m, []ServiceClass{SizedClass(1, 1, m, 0), SizedClass(9, 0.5, 2*m, 0)})
		checkResult(t, fmt.Sprintf("constant classes rho %v", rho), det.All, MD1(rho/m, 1/m), 1e-13)
	}
	// Unequal classes: a common wait, responses apart by the means, the
	// mean response the weighted mean of the classes'.
	classes := []ServiceClass{SizedClass(9, 1, 0.01, 1), SizedClass(1, 20, 0.01, 1), {Weight: 2, MeanS: 0.05, SecondMomentS: 0.01}, {Weight: 0, MeanS: 1, SecondMomentS: math.Inf(1)}}
	got := MG1Classes(20, classes)
	var mix float64
	for i, c := range classes {
		if d, want := got.Classes[i].MeanResponse-got.Classes[0].MeanResponse, c.MeanS-classes[0].MeanS; !near(d, want, 1e-12) {
			t.Errorf("class %d: E[T] - E[T_0] = %v, want %v", i, d, want)
		}
		if got.Classes[i].MeanWait != got.All.MeanWait || got.Classes[i].Utilization != got.All.Utilization {
			t.Errorf("class %d: %+v vs all %+v", i, got.Classes[i], got.All)
		}
		mix += c.Weight / 12 * got.Classes[i].MeanResponse
	}
	if !near(mix, got.All.MeanResponse, 1e-12) {
		t.Errorf("weighted class responses %v, all %v", mix, got.All.MeanResponse)
	}
	// By hand: E[S] = (9 x 0.01 + 0.2 + 2 x 0.05)/12 = 0.0325, rho = 0.65;
	// E[S^2] = (9 x 2e-4 + 0.08 + 2 x 0.01)/12 = 0.1018/12; W = 20 E[S^2] / 0.7.
	w := 20 * 0.1018 / 12 / 0.7
	checkResult(t, "three classes", got.All, Result{w + 0.0325, w, 0.65, 0.65}, 1e-12)
	if r := MG1Classes(40, classes); r.All.Stable() || !math.IsInf(r.Classes[1].MeanResponse, 1) {
		t.Errorf("MG1Classes at rho 1.3 = %+v", r)
	}
	if r := MG1Classes(1, []ServiceClass{SizedClass(1, 1, 0.1, 1), SizedClass(1, 1, 0.1, math.Inf(1))}); !math.IsInf(r.Classes[0].MeanWait, 1) {
		t.Errorf("MG1Classes with an infinite second moment = %+v", r)
	}
}

// TestMG1ClassesSimulated checks the per-class waits against a seeded
// simulation of the FIFO queue by Lindley's recursion, W' = max(0, W + S - A),
// over independent replications (the tolerance is 4 standard errors of
// their mean).
func TestMG1ClassesSimulated(t *testing.T) {
	// Exponential (mean 0.1), constant (0.4) and hyperexponential-ish
	// (exponential of mean 0.02 or 0.5), weights 3:1:1; rho = 0.6.
	classes := []ServiceClass{
		SizedClass(3, 1, 0.1, 1),
		SizedClass(1, 4, 0.1, 0),
		{Weight: 1, MeanS: 0.5*0.02 + 0.5*0.5, SecondMomentS: 0.5*2*0.02*0.02 + 0.5*2*0.5*0.5},
	}
	draw := []func(r *rand.Rand) float64{
		func(r *rand.Rand) float64 { return 0.1 * r.ExpFloat64() },
		func(r *rand.Rand) float64 { return 0.4 },
		func(r *rand.Rand) float64 {
			if r.IntN(2) == 0 {
				return 0.02 * r.ExpFloat64()
			}
			return 0.5 * r.ExpFloat64()
		},
	}
	var es float64
	for _, c := range classes {
		es += c.Weight / 5 * c.MeanS
	}
	lambda := 0.6 / es
	want := MG1Classes(lambda, classes)

	r := rand.New(rand.NewPCG(3, 11))
	const reps, warm, n = 20, 10000, 100000
	var sum, sum2 [3]float64
	for range reps {
		var w float64
		var tot [3]float64
		var cnt [3]int
		for i := range warm + n {
			c := 0
			switch u := r.IntN(5); {
			case u == 3:
				c = 1
			case u == 4:
				c = 2
			}
			if i >= warm {
				tot[c] += w
				cnt[c]++
			}
			w = math.Max(0, w+draw[c](r)-r.ExpFloat64()/lambda)
		}
		for c := range 3 {
			m := tot[c] / float64(cnt[c])
			sum[c] += m
			sum2[c] += m * m
		}
	}
	for c := range 3 {
		mean := sum[c] / reps
		se := math.Sqrt((sum2[c]/reps - mean*mean) / (reps - 1))
		t.Logf("class %d: simulated wait %.5f +- %.5f, formula %.5f", c, mean, se, want.Classes[c].MeanWait)
		if math.Abs(mean-want.Classes[c].MeanWait) > 4*se {
			t.Errorf("class %d: simulated wait %.5f +- %.5f, formula %.5f", c, mean, se, want.Classes[c].MeanWait)
		}
	}
}

func TestMG1ClassesPanics(t *testing.T) {
	ok := ServiceClass{Weight: 1, MeanS: 1, SecondMomentS: 2}
	for name, f := range map[string]func(){
		"no class":        func() { MG1Classes(0.5, nil) },
		"weights 0":       func() { MG1Classes(0.5, []ServiceClass{{Weight: 0, MeanS: 1, SecondMomentS: 1}}) },
		"weight < 0":      func() { MG1Classes(0.5, []ServiceClass{ok, {Weight: -1, MeanS: 1, SecondMomentS: 1}}) },
		"mean 0":          func() { MG1Classes(0.5, []ServiceClass{ok, {Weight: 1, MeanS: 0, SecondMomentS: 1}}) },
		"ES2 < ES^2":      func() { MG1Classes(0.5, []ServiceClass{ok, {Weight: 1, MeanS: 1, SecondMomentS: 0.5}}) },
		"lambda < 0":      func() { MG1Classes(-1, []ServiceClass{ok}) },
		"SizedClass size": func() { SizedClass(1, 0, 1, 1) },
		"SizedClass cv":   func() { SizedClass(1, 1, 1, -1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
