package traffic

import (
	"math"
	"testing"
	"time"
)

func TestPoissonGapsAndQuantiles(t *testing.T) {
	const rate, n = 1000.0, 200_000
	s, err := New(Poisson, rate, 50, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	var prev time.Duration
	var sumGap, sumGap2, sumU float64
	clients := make([]int, 50)
	bals := make([]int, 3)
	for range n {
		a := s.Next()
		if a.At < prev {
			t.Fatalf("time went backwards: %v after %v", a.At, prev)
		}
		g := (a.At - prev).Seconds()
		sumGap += g
		sumGap2 += g * g
		sumU += a.U
		prev = a.At
		if a.U < 0 || a.U >= 1 {
			t.Fatalf("quantile %v out of [0,1)", a.U)
		}
		if a.Key != ClientKey(a.Client) || a.Key == 0 {
			t.Fatalf("key %x for client %d", a.Key, a.Client)
		}
		clients[a.Client]++
		bals[a.Balancer]++
	}
	// Exponential gaps: mean 1/rate and cv 1; the sample mean's SE is
	// (1/rate)/sqrt(n), so 5 SE is 1.1% of the mean.
	mean := sumGap / n
	cv := math.Sqrt(sumGap2/n-mean*mean) / mean
	if math.Abs(mean*rate-1) > 5/math.Sqrt(n) {
		t.Errorf("mean gap %v, want %v", mean, 1/rate)
	}
	if math.Abs(cv-1) > 0.02 {
		t.Errorf("gap cv %.4f, want 1", cv)
	}
	if m := sumU / n; math.Abs(m-0.5) > 5*math.Sqrt(1.0/12/n) {
		t.Errorf("mean quantile %.4f, want 0.5", m)
	}
	for i, c := range clients {
		if want := n / 50.0; math.Abs(float64(c)-want) > 5*math.Sqrt(want) {
			t.Errorf("client %d sent %d, want about %v", i, c, want)
		}
	}
	for i, c := range bals {
		if want := n / 3.0; math.Abs(float64(c)-want) > 5*math.Sqrt(want) {
			t.Errorf("balancer %d got %d, want about %v", i, c, want)
		}
	}
}

func TestConstantHasEqualGapsWithoutDrift(t *testing.T) {
	s, err := New(Constant, 3000, 1, 1, 1) // 333333.33ns gaps
	if err != nil {
		t.Fatal(err)
	}
	var a Arrival
	for range 3_000_000 {
		a = s.Next()
	}
	if a.At != 1000*time.Second {
		t.Errorf("3M arrivals at 3000/s end at %v, want exactly 1000s", a.At)
	}
}

func TestSameSeedSameStream(t *testing.T) {
	a, _ := New(Poisson, 100, 10, 2, 7)
	b, _ := New(Poisson, 100, 10, 2, 7)
	c, _ := New(Poisson, 100, 10, 2, 8)
	differ := false
	for range 1000 {
		x, y, z := a.Next(), b.Next(), c.Next()
		if x != y {
			t.Fatal("same seed, different arrivals")
		}
		if x != z {
			differ = true
		}
	}
	if !differ {
		t.Fatal("different seeds, same arrivals")
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		process            string
		rate               float64
		clients, balancers int
	}{
		{"bursty", 1, 1, 1}, {Poisson, 0, 1, 1}, {Poisson, math.Inf(1), 1, 1},
		{Poisson, math.NaN(), 1, 1}, {Constant, 1, 0, 1}, {Constant, 1, 1, 0},
	} {
		if _, err := New(tc.process, tc.rate, tc.clients, tc.balancers, 1); err == nil {
			t.Errorf("New(%q, %v, %d, %d) accepted", tc.process, tc.rate, tc.clients, tc.balancers)
		}
	}
}

// NextInto, the simulator's call, sets every field: filling the same
// Arrival over and over, with stale values in it, gives what Next gives,
// for every process and with balancers and classes.
func TestNextIntoSameAsNext(t *testing.T) {
	classes := Shape{Classes: []float64{1, 3}}
	for _, c := range []struct {
		process   string
		shape     Shape
		balancers int
	}{
		{Poisson, Shape{}, 1},
		{Poisson, classes, 3},
		{Constant, Shape{}, 2},
		{MMPP, Shape{States: []State{{2, 100 * time.Millisecond}, {0.5, 300 * time.Millisecond}}}, 1},
	} {
		t.Run(c.process, func(t *testing.T) {
			want, err := NewShaped(c.process, 800, c.shape, 50, c.balancers, 4)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := NewShaped(c.process, 800, c.shape, 50, c.balancers, 4)
			a := Arrival{Balancer: 9, Class: 9, Sized: true, Size: 1, Ref: 1}
			for k := range 2000 {
				got.NextInto(&a)
				if w := want.Next(); a != w {
					t.Fatalf("arrival %d: NextInto %+v, Next %+v", k, a, w)
				}
				a.Sized, a.Size, a.Ref = true, 7, 7 // stale for the next call
			}
		})
	}
}
