package theory

import (
	"math"
	"testing"
)

func TestMG1PS(t *testing.T) {
	for _, tc := range []struct {
		lambda, meanS float64
		want          Result
	}{
		{0, 0.01, Result{MeanResponse: 0.01, MeanWait: 0, PWait: 0, Utilization: 0}},
		{50, 0.01, Result{MeanResponse: 0.02, MeanWait: 0.01, PWait: 0.5, Utilization: 0.5}},
		{80, 0.01, Result{MeanResponse: 0.05, MeanWait: 0.04, PWait: 0.8, Utilization: 0.8}},
	} {
		got := MG1PS(tc.lambda, tc.meanS)
		if math.Abs(got.MeanResponse-tc.want.MeanResponse) > 1e-12 || math.Abs(got.MeanWait-tc.want.MeanWait) > 1e-12 ||
			math.Abs(got.PWait-tc.want.PWait) > 1e-12 || math.Abs(got.Utilization-tc.want.Utilization) > 1e-12 {
			t.Errorf("MG1PS(%v, %v) = %+v, want %+v", tc.lambda, tc.meanS, got, tc.want)
		}
	}
	// For exponential service PS and FIFO have the same mean (both are M/M/1
	// in the number of jobs).
	if ps, fifo := MG1PS(700, 1e-3), MM1(700, 1000); math.Abs(ps.MeanResponse-fifo.MeanResponse) > 1e-12 {
		t.Errorf("M/M/1-PS %v, M/M/1 %v: want equal", ps.MeanResponse, fifo.MeanResponse)
	}
	if r := MG1PS(100, 0.01); r.Stable() || !math.IsInf(r.MeanResponse, 1) {
		t.Errorf("rho 1: %+v, want unstable", r)
	}
	// E[T] is the size-weighted average of x / (1 - rho).
	if got := MG1PSSize(0.02, 0.5); got != 0.04 {
		t.Errorf("MG1PSSize(0.02, 0.5) = %v, want 0.04", got)
	}
	if got := MG1PSSize(1, 1); !math.IsInf(got, 1) {
		t.Errorf("MG1PSSize at rho 1 = %v, want +Inf", got)
	}
}

func TestMG1PSPanics(t *testing.T) {
	for _, f := range []func(){
		func() { MG1PS(1, 0) },
		func() { MG1PS(-1, 1) },
		func() { MG1PSSize(-1, 0.5) },
		func() { MG1PSSize(1, math.NaN()) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}
