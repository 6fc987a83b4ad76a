package theory

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// bruteClosed is the closed network as a Markov chain solved directly: n
// users think for exponential times of mean think, then join station k with
// probability route[k], an exponential FIFO server of mean service[k]. A
// state is the vector of counts at the stations (the rest are thinking).
// It returns the throughput, the mean response time and the mean count at
// each station.
func bruteClosed(t *testing.T, n int, think float64, route, service []float64) (x, r float64, q []float64) {
	t.Helper()
	K := len(route)
	var states [][]int
	var gen func(prefix []int, left int)
	gen = func(prefix []int, left int) {
		if len(prefix) == K {
			states = append(states, append([]int(nil), prefix...))
			return
		}
		for c := 0; c <= left; c++ {
			gen(append(prefix, c), left-c)
		}
	}
	gen(nil, n)
	index := map[string]int{}
	key := func(s []int) string { return fmt.Sprint(s) }
	for i, s := range states {
		index[key(s)] = i
	}
	Q := mat.NewDense(len(states), len(states), nil)
	for i, s := range states {
		busy := 0
		for _, c := range s {
			busy += c
		}
		for k := range K {
			next := append([]int(nil), s...)
			if busy < n {
				next[k]++
				rate := float64(n-busy) / think * route[k]
				j := index[key(next)]
				Q.Set(i, j, Q.At(i, j)+rate)
				Q.Set(i, i, Q.At(i, i)-rate)
				next[k]--
			}
			if s[k] > 0 {
				next[k]--
				j := index[key(next)]
				Q.Set(i, j, Q.At(i, j)+1/service[k])
				Q.Set(i, i, Q.At(i, i)-1/service[k])
			}
		}
	}
	p := solveStationary(t, Q)
	q = make([]float64, K)
	var inSystem float64
	for i, s := range states {
		for k, c := range s {
			q[k] += p[i] * float64(c)
			inSystem += p[i] * float64(c)
			if c > 0 {
				x += p[i] / service[k]
			}
		}
	}
	return x, inSystem / x, q
}

// TestMVABrute compares with the network's Markov chain solved directly,
// for random routing over identical servers and for unequal routing and
// service times (demand = route x service).
func TestMVABrute(t *testing.T) {
	tests := []struct {
		n              int
		think          float64
		route, service []float64
	}{
		{1, 1, []float64{1}, []float64{0.5}},
		{5, 1, []float64{1}, []float64{0.3}},
		{6, 0.5, []float64{0.5, 0.5}, []float64{0.2, 0.2}},
		{8, 2, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, []float64{1, 1, 1}},
		{7, 1, []float64{0.5, 0.3, 0.2}, []float64{0.4, 1, 0.1}},
		{6, 0.1, []float64{0.25, 0.25, 0.25, 0.25}, []float64{0.5, 0.5, 0.5, 0.5}},
	}
	for _, tt := range tests {
		demands := make([]float64, len(tt.route))
		for k := range demands {
			demands[k] = tt.route[k] * tt.service[k]
		}
		name := fmt.Sprintf("MVA(%d, %v, %v)", tt.n, tt.think, demands)
		got := MVA(tt.n, tt.think, demands)
		x, r, q := bruteClosed(t, tt.n, tt.think, tt.route, tt.service)
		if !near(got.Throughput, x, 1e-12) || !near(got.MeanResponse, r, 1e-12) {
			t.Errorf("%s: X %v, R %v; chain %v, %v", name, got.Throughput, got.MeanResponse, x, r)
		}
		for k := range q {
			if !near(got.QueueLength[k], q[k], 1e-12) || !near(got.Utilization[k], x*demands[k], 1e-12) {
				t.Errorf("%s: station %d: Q %v, U %v; chain %v, %v", name, k, got.QueueLength[k], got.Utilization[k], q[k], x*demands[k])
			}
		}
		// Identical servers and uniform routing: ClosedMVA's symmetric recursion.
		if s := tt.service[0]; tt.route[0] == 1/float64(len(tt.route)) && tt.service[len(tt.service)-1] == s {
			cx, cr := ClosedMVA(tt.n, tt.think, s, len(tt.route))
			if !near(cx, x, 1e-12) || !near(cr, r, 1e-12) {
				t.Errorf("ClosedMVA(%d, %v, %v, %d) = %v, %v; chain %v, %v", tt.n, tt.think, s, len(tt.route), cx, cr, x, r)
			}
		}
	}
}

// TestClosedMVAMachineRepairman: one server is the finite-source M/M/1//N
// queue, whose birth-death distribution is p_j proportional to
// N!/(N-j)! (S/Z)^j; then X = (1 - p_0)/S and R = N/X - Z.
func TestClosedMVAMachineRepairman(t *testing.T) {
	for _, c := range []struct {
		n     int
		think float64
		s     float64
	}{{1, 1, 1}, {2, 1, 1}, {10, 5, 1}, {50, 10, 0.3}, {200, 1, 0.01}, {1000, 20, 0.05}} {
		logw := make([]float64, c.n+1)
		for j := 1; j <= c.n; j++ {
			logw[j] = logw[j-1] + math.Log(float64(c.n-j+1)*c.s/c.think)
		}
		top := logw[0]
		for _, l := range logw {
			top = math.Max(top, l)
		}
		var z float64
		for _, l := range logw {
			z += math.Exp(l - top)
		}
		p0 := math.Exp(logw[0]-top) / z
		wantX := (1 - p0) / c.s
		wantR := float64(c.n)/wantX - c.think
		x, r := ClosedMVA(c.n, c.think, c.s, 1)
		if !near(x, wantX, 1e-11) || !near(r, wantR, 1e-10) {
			t.Errorf("ClosedMVA(%d, %v, %v, 1) = %v, %v; M/M/1//N %v, %v", c.n, c.think, c.s, x, r, wantX, wantR)
		}
	}
}

// TestClosedMVABalanced: with no think time the k servers hold the n
// requests in every arrangement with equal probability (product form with
// equal demands), so a server is idle with probability (k-1)/(n+k-1) and
// X = n k / ((n + k - 1) S) [LZGS §5.4].
func TestClosedMVABalanced(t *testing.T) {
	for _, n := range []int{1, 2, 7, 100} {
		for _, k := range []int{1, 2, 5, 64} {
			const s = 0.02
			want := float64(n*k) / (float64(n+k-1) * s)
			x, r := ClosedMVA(n, 0, s, k)
			if !near(x, want, 1e-12) || !near(r, float64(n)/want, 1e-12) {
				t.Errorf("ClosedMVA(%d, 0, %v, %d) = %v, %v; want X %v", n, s, k, x, r, want)
			}
		}
	}
}

// TestClosedMVABounds: the asymptotic bounds hold for every n, with
// equality at n = 1, and the heavy-load ones are approached as n grows;
// Little's law holds for the whole loop and the stations' counts add up.
func TestClosedMVABounds(t *testing.T) {
	for _, c := range []struct {
		think, s float64
		k        int
	}{{1, 0.1, 1}, {0.5, 0.1, 4}, {2, 0.05, 16}, {0, 0.1, 3}} {
		name := fmt.Sprintf("Z %v S %v k %d", c.think, c.s, c.k)
		x, r := ClosedMVA(1, c.think, c.s, c.k)
		if !near(r, c.s, 1e-15) || !near(x, 1/(c.think+c.s), 1e-15) {
			t.Errorf("%s, n 1: X %v, R %v", name, x, r)
		}
		prevX := 0.0
		for _, n := range []int{1, 2, 3, 5, 10, 20, 50, 100, 1000, 10000} {
			x, r := ClosedMVA(n, c.think, c.s, c.k)
			xmax := math.Min(float64(n)/(c.think+c.s), float64(c.k)/c.s)
			rmin := math.Max(c.s, float64(n)*c.s/float64(c.k)-c.think)
			if x > xmax*(1+1e-12) || r < rmin*(1-1e-12) || !(x >= prevX) {
				t.Errorf("%s, n %d: X %v (bound %v, previous %v), R %v (bound %v)", name, n, x, xmax, prevX, r, rmin)
			}
			prevX = x
			if !near(float64(n), x*(r+c.think), 1e-12) {
				t.Errorf("%s, n %d: X (R + Z) = %v", name, n, x*(r+c.think))
			}
			demands := make([]float64, c.k)
			for i := range demands {
				demands[i] = c.s / float64(c.k)
			}
			g := MVA(n, c.think, demands)
			var sum float64
			for _, q := range g.QueueLength {
				sum += q
			}
			if !near(sum+g.Throughput*c.think, float64(n), 1e-12) || !near(g.Throughput, x, 1e-12) || !near(g.MeanResponse, r, 1e-12) {
				t.Errorf("%s, n %d: MVA %+v vs ClosedMVA %v, %v", name, n, g, x, r)
			}
		}
		// Heavy load: saturated servers, R grows as n S / k - Z.
		x, r = ClosedMVA(10000, c.think, c.s, c.k)
		if !near(x, float64(c.k)/c.s, 2e-3) || !near(r, 10000*c.s/float64(c.k)-c.think, 2e-3) {
			t.Errorf("%s, n 10000: X %v, R %v, want about %v, %v", name, x, r, float64(c.k)/c.s, 10000*c.s/float64(c.k)-c.think)
		}
	}
	// Light load: many servers, users rarely meet.
	x, r := ClosedMVA(5, 10, 0.01, 1000)
	if !near(r, 0.01, 1e-5) || !near(x, 5/10.01, 1e-5) {
		t.Errorf("light load: X %v, R %v", x, r)
	}
}

func TestMVAPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"MVA n 0":               func() { MVA(0, 1, []float64{1}) },
		"MVA no station":        func() { MVA(1, 1, nil) },
		"MVA demand 0":          func() { MVA(1, 1, []float64{1, 0}) },
		"MVA think < 0":         func() { MVA(1, -1, []float64{1}) },
		"MVA think NaN":         func() { MVA(1, math.NaN(), []float64{1}) },
		"ClosedMVA k 0":         func() { ClosedMVA(1, 1, 1, 0) },
		"ClosedMVA n 0":         func() { ClosedMVA(0, 1, 1, 1) },
		"ClosedMVA service 0":   func() { ClosedMVA(1, 1, 0, 1) },
		"ClosedMVA service Inf": func() { ClosedMVA(1, 1, math.Inf(1), 1) },
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
