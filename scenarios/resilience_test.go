package scenarios

import (
	"testing"
	"time"
)

// resilienceErrorCases are the misuses of hedge, cancel and retry_budget
// and the exact messages Parse gives for them.
var resilienceErrorCases = []struct {
	name, in, want string
}{
	{"hedge empty", head + "hedge:\n",
		`x.yaml:5: hedge: empty: give a delay or a percentile, e.g. hedge: {after: 20ms, max: 1} or hedge: {percentile: 95}; remove it for no hedging`},
	{"hedge neither", head + "hedge: {max: 1}\n",
		`x.yaml:5: hedge: needs after (a fixed delay) or percentile (of recent latencies), e.g. hedge: {after: 20ms, max: 1} or hedge: {percentile: 95}`},
	{"hedge both", head + "hedge: {after: 20ms, percentile: 95}\n",
		`x.yaml:5: hedge: after and percentile are both set; give one: a fixed delay or a percentile of recent latencies`},
	{"hedge after zero", head + "hedge: {after: 0s}\n", `x.yaml:5: hedge.after: must be > 0, got 0s`},
	{"hedge after negative", head + "hedge: {after: -1ms}\n", `x.yaml:5: hedge.after: must be > 0, got -1ms`},
	{"hedge percentile", head + "hedge:\n  percentile: 100\n  max: -1\n",
		"x.yaml:6: hedge.percentile: must be between 0 and 100 (exclusive), got 100\nx.yaml:7: hedge.max: must be between 0 (no hedging) and 16, got -1"},
	{"hedge after not a duration", head + "hedge: {after: 20}\n", `x.yaml:5: hedge.after: "20" is not a duration (e.g. 10ms)`},
	{"hedge unknown key", head + "hedge: {after: 20ms, delay: 1s}\n", `x.yaml:5: hedge.delay: unknown key; allowed here: after, percentile, max`},
	{"cancel not a bool", head + "cancel: yes please\n", `x.yaml:5: cancel: expected true or false, got "yes please"`},
	{"budget empty", head + "retry_budget:\n",
		`x.yaml:5: retry_budget: empty: write retry_budget: {} for the defaults (ratio 0.2, min_per_second 10), or remove it for no budget`},
	{"budget negative", head + "retry_budget: {ratio: -0.1, min_per_second: -1}\n",
		"x.yaml:5: retry_budget.ratio: must be between 0 and 1000 (retries and hedges per request), got -0.1\nx.yaml:5: retry_budget.min_per_second: must be >= 0 (and finite), got -1"},
	{"budget unknown key", head + "retry_budget: {percent: 20}\n", `x.yaml:5: retry_budget.percent: unknown key; allowed here: ratio, min_per_second`},
}

func init() { errorCases = append(errorCases, resilienceErrorCases...) }

func TestResilienceDefaults(t *testing.T) {
	cases := []struct {
		name, in string
		hedge    *Hedge
		cancel   bool
		budget   *RetryBudget
	}{
		{"none", head, nil, false, nil},
		{"after", head + "hedge: {after: 20ms}\n", &Hedge{After: 20 * time.Millisecond, Max: 1}, false, nil},
		{"percentile", head + "hedge: {percentile: 95, max: 2}\ncancel: true\n", &Hedge{Percentile: 95, Max: 2}, true, nil},
		{"budget defaults", head + "retry_budget: {}\n", nil, false, &RetryBudget{Ratio: 0.2, MinPerSecond: 10}},
		{"budget", head + "retry_budget: {ratio: 0.5, min_per_second: 0}\n", nil, false, &RetryBudget{Ratio: 0.5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if (s.Hedge == nil) != (tc.hedge == nil) || s.Hedge != nil && *s.Hedge != *tc.hedge {
				t.Errorf("hedge = %+v, want %+v", s.Hedge, tc.hedge)
			}
			if s.Cancel != tc.cancel {
				t.Errorf("cancel = %v, want %v", s.Cancel, tc.cancel)
			}
			if (s.RetryBudget == nil) != (tc.budget == nil) || s.RetryBudget != nil && *s.RetryBudget != *tc.budget {
				t.Errorf("retry_budget = %+v, want %+v", s.RetryBudget, tc.budget)
			}
			// The resolved form loads back to the same settings.
			back, err := s.With("seed", "1")
			if err != nil {
				t.Fatal(err)
			}
			if (back.Hedge == nil) != (s.Hedge == nil) || back.Hedge != nil && *back.Hedge != *s.Hedge ||
				back.Cancel != s.Cancel || (back.RetryBudget == nil) != (s.RetryBudget == nil) {
				t.Errorf("resolved and reloaded: %+v %v %+v", back.Hedge, back.Cancel, back.RetryBudget)
			}
		})
	}
}

// A shipped way to compare with and without hedging: hedge.max=0 turns it off.
func TestHedgeOverride(t *testing.T) {
	s, err := Parse("x.yaml", []byte(head+"hedge: {after: 20ms}\n"))
	if err != nil {
		t.Fatal(err)
	}
	off, err := s.With("hedge.max", "0")
	if err != nil {
		t.Fatal(err)
	}
	if off.Hedge.Max != 0 {
		t.Errorf("max = %d, want 0", off.Hedge.Max)
	}
	later, err := s.With("hedge.after", "50ms")
	if err != nil {
		t.Fatal(err)
	}
	if later.Hedge.After != 50*time.Millisecond {
		t.Errorf("after = %v, want 50ms", later.Hedge.After)
	}
}
