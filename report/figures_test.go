package report

import (
	"slices"
	"strings"
	"testing"
)

// Every name of every figure leads back to that figure alone, whichever
// file's vocabulary it comes from.
func TestFigureNamesUnique(t *testing.T) {
	owner := map[string]string{}
	for _, f := range Figures {
		for _, n := range f.names() {
			n = strings.ToLower(n)
			if o, ok := owner[n]; ok && o != f.Name {
				t.Errorf("name %q belongs to both %s and %s", n, o, f.Name)
			}
			owner[n] = f.Name
		}
		if f.Value == nil || f.Key == "" || f.Title == "" || f.Unit == "" {
			t.Errorf("figure %s is incomplete: %+v", f.Name, f)
		}
	}
}

func TestFigureByName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"p99", "p99"}, {"p99_ms", "p99"}, {"P99", "p99"}, {"p99-ms", "p99"},
		{"p999", "p999"}, {"p99.9", "p999"}, {"p999_ms", "p999"},
		{"mean", "mean"}, {"mean_ms", "mean"}, {"max", "max"},
		{"errors", "errors"}, {"error_rate", "errors"}, {"error-rate", "errors"}, {"error rate", "errors"},
		{"throughput", "throughput"}, {"throughput_rps", "throughput"}, {"rps", "throughput"}, {"req/s", "throughput"},
		{"jain", "jain"}, {"max_over_mean", "max_over_mean"}, {"max/mean", "max_over_mean"}, {"cov", "cov"},
		{"wait_probability", "wait_probability"},
		{"p98", ""}, {"", ""}, {"all", ""},
	} {
		f, ok := FigureByName(tc.name)
		if ok != (tc.want != "") || f.Name != tc.want {
			t.Errorf("FigureByName(%q) = %q, %v; want %q", tc.name, f.Name, ok, tc.want)
		}
	}
}

// The lists are file formats: their keys and order are pinned here, so a
// change to the registry cannot reorder a file's columns unnoticed.
func TestFigureLists(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"SweepFigures", Keys(SweepFigures), []string{"mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms",
			"throughput_rps", "jain", "error_rate", "wait_probability"}},
		{"SeedFigures", Keys(SeedFigures), []string{"mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms",
			"throughput_rps", "jain", "max_over_mean", "cov", "error_rate", "wait_probability"}},
		{"benchFigures", units(benchFigures), []string{"mean-ms", "p50-ms", "p90-ms", "p99-ms", "p999-ms",
			"req/s", "error-rate", "jain"}},
		{"tableHeader", tableHeader(), []string{"label", "requests", "completed", "errors", "req/s",
			"mean", "p50", "p90", "p99", "p99.9", "jain"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func units(fs []FigureDef) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.BenchUnit
	}
	return out
}

// Every figure's two getters read the same field: a repetition holding
// an algorithm's figures gives the same values.
func TestFigureGetters(t *testing.T) {
	a := &Algorithm{
		Requests: 200, Completed: 190, Errors: Errors{Rejected: 4, Failed: 5, Timeout: 1},
		ThroughputRPS: 1990, WaitProbability: 0.3,
		Latency:  Latency{Mean: 12.1, P50: 9.8, P90: 24, P99: 61.2, P999: 90.3, Max: 130},
		Fairness: Fairness{Jain: 0.998, MaxOverMean: 1.04, CoV: 0.03},
	}
	r := &RepetitionFigures{MeanMS: 12.1, P50MS: 9.8, P90MS: 24, P99MS: 61.2, P999MS: 90.3,
		ThroughputRPS: 1990, ErrorRate: 0.05, Jain: 0.998}
	want := map[string]float64{
		"mean": 12.1, "p50": 9.8, "p90": 24, "p99": 61.2, "p999": 90.3, "max": 130, "throughput": 1990,
		"jain": 0.998, "max_over_mean": 1.04, "cov": 0.03, "errors": 0.05, "wait_probability": 0.3,
	}
	for _, f := range Figures {
		if got := f.Value(a); got != want[f.Name] {
			t.Errorf("%s of the run = %v, want %v", f.Name, got, want[f.Name])
		}
		if f.Repetition != nil {
			if got := f.Repetition(r); got != want[f.Name] {
				t.Errorf("%s of the repetition = %v, want %v", f.Name, got, want[f.Name])
			}
		}
	}
}

func TestErrorRate(t *testing.T) {
	for _, tc := range []struct {
		a    Algorithm
		want float64
	}{
		{Algorithm{}, 0},
		{Algorithm{Requests: 0, Errors: Errors{Failed: 3}}, 0}, // no requests: no rate, not NaN
		{Algorithm{Requests: 100}, 0},
		{Algorithm{Requests: 100, Errors: Errors{Rejected: 1, Failed: 2, Timeout: 3}}, 0.06},
		{Algorithm{Requests: 4, Errors: Errors{Timeout: 4}}, 1},
	} {
		if got := ErrorRate(&tc.a); got != tc.want {
			t.Errorf("ErrorRate(%+v) = %v, want %v", tc.a.Errors, got, tc.want)
		}
	}
}

func TestSig(t *testing.T) {
	for _, tc := range []struct {
		x      float64
		digits int
		want   string
	}{
		{0, 3, "0"}, {-0.0, 3, "0"}, {12.1, 3, "12.1"}, {9.8, 3, "9.80"}, {0.012345, 3, "0.0123"},
		{9.996, 3, "10.0"}, {99.96, 3, "100"}, {1234.5, 3, "1230"}, {-2.5, 3, "-2.50"},
		{0.05, 2, "0.050"}, {0.2449, 2, "0.24"}, {0.996, 2, "1.0"}, {151, 2, "150"},
	} {
		if got := Sig(tc.x, tc.digits); got != tc.want {
			t.Errorf("Sig(%v, %d) = %q, want %q", tc.x, tc.digits, got, tc.want)
		}
	}
}
