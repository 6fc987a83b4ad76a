package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// resolvedFrom decodes a resolved scenario as summary.json gives it back.
func resolvedFrom(t *testing.T, js string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTrafficShape(t *testing.T) {
	for _, c := range []struct {
		name, resolved string
		want           string
		plain          bool
	}{
		{"no arrivals", `{"name": "x"}`, "", true},
		{"not an object", `[1, 2]`, "", true},
		{"poisson", `{"arrivals": {"process": "poisson", "load": 0.5}}`,
			"traffic: poisson at load 0.5", true},
		{"constant rate", `{"arrivals": {"process": "constant", "rate": 400}}`,
			"traffic: constant at 400 req/s", true},
		{"mmpp", `{"arrivals": {"process": "mmpp", "load": 0.7, "states": [
			{"factor": 4, "mean_sojourn": "1s"}, {"factor": 0.25, "mean_sojourn": "4s"}]}}`,
			"traffic: mmpp, 2 states (x4 for 1s, x0.25 for 4s), mean load 0.7", false},
		{"mmpp at a rate", `{"arrivals": {"process": "mmpp", "rate": 500, "states": [
			{"factor": 1, "mean_sojourn": "100ms"}, {"factor": 0, "mean_sojourn": "1m30s"}, {"factor": 2, "mean_sojourn": "2m0s"}]}}`,
			"traffic: mmpp, 3 states (x1 for 100ms, x0 for 1m30s, x2 for 2m), mean 500 req/s", false},
		{"profile and classes", `{"arrivals": {"process": "poisson", "load": 0.5, "profile": [
			{"at": "0s", "factor": 1}, {"at": "20s", "factor": 1}, {"at": "20s", "factor": 2.4},
			{"at": "40s", "factor": 2.4}, {"at": "40s", "factor": 1}]},
			"classes": [{"name": "light", "weight": 9}, {"name": "heavy", "weight": 1, "size": 20}]}`,
			"traffic: poisson at load 0.5, profile (5 points over 40s, x1 to x2.4), 2 classes (light 90%, heavy 10% at 20x)", false},
		{"sine", `{"arrivals": {"process": "poisson", "load": 0.6, "sine": {"period": "1m0s", "amplitude": 0.5}}}`,
			"traffic: poisson at load 0.6, sine (period 1m, amplitude 0.5)", false},
		{"classes alone", `{"arrivals": {"process": "poisson", "rate": 1000}, "classes": [
			{"name": "api", "weight": 9}, {"name": "report", "weight": 1, "size": 20},
			{"name": "upload", "weight": 1, "service": {"dist": "lognormal", "mean": "50ms", "cv": 1}}]}`,
			"traffic: poisson at 1000 req/s, 3 classes (api 82%, report 9.1% at 20x, upload 9.1% lognormal mean 50ms)", false},
		{"one class", `{"arrivals": {"process": "constant", "load": 0.3}, "classes": [{"name": "all", "weight": 1}]}`,
			"traffic: constant at load 0.3, 1 class (all 100%)", false},
		{"closed", `{"arrivals": {"process": "closed", "users": 50, "think": {"dist": "exponential", "mean": "100ms"}}}`,
			"traffic: closed loop, 50 users, think exponential mean 100ms", false},
		{"closed, no think", `{"arrivals": {"process": "closed", "users": 1, "think": {"dist": "constant", "value": "0s"}}}`,
			"traffic: closed loop, 1 user, no think time", false},
		{"closed, constant think", `{"arrivals": {"process": "closed", "users": 8, "think": {"dist": "constant", "value": "20ms"}}}`,
			"traffic: closed loop, 8 users, think constant 20ms", false},
		{"closed, uniform think", `{"arrivals": {"process": "closed", "users": 8, "think": {"dist": "uniform", "min": "0s", "max": "1s"}}}`,
			"traffic: closed loop, 8 users, think uniform 0s-1s", false},
		{"trace", `{"arrivals": {"process": "trace", "file": "traces/prod.csv", "speed": 2}}`,
			"traffic: trace traces/prod.csv at speed 2", false},
		{"trace at its own speed", `{"arrivals": {"process": "trace", "file": "t.csv", "speed": 1}}`,
			"traffic: trace t.csv", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := resolvedFrom(t, c.resolved)
			if got := TrafficShape(r); got != c.want {
				t.Errorf("TrafficShape = %q, want %q", got, c.want)
			}
			if got := TrafficPlain(r); got != c.plain {
				t.Errorf("TrafficPlain = %v, want %v", got, c.plain)
			}
		})
	}
	if got := TrafficShape(nil); got != "" {
		t.Errorf("TrafficShape(nil) = %q", got)
	}
	if got := TrafficShape(map[string]any{"x": func() {}}); got != "" {
		t.Errorf("TrafficShape of an unencodable value = %q", got)
	}
}

// The shipped scenarios, from the value scenarios' Resolved returns and
// from the map summary.json decodes to: the same line.
func TestTrafficShapeShipped(t *testing.T) {
	for name, want := range map[string]string{
		"baseline":      "traffic: poisson at load 0.7",
		"bursty":        "traffic: mmpp, 2 states (x1 for 100ms, x0 for 180ms), mean load 0.7",
		"mixed-classes": "traffic: poisson at load 0.7, 2 classes (light 90%, heavy 10% at 20x)",
		"diurnal":       "traffic: poisson at load 0.6, sine (period 1m, amplitude 0.5)",
		"flash-crowd":   "traffic: poisson at load 0.5, profile (5 points over 40s, x1 to x2.4)",
	} {
		sc, err := scenarios.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r := sc.Resolved()
		if got := TrafficShape(r); got != want {
			t.Errorf("%s: TrafficShape = %q, want %q", name, got, want)
		}
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := TrafficShape(resolvedFrom(t, string(data))); got != want {
			t.Errorf("%s from JSON: TrafficShape = %q, want %q", name, got, want)
		}
		if plain := TrafficPlain(r); plain != (name == "baseline") {
			t.Errorf("%s: TrafficPlain = %v", name, plain)
		}
	}
}

// sampleClasses is sample() with request classes and shaped traffic.
func sampleClasses() *Summary {
	s := sample()
	s.Scenario = "mixed"
	s.ScenarioResolved = map[string]any{
		"name":        "mixed",
		"description": "light and heavy requests",
		"arrivals": map[string]any{"process": "poisson", "load": 0.7, "profile": []any{
			map[string]any{"at": "0s", "factor": 1}, map[string]any{"at": "30s", "factor": 2}}},
		"classes": []any{
			map[string]any{"name": "light", "weight": 9},
			map[string]any{"name": "heavy, big", "weight": 1, "size": 20},
		},
	}
	s.Algorithms[0].Classes = []ClassFigures{
		{Name: "light", Requests: 180000, Completed: 179100, Errors: Errors{Failed: 900},
			Latency: Latency{Mean: 4.1, P50: 2.9, P90: 9.1, P99: 21, P999: 30.2, Max: 55}},
		{Name: "heavy, big", Requests: 20000, Completed: 19910, Errors: Errors{Failed: 90},
			Latency: Latency{Mean: 81, P50: 70.2, P90: 160.4, P99: 301, P999: 402.5, Max: 900}},
	}
	s.Algorithms[1].Classes = []ClassFigures{
		{Name: "light", Requests: 180000, Completed: 179550, Errors: Errors{Rejected: 270, Failed: 135, Timeout: 45},
			Latency: Latency{Mean: 0.0101, P50: 0.0088, P90: 1.2, P99: 8.996, P999: 1000.4}},
		{Name: "heavy, big", Requests: 20000, Completed: 19950, Errors: Errors{Rejected: 30, Failed: 15, Timeout: 5},
			Latency: Latency{Mean: 0.2, P50: 0.19, P90: 30, P99: 99.96, P999: 12345}},
	}
	return s
}

func TestTableClasses(t *testing.T) {
	var table bytes.Buffer
	if err := WriteTable(&table, sampleClasses()); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-classes.txt", table.Bytes())

	// Classes on one algorithm only: its rows alone.
	s := sampleClasses()
	s.Algorithms[1].Classes = nil
	table.Reset()
	if err := WriteTable(&table, s); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(table.String(), "\n  p3c, fast"); n != 1 {
		t.Errorf("p3c, fast has %d rows, want 1 (no classes):\n%s", n, table.String())
	}
	if !strings.Contains(table.String(), "\nper class: latency in ms\n") {
		t.Errorf("no per-class table:\n%s", table.String())
	}
}

func TestHTMLClasses(t *testing.T) {
	page, err := EncodeHTML(sampleClasses(), nil, sampleFigures(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report-classes.html", page)
	checkSelfContained(t, page, 2)
	p := string(page)
	for _, want := range []string{
		`<p class="meta">traffic: poisson at load 0.7, profile (2 points over 30s, x1 to x2), 2 classes (light 90%, heavy, big 10% at 20x)</p>`,
		`<h2 id="classes">Per class</h2>`,
		`<tr><td>round-robin</td><td style="text-align: left">heavy, big</td><td>20000</td><td>19910</td><td>90</td><td>81.0</td><td>70.2</td><td>160</td><td>301</td><td>402</td></tr>`,
	} {
		if !strings.Contains(p, want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
	// Plain traffic, no classes: neither the line nor the section.
	page, err = EncodeHTML(sample(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(page), "traffic:") || strings.Contains(string(page), `id="classes"`) {
		t.Error("a plain run's page names its traffic or has a per-class section")
	}
}
