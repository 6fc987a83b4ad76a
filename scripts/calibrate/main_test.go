package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
)

// TestVerdicts: each bar fails the table on its own, and a row within every
// bar passes.
func TestVerdicts(t *testing.T) {
	within := report.RigCorrected{Rel: report.ComparedLatency{Mean: 0.05, P50: -0.09, P99: 0.19}, KS: 0.04}
	for _, tc := range []struct {
		name string
		k    *report.RigCorrected
		want string // "" = ok
	}{
		{"within", &within, ""},
		{"mean", with(within, func(k *report.RigCorrected) { k.Rel.Mean = -0.11 }), "OUT: mean"},
		{"p50", with(within, func(k *report.RigCorrected) { k.Rel.P50 = 0.101 }), "OUT: p50"},
		{"p99", with(within, func(k *report.RigCorrected) { k.Rel.P99 = -0.21 }), "OUT: p99"},
		{"ks", with(within, func(k *report.RigCorrected) { k.KS = 0.05 }), "OUT: KS"},
		{"no rig", nil, "no rig measured"},
	} {
		var b bytes.Buffer
		failed := writeTable(&b, []row{{scenario: "s", c: report.Comparison{Label: "a", RigCorrected: tc.k}}})
		if failed != (tc.want != "") {
			t.Errorf("%s: failed = %v\n%s", tc.name, failed, b.String())
		}
		if tc.want != "" && !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s: table lacks %q:\n%s", tc.name, tc.want, b.String())
		}
	}
}

func with(k report.RigCorrected, f func(*report.RigCorrected)) *report.RigCorrected {
	f(&k)
	return &k
}

// TestCompareEvents: down and up times are paired on the crashed server,
// within one interval; failures within 5%; a different number of
// ejections fails.
func TestCompareEvents(t *testing.T) {
	crash := report.FaultEvent(8250, "web-2", "crash", false, 0)
	recover := report.FaultEvent(14250, "web-2", "crash", true, 0)
	down := func(at float64, server string) report.Event { return report.HealthEvent(at, server, 0, false) }
	up := func(at float64, server string) report.Event { return report.HealthEvent(at, server, 0, true) }
	summary := func(failed int64, evs ...report.Event) *report.Summary {
		return &report.Summary{Algorithms: []report.Algorithm{{Label: "rr", Errors: report.Errors{Failed: failed}, Events: evs}}}
	}
	sim := summary(100, crash, down(9500, "web-2"), down(9600, "web-1"), recover, up(15000, "web-2"), up(15100, "web-1"))
	for _, tc := range []struct {
		name string
		real *report.Summary
		ok   bool
	}{
		{"same", summary(104, crash, down(9502, "web-2"), recover, up(15001, "web-2")), true},
		{"late by more than an interval", summary(100, crash, down(10001, "web-2"), recover, up(15001, "web-2")), false},
		{"never back", summary(100, crash, down(9500, "web-2"), recover), false},
		{"failures 6% off", summary(106, crash, down(9500, "web-2"), recover, up(15000, "web-2")), false},
		{"flapped", summary(100, crash, down(9500, "web-2"), up(9700, "web-2"), down(9900, "web-2"), recover, up(15000, "web-2")), false},
	} {
		rows := compareEvents("crash", 500*time.Millisecond, sim, tc.real)
		if len(rows) != 1 || rows[0].server != "web-2" {
			t.Fatalf("%s: rows %+v", tc.name, rows)
		}
		var b bytes.Buffer
		if failed := writeEvents(&b, rows); failed == tc.ok {
			t.Errorf("%s: failed = %v\n%s", tc.name, failed, b.String())
		}
	}
	if d, u, n := downUp(nil, "web-2"); !math.IsNaN(d) || !math.IsNaN(u) || n != 0 {
		t.Errorf("no events: %v %v %d", d, u, n)
	}
}
