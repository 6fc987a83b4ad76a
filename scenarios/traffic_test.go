package scenarios

import (
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
)

// trafficExamples are valid scenarios using DESIGN.md §7's traffic keys.
// FuzzParse seeds from them too.
var trafficExamples = map[string]string{
	"mmpp": `name: mmpp
duration: 60s
arrivals:
  process: mmpp
  load: 0.7
  states:
    - {factor: 4, mean_sojourn: 1s}
    - {factor: 0.25, mean_sojourn: 4s}
  profile:
    - {at: 0s, factor: 1}
    - {at: 30s, factor: 1}
    - {at: 30s, factor: 3}
    - {at: 60s, factor: 3}
    - {at: 60s, factor: 1}
  sine: {period: 60s, amplitude: 0.5}
servers: [{name: web, count: 8, service: {dist: exponential, mean: 10ms}}]
algorithms: [round-robin]
`,
	"closed": `name: closed
arrivals:
  process: closed
  users: 50
  think: {dist: exponential, mean: 100ms}
servers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]
algorithms: [round-robin]
`,
	"trace": `name: trace
arrivals:
  process: trace
  file: traces/prod.csv
servers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]
algorithms: [round-robin]
`,
	"classes": `name: classes
arrivals: {load: 0.5}
classes:
  - {name: api, weight: 9}
  - {name: report, weight: 1, size: 20}
  - {name: upload, weight: 1, service: {dist: lognormal, mean: 50ms, cv: 1}}
servers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]
algorithms: [round-robin]
`,
}

func example(t *testing.T, name string) *Scenario {
	t.Helper()
	s, err := Parse("dir/"+name+".yaml", []byte(trafficExamples[name]))
	if err != nil {
		t.Fatalf("%s:\n%v", name, err)
	}
	return s
}

func TestTrafficDecoded(t *testing.T) {
	s := example(t, "mmpp")
	want := Arrivals{
		Process: "mmpp", Load: 0.7,
		States: []MMPPState{{4, time.Second}, {0.25, 4 * time.Second}},
		Profile: []ProfilePoint{{0, 1}, {30 * time.Second, 1}, {30 * time.Second, 3},
			{60 * time.Second, 3}, {60 * time.Second, 1}},
		Sine: &Sine{Period: time.Minute, Amplitude: 0.5},
	}
	if !reflect.DeepEqual(s.Arrivals, want) {
		t.Errorf("mmpp arrivals\n got %+v\nwant %+v", s.Arrivals, want)
	}
	if s.Clients != 1000 || s.Classes != nil {
		t.Errorf("clients %d, classes %v", s.Clients, s.Classes)
	}

	c := example(t, "closed")
	wantC := Arrivals{Process: "closed", Users: 50, Think: dist.Spec{Dist: "exponential", Mean: 100 * time.Millisecond}}
	if !reflect.DeepEqual(c.Arrivals, wantC) || c.Clients != 50 {
		t.Errorf("closed arrivals %+v, clients %d; want %+v, 50 (user u is client u)", c.Arrivals, c.Clients, wantC)
	}

	tr := example(t, "trace")
	if tr.Arrivals.File != "traces/prod.csv" || tr.Arrivals.Speed != 1 {
		t.Errorf("trace arrivals %+v; want the file as written and speed 1", tr.Arrivals)
	}
	if got, want := tr.TraceFile(), filepath.Join("dir", "traces", "prod.csv"); got != want {
		t.Errorf("TraceFile() = %q, want %q (relative to the scenario's directory)", got, want)
	}
	abs := strings.Replace(trafficExamples["trace"], "traces/prod.csv", "/data/t.csv", 1)
	if s := mustParse(t, abs); s.TraceFile() != "/data/t.csv" {
		t.Errorf("TraceFile() = %q for an absolute file", s.TraceFile())
	}
	if s := mustParse(t, trafficExamples["mmpp"]); s.TraceFile() != "" {
		t.Errorf("TraceFile() = %q without a trace", s.TraceFile())
	}

	k := example(t, "classes")
	wantK := []Class{
		{Name: "api", Weight: 9, Size: 1},
		{Name: "report", Weight: 1, Size: 20},
		{Name: "upload", Weight: 1, Service: dist.Spec{Dist: "lognormal", Mean: 50 * time.Millisecond, CV: 1}},
	}
	if !reflect.DeepEqual(k.Classes, wantK) {
		t.Errorf("classes\n got %+v\nwant %+v", k.Classes, wantK)
	}
}

func TestThinkDefault(t *testing.T) {
	s := mustParse(t, strings.Replace(trafficExamples["closed"], "  think: {dist: exponential, mean: 100ms}\n", "", 1))
	if want := (dist.Spec{Dist: "constant"}); !reflect.DeepEqual(s.Arrivals.Think, want) {
		t.Errorf("default think %+v, want constant 0s", s.Arrivals.Think)
	}
}

func TestClassesCapacity(t *testing.T) {
	k := example(t, "classes")
	// Per server: (9 x 10ms + 1 x 20 x 10ms + 1 x 50ms) / 11 = 340ms / 11.
	mean := 0.340 / 11
	if got := k.MeanService(0); math.Abs(got-mean) > 1e-15 {
		t.Errorf("MeanService(0) = %v, want %v", got, mean)
	}
	if got, want := k.Capacity(), 4/mean; math.Abs(got-want) > 1e-9 {
		t.Errorf("Capacity() = %v, want %v", got, want)
	}
	if got, want := k.ArrivalRate(), 0.5*4/mean; math.Abs(got-want) > 1e-9 {
		t.Errorf("ArrivalRate() = %v, want %v", got, want)
	}
	// Without classes, nothing changes: 4 servers of 10ms.
	if got := mustParse(t, head).ArrivalRate(); got != 200 {
		t.Errorf("ArrivalRate() = %v without classes, want 200", got)
	}
}

func TestArrivalRateWithoutRate(t *testing.T) {
	for _, name := range []string{"closed", "trace"} {
		if r := example(t, name).ArrivalRate(); r != 0 {
			t.Errorf("%s: ArrivalRate() = %v, want 0", name, r)
		}
	}
	if r := example(t, "mmpp").ArrivalRate(); math.Abs(r-0.7*800) > 1e-9 {
		t.Errorf("mmpp: ArrivalRate() = %v, want the long-run mean 560", r)
	}
}

func TestProfileFactor(t *testing.T) {
	s := mustParse(t, strings.Replace(head, "arrivals: {load: 0.5}", `arrivals:
  load: 0.5
  profile: [{at: 10s, factor: 2}, {at: 20s, factor: 4}, {at: 20s, factor: 1}, {at: 30s, factor: 3}]`, 1))
	for _, tc := range []struct {
		t    time.Duration
		want float64
	}{
		{0, 2}, {5 * time.Second, 2}, {10 * time.Second, 2}, {15 * time.Second, 3},
		{20*time.Second - 1, 4}, {20 * time.Second, 1}, {25 * time.Second, 2},
		{30 * time.Second, 3}, {time.Hour, 3},
	} {
		if got := s.ProfileFactor(tc.t); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("ProfileFactor(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	if got := mustParse(t, head).ProfileFactor(time.Second); got != 1 {
		t.Errorf("ProfileFactor without a profile = %v, want 1", got)
	}
}

// TestTrafficResolved checks that the new keys appear in the resolved
// scenario when the file sets them, and that it loads back to the same
// scenario.
func TestTrafficResolved(t *testing.T) {
	for name, want := range map[string]string{
		"mmpp": `"arrivals":{"process":"mmpp","load":0.7,"states":[{"factor":4,"mean_sojourn":"1s"},{"factor":0.25,"mean_sojourn":"4s"}],` +
			`"profile":[{"at":"0s","factor":1},{"at":"30s","factor":1},{"at":"30s","factor":3},{"at":"1m0s","factor":3},{"at":"1m0s","factor":1}],` +
			`"sine":{"period":"1m0s","amplitude":0.5}},"clients":1000,`,
		"closed":  `"arrivals":{"process":"closed","users":50,"think":{"dist":"exponential","mean":"100ms"}},"servers":`,
		"trace":   `"arrivals":{"process":"trace","file":"traces/prod.csv","speed":1},"clients":1000,`,
		"classes": `"arrivals":{"process":"poisson","load":0.5},"classes":[{"name":"api","weight":9,"size":1},{"name":"report","weight":1,"size":20},{"name":"upload","weight":1,"service":{"dist":"lognormal","mean":"50ms","cv":1}}],"clients":1000,`,
	} {
		s := example(t, name)
		b, err := json.Marshal(s.Resolved())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: resolved\n%s\nlacks\n%s", name, b, want)
		}
		back, err := Parse(s.File, b)
		if err != nil {
			t.Fatalf("%s: the resolved scenario does not load: %v\n%s", name, err, b)
		}
		back.lines = s.lines
		if !reflect.DeepEqual(back, s) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, back, s)
		}
	}
	// A §3 scenario's resolved form has none of them.
	b, _ := json.Marshal(mustParse(t, head).Resolved())
	for _, key := range []string{"states", "profile", "sine", "users", "think", "file", "speed", "classes"} {
		if strings.Contains(string(b), `"`+key+`"`) {
			t.Errorf("resolved §3 scenario has %q: %s", key, b)
		}
	}
}

func TestTrafficClone(t *testing.T) {
	for name := range trafficExamples {
		s := example(t, name)
		c := s.Clone()
		if !reflect.DeepEqual(c, s) {
			t.Fatalf("%s: clone differs", name)
		}
		if len(c.Arrivals.States) > 0 {
			c.Arrivals.States[0].Factor = 99
			c.Arrivals.Profile[0].Factor = 99
			c.Arrivals.Sine.Amplitude = 0.9
		}
		if len(c.Classes) > 0 {
			c.Classes[0].Weight = 99
			c.Classes[2].Service.Mean = 1
		}
		if c.Arrivals.Think.Mean > 0 {
			c.Arrivals.Think.Mean = 1
		}
		if !reflect.DeepEqual(s, example(t, name)) {
			t.Errorf("%s: changing the clone changed the original", name)
		}
	}
}

func TestFeatures(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []Feature
	}{
		{"mmpp", []Feature{{FeatureMMPP, "arrivals.process", 4}, {FeatureProfile, "arrivals.profile", 9}, {FeatureSine, "arrivals.sine", 15}}},
		{"closed", []Feature{{FeatureClosed, "arrivals.process", 3}}},
		{"trace", []Feature{{FeatureTrace, "arrivals.process", 3}}},
		{"classes", []Feature{{FeatureClasses, "classes", 3}}},
	} {
		if got := example(t, tc.name).Features(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Features() = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if f := mustParse(t, head).Features(); f != nil {
		t.Errorf("a §3 scenario's features: %+v", f)
	}
}

func TestUnsupported(t *testing.T) {
	s := example(t, "mmpp")
	err := s.Unsupported("sim", func(f string) bool { return f == FeatureSine })
	want := "dir/mmpp.yaml:4: arrivals.process: sim does not support the mmpp arrival process yet\n" +
		"dir/mmpp.yaml:9: arrivals.profile: sim does not support a traffic profile yet"
	if err == nil || err.Error() != want {
		t.Errorf("Unsupported:\n%v\nwant\n%s", err, want)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Errorf("Unsupported's error %T is not an Errors of 2", err)
	}
	if err := s.Unsupported("sim", func(string) bool { return true }); err != nil {
		t.Errorf("everything supported: %v", err)
	}
	if err := mustParse(t, head).Unsupported("bench", func(string) bool { return false }); err != nil {
		t.Errorf("a §3 scenario: %v", err)
	}
}

func TestErrorAt(t *testing.T) {
	s := example(t, "mmpp")
	for _, tc := range []struct{ path, want string }{
		{"arrivals.states[1].factor", "dir/mmpp.yaml:8: arrivals.states[1].factor: too big: 0.25"},
		{"arrivals.states[1].nothing", "dir/mmpp.yaml:8: arrivals.states[1].nothing: too big: 0.25"}, // its parent's line
		{"servers[0].service", "dir/mmpp.yaml:16: servers[0].service: too big: 0.25"},
		{"", "dir/mmpp.yaml:1: too big: 0.25"}, // the root mapping's line
	} {
		err := s.ErrorAt(tc.path, "too big: %g", 0.25)
		if err.Error() != tc.want {
			t.Errorf("ErrorAt(%q) = %q, want %q", tc.path, err, tc.want)
		}
		var e *Error
		if !errors.As(err, &e) || e.Path != tc.path {
			t.Errorf("ErrorAt(%q): %T, not an *Error with the path", tc.path, err)
		}
	}
	// A scenario made in code knows no lines.
	if got := (&Scenario{File: "m.yaml"}).ErrorAt("arrivals.users", "x").Error(); got != "m.yaml: arrivals.users: x" {
		t.Errorf("ErrorAt without lines = %q", got)
	}
}

func TestTrafficOverrides(t *testing.T) {
	m, c, k := example(t, "mmpp"), example(t, "closed"), example(t, "classes")
	check := func(s *Scenario, path, value string, want func(c *Scenario)) {
		t.Helper()
		checkWith(t, s, path, value, want)
	}
	check(m, "arrivals.states[0].factor", "8", func(c *Scenario) { c.Arrivals.States[0].Factor = 8 })
	check(m, "arrivals.states[1].mean_sojourn", "2s", func(c *Scenario) { c.Arrivals.States[1].MeanSojourn = 2 * time.Second })
	check(m, "arrivals.profile[2].factor", "5", func(c *Scenario) { c.Arrivals.Profile[2].Factor = 5 })
	check(m, "arrivals.profile[0].at", "10s", func(c *Scenario) { c.Arrivals.Profile[0].At = 10 * time.Second })
	check(m, "arrivals.sine.amplitude", "0.25", func(c *Scenario) { c.Arrivals.Sine.Amplitude = 0.25 })
	check(m, "arrivals.sine.period", "30s", func(c *Scenario) { c.Arrivals.Sine.Period = 30 * time.Second })
	check(m, "arrivals.rate", "100", func(c *Scenario) { c.Arrivals.Load, c.Arrivals.Rate = 0, 100 })
	check(c, "arrivals.users", "80", func(c *Scenario) { c.Arrivals.Users, c.Clients = 80, 80 })
	check(c, "arrivals.think.mean", "1s", func(c *Scenario) { c.Arrivals.Think.Mean = time.Second })
	check(example(t, "trace"), "arrivals.speed", "2", func(c *Scenario) { c.Arrivals.Speed = 2 })
	check(k, "classes[1].size", "5", func(c *Scenario) { c.Classes[1].Size = 5 })
	check(k, "classes[0].weight", "3", func(c *Scenario) { c.Classes[0].Weight = 3 })
	check(k, "classes[2].service.mean", "20ms", func(c *Scenario) { c.Classes[2].Service.Mean = 20 * time.Millisecond })

	got, err := m.WithNumber("arrivals.states[0].mean_sojourn", 0.5)
	if err != nil || got.Arrivals.States[0].MeanSojourn != 500*time.Millisecond {
		t.Errorf("WithNumber(mean_sojourn, 0.5) = %v, %v; want 500ms", got, err)
	}
	got, err = m.WithNumber("arrivals.sine.amplitude", 0.1)
	if err != nil || got.Arrivals.Sine.Amplitude != 0.1 {
		t.Errorf("WithNumber(amplitude, 0.1) = %v, %v", got, err)
	}
	got, err = c.WithNumber("arrivals.users", 10)
	if err != nil || got.Arrivals.Users != 10 || got.Clients != 10 {
		t.Errorf("WithNumber(users, 10) = %v, %v", got, err)
	}
	if x, dur, err := m.Number("arrivals.states[1].mean_sojourn"); err != nil || !dur || x != 4 {
		t.Errorf("Number(mean_sojourn) = %v, %v, %v; want 4 s", x, dur, err)
	}
	if x, dur, err := k.Number("classes[1].size"); err != nil || dur || x != 20 {
		t.Errorf("Number(classes[1].size) = %v, %v, %v", x, dur, err)
	}

	for _, tc := range []struct {
		s                 *Scenario
		path, value, want string
	}{
		{m, "arrivals.sine.amplitude", "1", "arrivals.sine.amplitude = 1: must be >= 0 and < 1"},
		{m, "arrivals.states[2].factor", "1", "arrivals.states[2].factor: the scenario has 2 states"},
		{m, "arrivals.profile[9].at", "1s", "the scenario has 5 profile points"},
		{m, "arrivals.profile[3].at", "10s", "arrivals.profile[3].at = 10s: 10s is before the previous point's 30s"},
		{m, "arrivals.states[0].sojourn", "1s", "no such field; arrivals.states[0] has factor, mean_sojourn"},
		{m, "arrivals.users", "5", "arrivals.users = 5: applies only to process closed, not mmpp"},
		{c, "arrivals.load", "0.5", "arrivals.users: closed-loop users set no load or rate; remove arrivals.load"},
		{c, "arrivals.users", "0", "arrivals.users = 0: must be at least 1"},
		{c, "clients", "5", "a closed loop has one client per user"},
		{c, "arrivals.sine.period", "1s", "the scenario has no arrivals.sine"},
		{k, "classes[3].size", "1", "the scenario has 3 classes"},
		{k, "classes[2].size", "2", "size and service are both set"},
		{k, "classes[0].name", "1", "not a number but text"},
		{example(t, "trace"), "arrivals.file", "1", "not a number but text"},
	} {
		_, err := tc.s.With(tc.path, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("With(%q, %q) = %v; want an error containing %q", tc.path, tc.value, err, tc.want)
		}
	}
}
