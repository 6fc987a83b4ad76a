package scenarios

import (
	"strings"
	"testing"
	"time"
)

// liHead is a valid scenario but for its load_info, whose keys cases append
// from line 6.
const liHead = `name: t
servers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]
algorithms: [least-connections]
arrivals: {load: 0.5}
load_info:
`

// loadInfoErrorCases are the misuses of load_info and Parse's messages.
var loadInfoErrorCases = []struct {
	name, in, want string
}{
	{"load_info bad source", liHead + "  source: global\n",
		`x.yaml:6: load_info.source: "global" is not a load information source: use local (each balancer's own counts) or servers (the servers' counts)`},
	{"load_info negative", liHead + "  source: servers\n  refresh: -1s\n  delay: -5ms\n",
		strings.Join([]string{
			`x.yaml:7: load_info.refresh: must not be negative, got -1s (0s means always current)`,
			`x.yaml:8: load_info.delay: must not be negative, got -5ms`,
		}, "\n")},
	{"load_info unknown key", liHead + "  source: servers\n  period: 1s\n",
		`x.yaml:7: load_info.period: unknown key; allowed here: source, refresh, delay`},
	{"load_info refresh not a duration", liHead + "  refresh: 100\n",
		`x.yaml:6: load_info.refresh: "100" is not a duration (e.g. 10ms)`},
	{"load_info empty", liHead,
		`x.yaml:5: load_info: empty: write load_info: {source: servers} (or local), or remove it for each balancer's own live counts`},
	{"load_info not a mapping", strings.TrimSuffix(liHead, "\n") + " servers\n",
		`x.yaml:5: load_info: expected load information settings such as {source: servers, refresh: 100ms, delay: 0s} (a mapping), got "servers"`},
}

func init() { errorCases = append(errorCases, loadInfoErrorCases...) }

func TestLoadInfoDefaults(t *testing.T) {
	tests := []struct {
		name, in string
		want     *LoadInfo
		live     bool
	}{
		{"absent", strings.TrimSuffix(liHead, "load_info:\n"), nil, true},
		{"servers", liHead + "  source: servers\n", &LoadInfo{Source: LoadServers, Refresh: 100 * time.Millisecond}, false},
		{"servers always current", liHead + "  source: servers\n  refresh: 0s\n", &LoadInfo{Source: LoadServers}, false},
		{"local", liHead + "  source: local\n", &LoadInfo{Source: LoadLocal}, true},
		{"local periodic", liHead + "  refresh: 1s\n  delay: 10ms\n", &LoadInfo{Source: LoadLocal, Refresh: time.Second, Delay: 10 * time.Millisecond}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if (s.LoadInfo == nil) != (tt.want == nil) || s.LoadInfo != nil && *s.LoadInfo != *tt.want {
				t.Errorf("LoadInfo = %+v, want %+v", s.LoadInfo, tt.want)
			}
			if s.LoadInfo.Live() != tt.live {
				t.Errorf("Live() = %v, want %v", s.LoadInfo.Live(), tt.live)
			}
			// The resolved form loads back to the same settings.
			back, err := s.With("seed", "1")
			if err != nil {
				t.Fatal(err)
			}
			if (back.LoadInfo == nil) != (tt.want == nil) || back.LoadInfo != nil && *back.LoadInfo != *tt.want {
				t.Errorf("resolved and reloaded: %+v, want %+v", back.LoadInfo, tt.want)
			}
		})
	}
}

// A sweep sets load_info.refresh as a duration.
func TestLoadInfoOverride(t *testing.T) {
	s, err := Parse("x.yaml", []byte(liHead+"  source: servers\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.WithNumber("load_info.refresh", 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if out.LoadInfo.Refresh != 500*time.Millisecond || out.LoadInfo.Source != LoadServers {
		t.Errorf("after the override: %+v", out.LoadInfo)
	}
	if _, err := s.WithNumber("load_info.source", 1); err == nil || !strings.Contains(err.Error(), "not a number but text") {
		t.Errorf("load_info.source as a number: %v", err)
	}
}
