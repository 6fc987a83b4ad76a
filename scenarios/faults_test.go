package scenarios

import (
	"math"
	"testing"
)

func TestFaultDescribe(t *testing.T) {
	for _, tc := range []struct {
		f          Fault
		start, end string
	}{
		{Fault{Kind: FaultCrash}, "crash", "recover"},
		{Fault{Kind: FaultSlowdown, Factor: 4}, "slowdown x4", "end slowdown"},
		{Fault{Kind: FaultSlowdown, Factor: 1.5}, "slowdown x1.5", "end slowdown"},
		{Fault{Kind: FaultErrors, Probability: 0.5}, "errors 0.5", "end errors"},
	} {
		if got := tc.f.Describe(false); got != tc.start {
			t.Errorf("%+v start: %q, want %q", tc.f, got, tc.start)
		}
		if got := tc.f.Describe(true); got != tc.end {
			t.Errorf("%+v end: %q, want %q", tc.f, got, tc.end)
		}
	}
}

func TestFaultLevelsCombine(t *testing.T) {
	faults := []Fault{
		{Kind: FaultSlowdown, Factor: 2},
		{Kind: FaultSlowdown, Factor: 3},
		{Kind: FaultErrors, Probability: 0.5},
		{Kind: FaultErrors, Probability: 0.2},
		{Kind: FaultCrash},
	}
	all := func(int) bool { return true }
	slow, errP := FaultLevels(faults, all)
	if slow != 6 || math.Abs(errP-0.6) > 1e-12 {
		t.Errorf("all in force: slow %v errP %v, want 6 and 1-0.5*0.8 = 0.6", slow, errP)
	}
	slow, errP = FaultLevels(faults, func(i int) bool { return i == 4 })
	if slow != 1 || errP != 0 {
		t.Errorf("only a crash: slow %v errP %v, want 1 and 0", slow, errP)
	}
}
