package compare

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseThresholds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Thresholds
	}{
		{"p99=5%,mean=3%,errors=0", Thresholds{"p99": {0.05, true}, "mean": {0.03, true}, "errors": {0, false}}},
		{" P99.9 = 20% , rps=10, error_rate=0.001 ", Thresholds{"p999": {0.2, true}, "throughput": {10, false}, "errors": {0.001, false}}},
		{"jain=0.02,req/s=1.5%", Thresholds{"jain": {0.02, false}, "throughput": {0.015, true}}},
	} {
		got, err := ParseThresholds(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseThresholds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	// all= covers every figure not named, wherever it stands.
	got, err := ParseThresholds("p99=10%,all=0")
	if err != nil || len(got) != len(figures) || got["p99"] != (Threshold{0.1, true}) || got["jain"] != (Threshold{}) {
		t.Errorf("ParseThresholds(p99=10%%,all=0) = %v, %v", got, err)
	}
	for _, def := range []string{SimThresholds, RealThresholds} {
		th := mustThresholds(def)
		if th.String() != def {
			t.Errorf("%q does not round-trip: %q", def, th.String())
		}
	}
}

func TestParseThresholdsErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "empty threshold list",
		"p99":              `"p99": want FIGURE=LIMIT`,
		"=5%":              `"=5%": want FIGURE=LIMIT`,
		"p98=5%":           `no figure "p98"`,
		"p99=5x":           `"5x" is not a number`,
		"p99=%":            `"%" is not a number`,
		"p99=-1":           "want 0 or more",
		"p99=NaN":          "is not a number",
		"p99=1%,p99=2%":    "p99 is given twice",
		"p99.9=1%,p999=2%": "p999 is given twice",
		"all=1,all=2":      "all is given twice",
		"p99=1%,":          `"": want FIGURE=LIMIT`,
	} {
		_, err := ParseThresholds(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseThresholds(%q) = %v; want an error containing %q", in, err, want)
		}
	}
}

func TestThresholdExceeded(t *testing.T) {
	for _, tc := range []struct {
		th        Threshold
		diff, rel float64
		want      bool
	}{
		{Threshold{0.05, true}, 5, 0.05, false}, // exactly at the threshold
		{Threshold{0.05, true}, 5.1, 0.051, true},
		{Threshold{0.05, true}, -6, -0.06, true}, // the caller knows which way is worse
		{Threshold{0, false}, 1e-12, 1e-14, true},
		{Threshold{0, false}, 0, 0, false},
		{Threshold{0.5, false}, 0.5, 1, false},
		{Threshold{0.5, true}, 1, posInf, true}, // from 0 to anything
	} {
		if got := tc.th.exceeded(tc.diff, tc.rel); got != tc.want {
			t.Errorf("%v.exceeded(%v, %v) = %v, want %v", tc.th, tc.diff, tc.rel, got, tc.want)
		}
	}
}

// FuzzParseThresholds checks that the parser never panics and that what it
// accepts prints back to a list that parses to the same thresholds.
func FuzzParseThresholds(f *testing.F) {
	for _, s := range []string{SimThresholds, RealThresholds, "p99=5%,mean=3%,errors=0", "all=0", "p99.9=1e3%", ",", "=", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThresholds(s)
		if err != nil {
			return
		}
		back, err := ParseThresholds(th.String())
		if err != nil {
			t.Fatalf("%q parsed to %v, whose String %q does not parse: %v", s, th, th.String(), err)
		}
		for name, a := range th {
			b := back[name]
			if a.Relative != b.Relative || !near(a.Value, b.Value) {
				t.Errorf("%q: %s = %v, after a round trip %v", s, name, a, b)
			}
		}
	})
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-5*max(a, b, 1e-300)
}
