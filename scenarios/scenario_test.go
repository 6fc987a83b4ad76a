package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
)

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return s
}

func TestDefaults(t *testing.T) {
	s := mustParse(t, `
name: minimal
arrivals: {rate: 100}
servers:
  - name: web
    service: {dist: exponential, mean: 10ms}
health_check: {active: {}, passive: {}}
faults: [{target: web-0, kind: crash}]
algorithms: [round-robin, {name: p2c, choices: 1}]
`)
	want := &Scenario{
		Name:     "minimal",
		Seed:     1,
		Requests: 100000,
		Arrivals: Arrivals{Process: "poisson", Rate: 100},
		Clients:  1000,
		Servers: []ServerGroup{{Name: "web", Count: 1, Weight: 1, Concurrency: 1,
			Service: dist.Spec{Dist: "exponential", Mean: 10 * time.Millisecond}}},
		Network:   dist.Spec{Dist: "constant"},
		Balancers: 1,
		HealthCheck: HealthCheck{
			Active:  &ActiveCheck{Interval: 2 * time.Second, Timeout: time.Second, Rise: 2, Fall: 3},
			Passive: &PassiveCheck{ConsecutiveFailures: 5, Ejection: 30 * time.Second},
		},
		Faults: []Fault{{Target: "web-0", Kind: "crash"}},
		Algorithms: []Algorithm{
			{Name: "round-robin", Label: "round-robin"},
			{Name: "p2c", Label: "p2c", Params: map[string]any{"choices": 1}},
		},
		File: "t.yaml",
	}
	s.lines = nil
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
}

func TestStoppingDefaults(t *testing.T) {
	const base = "name: t\narrivals: {rate: 10}\nservers: [{name: w, service: {dist: exponential, mean: 1ms}}]\nalgorithms: [random]\n"
	for _, tc := range []struct {
		extra    string
		requests int64
		duration time.Duration
	}{
		{"", 100000, 0},
		{"duration: 1m\n", 0, time.Minute},
		{"requests: 5\n", 5, 0},
		{"requests: 5\nduration: 0\n", 5, 0},
		{"requests: 0\nduration: 2s\n", 0, 2 * time.Second},
	} {
		s := mustParse(t, base+tc.extra)
		if s.Requests != tc.requests || s.Duration != tc.duration {
			t.Errorf("%q: requests %d, duration %v; want %d, %v", tc.extra, s.Requests, s.Duration, tc.requests, tc.duration)
		}
	}
}

func TestPartialHealthCheck(t *testing.T) {
	s := mustParse(t, head+"health_check:\n  active: {interval: 500ms}\n")
	want := &ActiveCheck{Interval: 500 * time.Millisecond, Timeout: time.Second, Rise: 2, Fall: 3}
	if !reflect.DeepEqual(s.HealthCheck.Active, want) || s.HealthCheck.Passive != nil {
		t.Errorf("got %+v, %+v", s.HealthCheck.Active, s.HealthCheck.Passive)
	}
}

func TestNullIsAbsent(t *testing.T) {
	s := mustParse(t, head+"seed:\nfaults:\nhealth_check:\n")
	if s.Seed != 1 || s.Faults != nil || s.HealthCheck.Active != nil {
		t.Errorf("null fields not defaulted: %+v", s)
	}
}

func TestAlgorithmParams(t *testing.T) {
	s := mustParse(t, head[:strings.Index(head, "algorithms")]+`algorithms:
  - {name: p2c, label: p3c, choices: 3}
  - {name: round-robin, label: rr2}
`)
	if got := s.Algorithms[0]; got.Label != "p3c" || !reflect.DeepEqual(got.Params, map[string]any{"choices": 3}) {
		t.Errorf("algorithms[0] = %+v", got)
	}
	if got := s.Algorithms[1]; got.Params != nil {
		t.Errorf("algorithms[1].Params = %#v, want nil", got.Params)
	}
	// Values the registry does not check are decoded by type.
	d := newDecoder("t.yaml")
	n := mustNode(t, "{i: 3, f: 2.5, g: 2.0, s: x, b: true, d: 10ms, l: [1, a], m: {k: v}, z: ~}")
	v, ok := d.anything(n, "p", 0)
	want := map[string]any{"i": 3, "f": 2.5, "g": 2.0, "s": "x", "b": true, "d": "10ms",
		"l": []any{1, "a"}, "m": map[string]any{"k": "v"}, "z": nil}
	if !ok || !reflect.DeepEqual(v, want) {
		t.Errorf("anything = %#v, %v; want %#v", v, ok, want)
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	s := mustParse(t, `
name: t
x-service: &svc {dist: exponential, mean: 10ms}
x-group: &group {count: 2, concurrency: 4, service: *svc}
arrivals: {load: 0.5}
servers:
  - {<<: *group, name: a}
  - <<: *group
    name: b
    count: 3
algorithms: [round-robin]
`)
	if got := []int{s.Servers[0].Count, s.Servers[1].Count}; !slices.Equal(got, []int{2, 3}) {
		t.Errorf("counts %v, want [2 3]", got)
	}
	if s.Servers[1].Concurrency != 4 || s.Servers[1].Service.Mean != 10*time.Millisecond {
		t.Errorf("merge lost fields: %+v", s.Servers[1])
	}
}

func TestJSON(t *testing.T) {
	s := mustParse(t, `{
	"name": "j",
	"arrivals": {"rate": 100},
	"servers": [{"name": "w", "count": 2, "service": {"dist": "lognormal", "mean": "5ms", "cv": 2}}],
	"algorithms": ["random", {"name": "p2c", "choices": 2, "label": "two"}]
}`)
	if s.Servers[0].Service.CV != 2 || s.Algorithms[1].Label != "two" {
		t.Errorf("got %+v", s)
	}
}

func TestServerList(t *testing.T) {
	s := mustParse(t, `
name: t
arrivals: {load: 0.5}
servers:
  - {name: big, count: 2, weight: 4, concurrency: 4, service: {dist: exponential, mean: 10ms}}
  - {name: old, queue_limit: 7, service: {dist: constant, value: 20ms}}
faults:
  - {target: "*-1", kind: crash}
  - {target: "old-?", kind: errors, probability: 0.5}
  - {target: "*", kind: slowdown, factor: 2}
algorithms: [weighted-round-robin]
`)
	got := s.ServerList()
	want := []Server{
		{Name: "big-0", Group: 0, Weight: 4, Concurrency: 4, Service: s.Servers[0].Service},
		{Name: "big-1", Group: 0, Weight: 4, Concurrency: 4, Service: s.Servers[0].Service},
		{Name: "old-0", Group: 1, Weight: 1, Concurrency: 1, QueueLimit: 7, Service: s.Servers[1].Service},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServerList:\ngot  %+v\nwant %+v", got, want)
	}
	for i, want := range [][]int{{1}, {2}, {0, 1, 2}} {
		if got := s.FaultTargets(i); !slices.Equal(got, want) {
			t.Errorf("FaultTargets(%d) = %v, want %v", i, got, want)
		}
	}
	// 2 x 4 / 10ms + 1 / 20ms = 800 + 50 req/s.
	if got := s.Capacity(); math.Abs(got-850) > 1e-9 {
		t.Errorf("Capacity = %v, want 850", got)
	}
	if got := s.ArrivalRate(); math.Abs(got-425) > 1e-9 {
		t.Errorf("ArrivalRate = %v, want 425", got)
	}
	s.Arrivals = Arrivals{Process: "poisson", Rate: 123}
	if got := s.ArrivalRate(); got != 123 {
		t.Errorf("ArrivalRate with a rate = %v, want 123", got)
	}
}

func TestResolved(t *testing.T) {
	s := mustParse(t, `
name: r
description: all of it
seed: 7
duration: 90s
warmup: 1500ms
arrivals: {process: constant, rate: 250}
clients: 50
servers:
  - {name: a, count: 2, weight: 1.5, concurrency: 3, queue_limit: 10, service: {dist: uniform, min: 0, max: 4ms}}
  - name: b
    service:
      dist: mixture
      of: [{weight: 3, dist: exponential, mean: 1ms}, {weight: 1, dist: pareto, mean: 5ms, alpha: 2.5}]
network: {dist: constant, value: 100us}
balancers: 2
health_check: {passive: {ejection: 5s}}
timeout: 250ms
retries: 2
faults: [{at: 10s, target: "a-*", kind: errors, probability: 0.25, duration: 5s}]
algorithms: [ip-hash, {name: p2c, label: p3c, choices: 3}]
`)
	got, err := json.MarshalIndent(s.Resolved(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "name": "r",
  "description": "all of it",
  "seed": 7,
  "requests": 0,
  "duration": "1m30s",
  "warmup": "1.5s",
  "arrivals": {
    "process": "constant",
    "rate": 250
  },
  "clients": 50,
  "servers": [
    {
      "name": "a",
      "count": 2,
      "weight": 1.5,
      "concurrency": 3,
      "queue_limit": 10,
      "service": {
        "dist": "uniform",
        "min": "0s",
        "max": "4ms"
      }
    },
    {
      "name": "b",
      "count": 1,
      "weight": 1,
      "concurrency": 1,
      "queue_limit": 0,
      "service": {
        "dist": "mixture",
        "of": [
          {
            "weight": 3,
            "dist": "exponential",
            "mean": "1ms"
          },
          {
            "weight": 1,
            "dist": "pareto",
            "mean": "5ms",
            "alpha": 2.5
          }
        ]
      }
    }
  ],
  "network": {
    "dist": "constant",
    "value": "100µs"
  },
  "balancers": 2,
  "health_check": {
    "passive": {
      "consecutive_failures": 5,
      "ejection": "5s"
    }
  },
  "timeout": "250ms",
  "retries": 2,
  "faults": [
    {
      "at": "10s",
      "target": "a-*",
      "kind": "errors",
      "duration": "5s",
      "probability": 0.25
    }
  ],
  "algorithms": [
    {
      "name": "ip-hash",
      "label": "ip-hash"
    },
    {
      "name": "p2c",
      "label": "p3c",
      "choices": 3
    }
  ]
}`
	if string(got) != want {
		t.Errorf("Resolved:\n%s\nwant:\n%s", got, want)
	}
	testRoundTrip(t, s)
}

// testRoundTrip checks that Resolved, as JSON, loads back to s and encodes
// to the same bytes.
func testRoundTrip(t *testing.T, s *Scenario) {
	t.Helper()
	b1, err := json.Marshal(s.Resolved())
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	back, err := Parse("resolved.json", b1)
	if err != nil {
		t.Fatalf("%s: resolved scenario does not load:\n%v\n%s", s.Name, err, b1)
	}
	b2, _ := json.Marshal(back.Resolved())
	if !bytes.Equal(b1, b2) {
		t.Errorf("%s: round trip changed the bytes:\n%s\n%s", s.Name, b1, b2)
	}
	a, b := s.Clone(), back.Clone()
	a.File, a.lines, b.File, b.lines = "", nil, "", nil
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s: round trip changed the scenario:\n%+v\n%+v", s.Name, a, b)
	}
}

func TestFloatParamRoundTrip(t *testing.T) {
	s := mustParse(t, head)
	s.Algorithms[0].Params = map[string]any{"x": 2.0, "y": []any{1.0, 3}, "z": map[string]any{"w": 1e30}}
	b, err := json.Marshal(s.Resolved())
	if err != nil {
		t.Fatal(err)
	}
	if want := `"label":"round-robin","x":2.0,"y":[1.0,3],"z":{"w":1e+30}}`; !strings.Contains(string(b), want) {
		t.Errorf("got %s, want it to contain %s", b, want)
	}
}

func TestClone(t *testing.T) {
	s := mustParse(t, head+"health_check: {active: {}, passive: {}}\nfaults: [{target: web-0, kind: crash}]\n")
	s.Algorithms[0].Params = map[string]any{"m": map[string]any{"l": []any{1}}}
	s.Servers[0].Service = dist.Spec{Dist: "mixture", Of: []dist.Spec{{Weight: 1, Dist: "exponential", Mean: time.Millisecond}}}
	orig, _ := json.Marshal(s.Resolved())
	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatalf("clone differs:\n%+v\n%+v", c, s)
	}
	c.Seed, c.Requests = 9, 5
	c.Servers[0].Count = 3
	c.Servers[0].Service.Of[0].Mean = time.Second
	c.Network.Value = time.Second
	c.HealthCheck.Active.Rise = 9
	c.HealthCheck.Passive.Ejection = time.Hour
	c.Faults[0].Target = "x"
	c.Algorithms[0].Label = "x"
	c.Algorithms[0].Params["m"].(map[string]any)["l"].([]any)[0] = 2
	if now, _ := json.Marshal(s.Resolved()); !bytes.Equal(now, orig) {
		t.Errorf("changing the clone changed the original:\n%s\n%s", orig, now)
	}
}

func TestValidateAfterOverride(t *testing.T) {
	s := mustParse(t, head+"warmup: 5s\n")
	c := s.Clone()
	c.Duration = 2 * time.Second
	c.Requests = 0
	err := c.Validate()
	want := "t.yaml:5: warmup: 5s is not shorter than duration 2s: nothing would be measured"
	if err == nil || err.Error() != want {
		t.Errorf("Validate = %v, want %s", err, want)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("original: %v", err)
	}
}

func TestShipped(t *testing.T) {
	infos := Shipped()
	files, _ := filepath.Glob("*.yaml")
	if len(infos) != len(files) || len(infos) == 0 {
		t.Fatalf("Shipped lists %d scenarios, the directory has %d", len(infos), len(files))
	}
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = info.Name
		if strings.HasPrefix(info.Description, "invalid") || info.Description == "" {
			t.Errorf("%s: description %q", info.Name, info.Description)
		}
		if info.File != "scenarios/"+info.Name+".yaml" {
			t.Errorf("%s: file %q", info.Name, info.File)
		}
		s, err := Open(info.Name)
		if err != nil {
			t.Errorf("Open(%q): %v", info.Name, err)
			continue
		}
		if s.Name != info.Name || s.File != info.File {
			t.Errorf("Open(%q) = name %q, file %q", info.Name, s.Name, s.File)
		}
		if closed := s.Arrivals.Process == "closed"; closed == (s.ArrivalRate() > 0) {
			t.Errorf("%s: arrival rate %v (closed loops have none, open ones must)", s.Name, s.ArrivalRate())
		}
		testRoundTrip(t, s)
	}
	if !slices.IsSorted(names) {
		t.Errorf("not sorted: %v", names)
	}
	for _, want := range []string{"baseline", "failover", "heavy-tail", "heterogeneous", "power-of-d", "smoke"} {
		if !slices.Contains(names, want) {
			t.Errorf("no shipped scenario %q", want)
		}
	}
}

func TestShippedFacts(t *testing.T) {
	for _, tc := range []struct {
		name           string
		servers        int
		load, requests float64
	}{
		{"baseline", 8, 0.7, 200000},
		{"power-of-d", 100, 0.9, 1000000},
		{"smoke", 4, 0.5, 4000},
	} {
		s, err := Open(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.ServerList()) != tc.servers || s.Arrivals.Load != tc.load || float64(s.Requests) != tc.requests {
			t.Errorf("%s: %d servers, load %v, %d requests", tc.name, len(s.ServerList()), s.Arrivals.Load, s.Requests)
		}
	}
	s, _ := Open("power-of-d")
	var labels []string
	for _, a := range s.Algorithms {
		labels = append(labels, a.Label)
	}
	if want := []string{"random", "p2c", "p3c", "least-connections"}; !slices.Equal(labels, want) {
		t.Errorf("power-of-d labels %v, want %v", labels, want)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(p, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(p)
	if err != nil || s.Name != "t" || s.File != p {
		t.Fatalf("Open(%q) = %+v, %v", p, s, err)
	}
	_, err = Open("no-such-scenario")
	if err == nil || !strings.Contains(err.Error(), `no scenario "no-such-scenario"`) || !strings.Contains(err.Error(), "baseline") {
		t.Errorf("Open of an unknown name: %v", err)
	}
	_, err = Open(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(head+"seed: x\n"), 0o644)
	_, err = Load(bad)
	if want := bad + `:5: seed: "x" is not a non-negative integer`; err == nil || err.Error() != want {
		t.Errorf("Load(bad) = %v, want %s", err, want)
	}
}

func mustNode(t *testing.T, src string) *yamlNode {
	t.Helper()
	var n yamlNode
	if err := yamlUnmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return n.Content[0]
}
