package scenarios

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const overrideBase = `
name: ov
seed: 18446744073709551615
requests: 1000
arrivals: {load: 0.5}
servers:
  - {name: web, count: 2, service: {dist: exponential, mean: 10ms}}
  - {name: db, count: 1, concurrency: 2, service: {dist: lognormal, mean: 5ms, cv: 1.5}}
network: {dist: constant, value: 1ms}
faults: [{at: 1s, target: web-0, kind: slowdown, factor: 2, duration: 1s}]
algorithms: [random, {name: p2c, choices: 2}, {name: p2c, label: p2c-float, choices: 2.0}]
`

func overrideScenario(t *testing.T) *Scenario {
	t.Helper()
	s, err := Parse("ov.yaml", []byte(overrideBase))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWithSameValue(t *testing.T) {
	s := overrideScenario(t)
	for path, value := range map[string]string{
		"arrivals.load": "0.5", "servers[0].count": "2", "servers[1].service.mean": "5ms",
		"servers[1].service.cv": "1.5", "network.value": "1ms", "faults[0].factor": "2",
		"seed": "18446744073709551615", "algorithms[1].choices": "2",
	} {
		got, err := s.With(path, value)
		if err != nil {
			t.Errorf("With(%s, %s): %v", path, value, err)
			continue
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("With(%s, %s) changed the scenario:\n got %+v\nwant %+v", path, value, got, s)
		}
	}
}

func TestWith(t *testing.T) {
	s := overrideScenario(t)
	check := func(path, value string, want func(c *Scenario)) {
		t.Helper()
		checkWith(t, s, path, value, want)
	}
	check("arrivals.load", "0.9", func(c *Scenario) { c.Arrivals.Load = 0.9 })
	check("arrivals.load", "1", func(c *Scenario) { c.Arrivals.Load = 1 })
	check("arrivals.rate", "123.5", func(c *Scenario) { c.Arrivals.Load, c.Arrivals.Rate = 0, 123.5 })
	check("servers[0].count", "7", func(c *Scenario) { c.Servers[0].Count = 7 })
	check("servers[1].service.mean", "20ms", func(c *Scenario) { c.Servers[1].Service.Mean = 20 * time.Millisecond })
	check("network.value", "0", func(c *Scenario) { c.Network.Value = 0 })
	check("timeout", "1.5s", func(c *Scenario) { c.Timeout = 1500 * time.Millisecond })
	check("servers[0].queue_limit", "10", func(c *Scenario) { c.Servers[0].QueueLimit = 10 })
	check("algorithms[1].choices", "3", func(c *Scenario) { c.Algorithms[1].Params["choices"] = 3 })
	// A parameter written as a float stays a float64 even when the value is whole.
	check("algorithms[2].choices", "3", func(c *Scenario) { c.Algorithms[2].Params["choices"] = 3.0 })

	// s itself is untouched.
	if s.Arrivals.Load != 0.5 || s.Servers[0].Count != 2 {
		t.Errorf("With changed its receiver: %+v", s)
	}
}

func TestWithNumber(t *testing.T) {
	s := overrideScenario(t)
	got, err := s.WithNumber("servers[1].service.mean", 0.02)
	if err != nil || got.Servers[1].Service.Mean != 20*time.Millisecond {
		t.Fatalf("WithNumber(mean, 0.02) = %v, %v; want 20ms", got.Servers[1].Service.Mean, err)
	}
	got, err = s.WithNumber("arrivals.load", 0.55)
	if err != nil || got.Arrivals.Load != 0.55 {
		t.Fatalf("WithNumber(load, 0.55) = %v, %v", got.Arrivals.Load, err)
	}
	if _, err := s.WithNumber("servers[0].count", 2.5); err == nil || !strings.Contains(err.Error(), "servers[0].count = 2.5") {
		t.Errorf("WithNumber(count, 2.5): %v; want an error naming the path and value", err)
	}
	x, dur, err := s.Number("servers[1].service.mean")
	if err != nil || !dur || x != 0.005 {
		t.Errorf("Number(mean) = %v, %v, %v; want 0.005 s", x, dur, err)
	}
	x, dur, err = s.Number("arrivals.load")
	if err != nil || dur || x != 0.5 {
		t.Errorf("Number(load) = %v, %v, %v", x, dur, err)
	}
	x, _, err = s.Number("arrivals.rate") // left out, but allowed
	if err != nil || x != 0 {
		t.Errorf("Number(rate) = %v, %v", x, err)
	}
}

func TestWithErrors(t *testing.T) {
	s := overrideScenario(t)
	for _, tc := range []struct{ path, value, want string }{
		{"servers[3].count", "1", "servers[3].count: the scenario has 2 server groups"},
		{"algorithms[9].choices", "1", "the scenario has"},
		{"faults[1].factor", "1", "the scenario has 1 faults"},
		{"arrivals.lod", "1", "arrivals.lod: no such field; arrivals has process, load, rate"},
		{"bogus", "1", "bogus: no such field; a scenario has name"},
		{"servers.count", "1", "servers.count: servers is a list; give an index, e.g. servers[0]"},
		{"arrivals[0].load", "1", "arrivals is not a list"},
		{"servers[0]", "1", "not a number but an item of servers"},
		{"servers[0].service", "1", "not a number but a mapping"},
		{"servers[0].name", "1", "servers[0].name: not a number but text"},
		{"arrivals.process", "1", "not a number but text"},
		{"health_check.active.interval", "1s", "the scenario has no health_check.active"},
		{"servers[0].", "1", "is not a field path"},
		{"servers[-1].count", "1", "is not a field path"},
		{"", "1", "is not a field path"},
		{"arrivals.load", "0", "arrivals.load = 0:"},
		{"arrivals.load", "fast", `arrivals.load: "fast" is not a number`},
		{"arrivals.load", "NaN", "is not a number"},
		{"servers[0].service.mean", "10", `"10" is not a duration`},
		{"servers[0].count", "0", "servers[0].count = 0:"},
		{"servers[0].count", "1.5", "servers[0].count = 1.5:"},
	} {
		_, err := s.With(tc.path, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("With(%q, %q) = %v; want an error containing %q", tc.path, tc.value, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "ov.yaml:") {
			t.Errorf("With(%q, %q): %v: points at a line of a generated file", tc.path, tc.value, err)
		}
	}
}

func TestParsePath(t *testing.T) {
	steps, err := parsePath("servers[1].service.of[0].mean")
	want := []pathStep{{"servers", -1}, {"", 1}, {"service", -1}, {"of", -1}, {"", 0}, {"mean", -1}}
	if err != nil || !reflect.DeepEqual(steps, want) {
		t.Errorf("parsePath = %v, %v; want %v", steps, err, want)
	}
}

func TestWithAlgorithms(t *testing.T) {
	s := overrideScenario(t)
	for _, tc := range []struct {
		list   string
		labels []string
		err    string
	}{
		{"p2c", []string{"p2c"}, ""},
		{"[round-robin, {name: p2c, choices: 3, label: p3c}]", []string{"round-robin", "p3c"}, ""},
		{"[]", nil, "the list is empty"},
		{"[nope]", nil, `unknown algorithm "nope"`},
		{"[{name: p2c, choices: 0}]", nil, "choices"},
		{"{p2c", nil, "not a YAML list"},
	} {
		got, err := s.WithAlgorithms(tc.list)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "algorithms = ") {
				t.Errorf("%q: error %v, want one about algorithms containing %q", tc.list, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.list, err)
			continue
		}
		var labels []string
		for _, a := range got.Algorithms {
			labels = append(labels, a.Label)
		}
		if !slices.Equal(labels, tc.labels) || got.Name != s.Name || got.Seed != s.Seed || len(got.Servers) != len(s.Servers) {
			t.Errorf("%q: labels %v (want %v); the rest of the scenario must stay", tc.list, labels, tc.labels)
		}
	}
	if len(s.Algorithms) != 3 {
		t.Error("the original scenario changed")
	}
}

// checkWith checks that s.With(path, value) is s changed as want changes it.
func checkWith(t *testing.T, s *Scenario, path, value string, want func(c *Scenario)) {
	t.Helper()
	got, err := s.With(path, value)
	if err != nil {
		t.Errorf("With(%s, %s): %v", path, value, err)
		return
	}
	w := s.Clone()
	want(w)
	if !reflect.DeepEqual(got, w) {
		t.Errorf("With(%s, %s):\n got %+v\nwant %+v", path, value, got, w)
	}
}
