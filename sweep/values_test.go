package sweep

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestValues(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want []float64
	}{
		{"0.5:0.95:0.05", []float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95}},
		{"0.1:0.3:0.1", []float64{0.1, 0.2, 0.3}}, // 0.1+2*0.1 = 0.30000000000000004 without rounding
		{"0.5:0.96:0.05", []float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95}},
		{"1:4:1", []float64{1, 2, 3, 4}},
		{"2:2:1", []float64{2}},
		{"1:10:4", []float64{1, 5, 9}},
		{"5e-3:2e-2:5e-3", []float64{0.005, 0.01, 0.015, 0.02}},
		{"-1:1:0.5", []float64{-1, -0.5, 0, 0.5, 1}},
		{" 0.5 : 0.7 : 0.1 ", []float64{0.5, 0.6, 0.7}},
		{"0.5,0.6,0.8", []float64{0.5, 0.6, 0.8}},
		{"0.9, 0.5", []float64{0.9, 0.5}},
		{"3", []float64{3}},
	} {
		got, err := Values(tc.spec)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Values(%q) = %v, %v; want %v", tc.spec, got, err, tc.want)
		}
	}
	// Every value of a long range is the float its decimal text parses to.
	got, err := Values("0:1:0.01")
	if err != nil || len(got) != 101 {
		t.Fatalf("Values(0:1:0.01) = %d values, %v", len(got), err)
	}
	for i, v := range got {
		if want, _ := strconv.ParseFloat(strconv.Itoa(i/100)+"."+pad2(i%100), 64); v != want {
			t.Errorf("Values(0:1:0.01)[%d] = %v, want %v", i, v, want)
		}
	}
}

func pad2(i int) string {
	s := strconv.Itoa(i)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

func TestValuesErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", "no values"},
		{"  ", "no values"},
		{"0.5:0.9", "START:END:STEP"},
		{"0.5:0.9:0.1:1", "START:END:STEP"},
		{"0.9:0.5:0.1", "END is below START"},
		{"0.5:0.9:0", "STEP must be above 0"},
		{"0.5:0.9:-0.1", "STEP must be above 0"},
		{"0.5:x:0.1", `"x" is not a number`},
		{"0.5,,0.6", "empty item"},
		{"0.5,0.5", "appears twice"},
		{"NaN", "is not a number"},
		{"inf", "is not a number"},
		{"0x10", "is not a number"},
		{"10ms", "is not a number"},
		{"0:1:0.00001", "more than"},
	} {
		if got, err := Values(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Values(%q) = %v, %v; want an error containing %q", tc.spec, got, err, tc.want)
		}
	}
}

func TestDurationValues(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want []float64
	}{
		{"5ms:20ms:5ms", []float64{0.005, 0.01, 0.015, 0.02}},
		{"0.005:0.02:0.005", []float64{0.005, 0.01, 0.015, 0.02}},
		{"100us,1ms,1.5s", []float64{0.0001, 0.001, 1.5}},
		{"0,1ms", []float64{0, 0.001}},
	} {
		got, err := DurationValues(tc.spec)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("DurationValues(%q) = %v, %v; want %v", tc.spec, got, err, tc.want)
		}
	}
	for _, spec := range []string{"5ms:1ms:1ms", "5xs", "1ms:2ms:0s", ""} {
		if got, err := DurationValues(spec); err == nil {
			t.Errorf("DurationValues(%q) = %v, want an error", spec, got)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		s    string
		i, n int
		ok   bool
	}{
		{"0/1", 0, 1, true}, {"0/2", 0, 2, true}, {"1/2", 1, 2, true}, {"9/10", 9, 10, true},
		{"3/2", 0, 0, false}, {"2/2", 0, 0, false}, {"-1/2", 0, 0, false}, {"0/0", 0, 0, false},
		{"1", 0, 0, false}, {"a/b", 0, 0, false}, {"", 0, 0, false}, {"1/2/3", 0, 0, false},
	} {
		i, n, err := ParseShard(tc.s)
		if (err == nil) != tc.ok || i != tc.i || n != tc.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v", tc.s, i, n, err)
		}
		if tc.ok && FormatShard(i, n) != tc.s {
			t.Errorf("FormatShard(%d, %d) = %q", i, n, FormatShard(i, n))
		}
	}
}
