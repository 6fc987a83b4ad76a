package main

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"
)

// The floor must simulate the model it is timed on, or its speed says
// nothing: its mean response time agrees with queueing theory.
func TestFloorAgreesWithTheory(t *testing.T) {
	for _, tc := range []struct {
		name     string
		c        config
		want, by float64 // mean response time and relative tolerance
	}{
		// d = 1 is random routing of a Poisson stream: each server is an
		// M/M/1 queue, T = 1/(1-rho).
		{"random-0.5", config{servers: 20, d: 1, load: 0.5, requests: 400_000, seed: 1}, 2, 0.03},
		{"random-0.8", config{servers: 20, d: 1, load: 0.8, requests: 1_000_000, seed: 2}, 5, 0.06},
		// d = 2 at 100 servers is near Mitzenmacher's limit
		// sum_i rho^((2^i - 2)), within the finite-n correction.
		{"p2c-0.9", config{servers: 100, d: 2, load: 0.9, requests: 1_000_000, seed: 3}, pdLimit(0.9, 2), 0.04},
		{"p3c-0.9", config{servers: 100, d: 3, load: 0.9, requests: 1_000_000, seed: 4}, pdLimit(0.9, 3), 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := simulate(tc.c)
			if r.done != tc.c.requests {
				t.Fatalf("done %d of %d requests", r.done, tc.c.requests)
			}
			var n int64
			for _, c := range r.hist {
				n += c
			}
			if n != int64(tc.c.requests) {
				t.Fatalf("histogram holds %d latencies, want %d", n, tc.c.requests)
			}
			if math.Abs(r.meanT-tc.want)/tc.want > tc.by {
				t.Fatalf("mean response %.4f, theory %.4f (tolerance %.0f%%)", r.meanT, tc.want, 100*tc.by)
			}
		})
	}
}

// pdLimit is the mean response time of power of d choices as the number of
// servers grows (Mitzenmacher 2001; Vvedenskaya et al. 1996), in mean
// service times.
func pdLimit(rho float64, d int) float64 {
	t := 0.0
	for i := 1; i < 40; i++ {
		e := (math.Pow(float64(d), float64(i)) - float64(d)) / float64(d-1)
		if e > 1e4 {
			break
		}
		t += math.Pow(rho, e)
	}
	return t
}

func TestSameSeedSameRun(t *testing.T) {
	c := config{servers: 10, d: 2, load: 0.7, requests: 20_000, seed: 9}
	if a, b := simulate(c), simulate(c); a != b {
		t.Fatal("two runs with one seed differ")
	}
	c.seed = 10
	if a, b := simulate(config{servers: 10, d: 2, load: 0.7, requests: 20_000, seed: 9}), simulate(c); a == b {
		t.Fatal("two seeds gave the same run")
	}
}

func TestRunOutputAndErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-servers", "5", "-requests", "1000"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// refsim's fields, so the two lines compare field by field
	re := regexp.MustCompile(`^requests=1000 servers=5 d=2 load=0\.90 mean_T=[0-9.]+ \(units of mean service\) elapsed=\S+ rate=[0-9]+ req/s\n$`)
	if !re.MatchString(out.String()) {
		t.Fatalf("output %q", out.String())
	}
	for _, bad := range [][]string{
		{"-servers", "0"},
		{"-d", "0"},
		{"-d", "101"},
		{"-load", "1"},
		{"-load", "0"},
		{"-requests", "5"},
		{"-bogus"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(bad, &out, &errb); code != 2 || out.Len() != 0 || !strings.Contains(errb.String(), "-") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", bad, code, out.String(), errb.String())
		}
	}
}
