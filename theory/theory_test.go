package theory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func near(got, want, rel float64) bool {
	if math.IsInf(want, 1) {
		return math.IsInf(got, 1)
	}
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), 1e-300)
}

func checkResult(t *testing.T, name string, got, want Result, rel float64) {
	t.Helper()
	if !near(got.MeanResponse, want.MeanResponse, rel) || !near(got.MeanWait, want.MeanWait, rel) ||
		!near(got.PWait, want.PWait, rel) || !near(got.Utilization, want.Utilization, rel) {
		t.Errorf("%s = %+v, want %+v", name, got, want)
	}
}

func TestMM1(t *testing.T) {
	// rho = 0.5, mu = 1: T = 1/(1-0.5) = 2, W = 1.
	checkResult(t, "MM1(0.5, 1)", MM1(0.5, 1), Result{2, 1, 0.5, 0.5}, 1e-15)
	// 900 req/s on a 1000 req/s server: T = 10ms.
	checkResult(t, "MM1(900, 1000)", MM1(900, 1000), Result{0.01, 0.009, 0.9, 0.9}, 1e-12)
	checkResult(t, "MM1(0, 4)", MM1(0, 4), Result{0.25, 0, 0, 0}, 0)
	if r := MM1(2, 1); !math.IsInf(r.MeanResponse, 1) || r.Stable() || r.Utilization != 2 {
		t.Errorf("MM1(2, 1) = %+v, want unstable", r)
	}
}

func TestErlangC(t *testing.T) {
	// References by exact rational arithmetic (Python fractions) over
	// C = (a^c/c! c/(c-a)) / (sum_{k<c} a^k/k! + a^c/c! c/(c-a)).
	tests := []struct {
		c    int
		a    float64
		want float64
	}{
		{1, 0.5, 0.5}, // M/M/1: rho
		{2, 1, 1.0 / 3},
		{10, 8, 0.40918015079644354},
		{100, 90, 0.2169404809063664},
		{1000, 950, 0.06825341537714143},
		{1000, 999, 0.9612392604084191},
	}
	for _, tt := range tests {
		if got := ErlangC(tt.c, tt.a); !near(got, tt.want, 1e-12) {
			t.Errorf("ErlangC(%d, %v) = %.17g, want %.17g", tt.c, tt.a, got, tt.want)
		}
	}
	if got := ErlangB(2, 1); !near(got, 0.2, 1e-15) { // (1/2)/(1 + 1 + 1/2)
		t.Errorf("ErlangB(2, 1) = %v, want 0.2", got)
	}
}

func TestMMc(t *testing.T) {
	// c = 2, a = 1: C = 1/3, W = C/(c mu - lambda) = 1/3, T = 4/3.
	checkResult(t, "MMc(1, 1, 2)", MMc(1, 1, 2), Result{4.0 / 3, 1.0 / 3, 1.0 / 3, 0.5}, 1e-15)
	checkResult(t, "MMc(l, m, 1)", MMc(0.7, 1.3, 1), MM1(0.7, 1.3), 1e-14)
	// The pooling gain: 8 servers at rho 0.9 wait far less than 8 M/M/1s.
	if p, s := MMc(7.2, 1, 8), MM1(0.9, 1); !(p.MeanWait < s.MeanWait/4) {
		t.Errorf("M/M/8 wait %v not well below M/M/1's %v", p.MeanWait, s.MeanWait)
	}
	if r := MMc(10, 1, 10); r.Stable() || !math.IsInf(r.MeanWait, 1) || r.PWait != 1 {
		t.Errorf("MMc at rho 1 = %+v, want unstable", r)
	}
}

func TestMG1(t *testing.T) {
	// Exponential service: E[S^2] = 2/mu^2 gives M/M/1.
	checkResult(t, "MG1 exponential", MG1(0.6, 1, 2), MM1(0.6, 1), 1e-14)
	// M/D/1, lambda 0.5, d 1: W = 0.5*1/(2*0.5) = 0.5, half of M/M/1's 1.
	checkResult(t, "MD1(0.5, 1)", MD1(0.5, 1), Result{1.5, 0.5, 0.5, 0.5}, 1e-15)
	// Lognormal cv 2 at rho 0.8: W = lambda m^2 (1+cv^2)/(2(1-rho)) = 0.8*5/0.4 = 10 (m = 1).
	checkResult(t, "MG1 cv 2", MG1(0.8, 1, 5), Result{11, 10, 0.8, 0.8}, 1e-14)
	if r := MG1(0.5, 1, math.Inf(1)); !math.IsInf(r.MeanWait, 1) {
		t.Errorf("MG1 with infinite E[S^2] = %+v", r)
	}
}

func TestGM1(t *testing.T) {
	// Poisson arrivals: G/M/1 is M/M/1, sigma = rho.
	for _, rho := range []float64{0.01, 0.3, 0.5, 0.9, 0.99, 0.999} {
		got := GM1(rho, 1, ErlangLST(1, rho))
		checkResult(t, fmt.Sprintf("GM1 Poisson rho %v", rho), got, MM1(rho, 1), 1e-9)
	}
	// D/M/1: A*(s) = exp(-s/lambda). lambda = 0.5, mu = 1: sigma = exp(-2(1-sigma)),
	// sigma = 0.20318786969... (root of sigma e^{-2 sigma} = e^{-2}).
	got := GM1(0.5, 1, func(s float64) float64 { return math.Exp(-s / 0.5) })
	if s := got.PWait; !near(s*math.Exp(-2*s), math.Exp(-2), 1e-12) || !near(s, 0.2031878699, 1e-9) {
		t.Errorf("D/M/1 sigma = %.12f", s)
	}
}

func TestRoundRobin(t *testing.T) {
	for _, rho := range []float64{0.1, 0.5, 0.95} {
		checkResult(t, "RoundRobin n=1", RoundRobin(rho, 1, 1), MM1(rho, 1), 1e-9)
	}
	// n = 2, lambda = mu = 1: sigma (2 - sigma)^2 = 1, sigma = (3 - sqrt 5)/2,
	// E[T] = 1/(1 - sigma) = the golden ratio.
	r := RoundRobin(1, 1, 2)
	phi := (1 + math.Sqrt(5)) / 2
	checkResult(t, "RoundRobin(1, 1, 2)", r, Result{phi, phi - 1, (3 - math.Sqrt(5)) / 2, 0.5}, 1e-12)
	// Dealing in turn smooths arrivals: better than random, worse than one queue.
	for _, n := range []int{2, 8, 100} {
		lambda := 0.9 * float64(n)
		rr, rnd, pool := RoundRobin(lambda, 1, n), RandomRouting(lambda, 1, n), MMc(lambda, 1, n)
		if !(pool.MeanResponse < rr.MeanResponse && rr.MeanResponse < rnd.MeanResponse) {
			t.Errorf("n=%d: M/M/n %v, round robin %v, random %v not in order", n, pool.MeanResponse, rr.MeanResponse, rnd.MeanResponse)
		}
		if rr.Utilization != 0.9 {
			t.Errorf("n=%d: round robin utilisation %v", n, rr.Utilization)
		}
	}
	// As n grows, E_n/M/1 tends to D/M/1 (arrivals every n/lambda exactly).
	dm1 := GM1(0.5, 1, func(s float64) float64 { return math.Exp(-s / 0.5) })
	if rr := RoundRobin(50, 1, 100); !near(rr.MeanResponse, dm1.MeanResponse, 0.01) {
		t.Errorf("RoundRobin(50, 1, 100) = %v, want near D/M/1 %v", rr.MeanResponse, dm1.MeanResponse)
	}
	checkResult(t, "RandomRouting", RandomRouting(4, 1, 8), MM1(0.5, 1), 0)
}

// powerOfDLoop is an independent evaluation of Mitzenmacher's sum, with the
// exponent formed directly from d^i.
func powerOfDLoop(rho float64, d int) float64 {
	var sum float64
	for i := 1; i < 60; i++ {
		e := (math.Pow(float64(d), float64(i)) - float64(d)) / float64(d-1)
		sum += math.Pow(rho, e)
	}
	return sum
}

func TestPowerOfD(t *testing.T) {
	if got := PowerOfD(0.9, 2); !near(got, 2.614057377323876, 1e-12) || math.Abs(got-2.6) > 0.05 {
		t.Errorf("PowerOfD(0.9, 2) = %.15f, want 2.614057377323876", got)
	}
	for _, rho := range []float64{0.1, 0.5, 0.9, 0.99, 0.999} {
		for _, d := range []int{2, 3, 5, 10} {
			if got, want := PowerOfD(rho, d), powerOfDLoop(rho, d); !near(got, want, 1e-13) {
				t.Errorf("PowerOfD(%v, %d) = %.15g, loop %.15g", rho, d, got, want)
			}
		}
		if got, want := PowerOfD(rho, 1), MM1(rho, 1).MeanResponse; !near(got, want, 1e-15) {
			t.Errorf("PowerOfD(%v, 1) = %v, want M/M/1 %v", rho, got, want)
		}
		// More choices never hurt.
		if !(PowerOfD(rho, 3) <= PowerOfD(rho, 2) && PowerOfD(rho, 2) < PowerOfD(rho, 1)) {
			t.Errorf("PowerOfD(%v, d) not decreasing in d", rho)
		}
	}
	if PowerOfD(0, 2) != 1 || !math.IsInf(PowerOfD(1, 2), 1) {
		t.Error("PowerOfD edges")
	}
	// Close to 1 the loop still ends and grows like log(1/(1-rho))/log d.
	if got := PowerOfD(1-1e-12, 2); math.IsInf(got, 0) || got < 30 || got > 60 {
		t.Errorf("PowerOfD(1-1e-12, 2) = %v", got)
	}
}

// TestJainExpectedRandomExact compares with the exact expectation by
// enumerating every outcome for n = 2 (binomial) and n = 3 (trinomial), and
// checks the error bounds in the doc comment.
func TestJainExpectedRandomExact(t *testing.T) {
	logMultinomial := func(ks ...int) float64 {
		n := 0
		var s float64
		for _, k := range ks {
			n += k
			lg, _ := math.Lgamma(float64(k + 1))
			s -= lg
		}
		lg, _ := math.Lgamma(float64(n + 1))
		return s + lg - float64(n)*math.Log(float64(len(ks)))
	}
	exact := func(n, N int) float64 {
		NN := float64(N) * float64(N)
		var e float64
		if n == 2 {
			for a := 0; a <= N; a++ {
				b := N - a
				e += math.Exp(logMultinomial(a, b)) * NN / (2 * float64(a*a+b*b))
			}
			return e
		}
		for a := 0; a <= N; a++ {
			for b := 0; a+b <= N; b++ {
				c := N - a - b
				e += math.Exp(logMultinomial(a, b, c)) * NN / (3 * float64(a*a+b*b+c*c))
			}
		}
		return e
	}
	for _, n := range []int{2, 3} {
		for _, N := range []int{1, 2, 3, 4, 5, 7, 10, 20, 50, 100, 300, 1000} {
			if n == 3 && N > 300 {
				continue
			}
			got, want := JainExpectedRandom(n, int64(N)), exact(n, N)
			bound := 0.013
			switch {
			case n == 2 && N >= 1000:
				bound = 1e-8
			case N >= 100:
				bound = 2e-5
			case N >= 10:
				bound = 4e-3
			}
			if math.Abs(got-want) > bound {
				t.Errorf("JainExpectedRandom(%d, %d) = %.10f, exact %.10f (error bound %g)", n, N, got, want, bound)
			}
		}
	}
	if JainExpectedRandom(5, 1) != 0.2 || JainExpectedRandom(1, 100) != 1 || JainExpectedRandom(4, 0) != 1 {
		t.Error("JainExpectedRandom exact edges")
	}
}

// TestJainExpectedRandomMC checks larger n by a seeded simulation. The
// tolerance is 4 standard errors of the simulated mean plus the
// approximation's own error (O(n/N^3), negligible here).
func TestJainExpectedRandomMC(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, c := range []struct{ n, N, reps int }{{10, 50, 20000}, {100, 20, 20000}, {100, 1000, 2000}} {
		counts := make([]float64, c.n)
		var sum, sum2 float64
		for range c.reps {
			clear(counts)
			for range c.N {
				counts[r.IntN(c.n)]++
			}
			var s2 float64
			for _, x := range counts {
				s2 += x * x
			}
			j := float64(c.N) * float64(c.N) / (float64(c.n) * s2)
			sum += j
			sum2 += j * j
		}
		mean := sum / float64(c.reps)
		se := math.Sqrt((sum2/float64(c.reps) - mean*mean) / float64(c.reps))
		got := JainExpectedRandom(c.n, int64(c.N))
		t.Logf("n=%d N=%d: simulated %.6f +- %.6f, formula %.6f", c.n, c.N, mean, se, got)
		if math.Abs(got-mean) > 4*se {
			t.Errorf("JainExpectedRandom(%d, %d) = %.6f, simulated %.6f +- %.6f", c.n, c.N, got, mean, se)
		}
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"MM1 mu 0":        func() { MM1(1, 0) },
		"MM1 lambda < 0":  func() { MM1(-1, 1) },
		"MMc c 0":         func() { MMc(1, 1, 0) },
		"MG1 ES2 < ES^2":  func() { MG1(0.1, 1, 0.5) },
		"RoundRobin n 0":  func() { RoundRobin(1, 1, 0) },
		"PowerOfD d 0":    func() { PowerOfD(0.5, 0) },
		"Jain n 0":        func() { JainExpectedRandom(0, 1) },
		"MM1 lambda NaN":  func() { MM1(math.NaN(), 1) },
		"ErlangB a < 0":   func() { ErlangB(1, -1) },
		"RandomRouting 0": func() { RandomRouting(1, 1, 0) },
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

func ExamplePowerOfD() {
	// Mean response time at 90% load, in service times.
	fmt.Printf("random %.2f, two choices %.2f, three %.2f\n", PowerOfD(0.9, 1), PowerOfD(0.9, 2), PowerOfD(0.9, 3))
	// Output: random 10.00, two choices 2.61, three 2.03
}

func ExampleRoundRobin() {
	// 8 servers of 100 req/s each at 90% load.
	rr := RoundRobin(720, 100, 8)
	rnd := RandomRouting(720, 100, 8)
	fmt.Printf("round robin %.1fms (P(wait) %.2f), random %.1fms\n", rr.MeanResponse*1e3, rr.PWait, rnd.MeanResponse*1e3)
	// Output: round robin 57.8ms (P(wait) 0.83), random 100.0ms
}
