package metrics

import (
	"fmt"
	"math"
	"testing"

	"github.com/fulcrum-lb/fulcrum/report"
)

func TestFairness(t *testing.T) {
	tests := []struct {
		x    []float64
		want report.Fairness
	}{
		{nil, report.Fairness{Jain: 1}},
		{[]float64{0, 0, 0}, report.Fairness{Jain: 1}},
		{[]float64{5, 5, 5, 5}, report.Fairness{Jain: 1, MaxOverMean: 1, CoV: 0}},
		{[]float64{7}, report.Fairness{Jain: 1, MaxOverMean: 1, CoV: 0}},
		// All on one of n: Jain 1/n, max/mean n, cov sqrt(n-1).
		{[]float64{1, 0, 0, 0}, report.Fairness{Jain: 0.25, MaxOverMean: 4, CoV: math.Sqrt(3)}},
		// 36/(3*14); mean 2, sigma sqrt(2/3).
		{[]float64{1, 2, 3}, report.Fairness{Jain: 36.0 / 42, MaxOverMean: 1.5, CoV: math.Sqrt(2.0/3) / 2}},
	}
	for _, tt := range tests {
		got := Fairness(tt.x)
		if !approxEq(got.Jain, tt.want.Jain) || !approxEq(got.MaxOverMean, tt.want.MaxOverMean) || !approxEq(got.CoV, tt.want.CoV) {
			t.Errorf("Fairness(%v) = %+v, want %+v", tt.x, got, tt.want)
		}
		// Jain = 1/(1+cov^2) whenever there is any load.
		if got.MaxOverMean > 0 && !approxEq(got.Jain, 1/(1+got.CoV*got.CoV)) {
			t.Errorf("Fairness(%v): Jain %v != 1/(1+cov^2) %v", tt.x, got.Jain, 1/(1+got.CoV*got.CoV))
		}
	}
}

func approxEq(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func ExampleFairness() {
	// Requests per server, each divided by the server's weight.
	f := Fairness([]float64{100, 100, 100, 300})
	fmt.Printf("jain %.3f, max/mean %.2f, cov %.3f\n", f.Jain, f.MaxOverMean, f.CoV)
	// Output: jain 0.750, max/mean 2.00, cov 0.577
}
