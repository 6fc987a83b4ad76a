package model_test

import (
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
)

func TestProbeEWMA(t *testing.T) {
	if model.ProbeWeight != 0.2 {
		t.Fatalf("ProbeWeight = %v, want 0.2 (prequal's)", model.ProbeWeight)
	}
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		want    []time.Duration // Value after each
	}{
		{"first sample whole", []time.Duration{7 * ms}, []time.Duration{7 * ms}},
		{"first sample zero", []time.Duration{0, 10}, []time.Duration{0, 2}},
		{"weights", []time.Duration{10 * ms, 20 * ms, 20 * ms, 0},
			// 0.8x10 + 0.2x20 = 12; 0.8x12 + 0.2x20 = 13.6; 0.8x13.6 = 10.88
			[]time.Duration{10 * ms, 12 * ms, 13600 * time.Microsecond, 10880 * time.Microsecond}},
		{"truncation to whole ns", []time.Duration{10, 3, 100, 0, 0, 1},
			// 8.6 -> 8; 6.4+20 = 26.4 -> 26; 20.8 -> 20; 16; 12.8+0.2 = 13
			[]time.Duration{10, 8, 26, 20, 16, 13}},
		{"steady stays put", []time.Duration{999999999, 999999999, 999999999, 999999999},
			[]time.Duration{999999999, 999999999, 999999999, 999999999}},
		{"one ns decays to zero", []time.Duration{1, 0, 1, 1, 1, 1},
			// 0.8 -> 0; then 0.2 -> 0 for ever with samples of 1
			[]time.Duration{1, 0, 0, 0, 0, 0}},
		{"down to a new level", []time.Duration{100, 0, 0, 0, 0, 0, 0},
			[]time.Duration{100, 80, 64, 51, 40, 32, 25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e model.ProbeEWMA
			if e.Value() != 0 {
				t.Fatalf("zero value's Value = %v", e.Value())
			}
			for i, d := range tc.samples {
				e.Add(d)
				if got := e.Value(); got != tc.want[i] {
					t.Errorf("after sample %d (%v): Value = %d ns, want %d ns", i, d, got, tc.want[i])
				}
			}
		})
	}
}
