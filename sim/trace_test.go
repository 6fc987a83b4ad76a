package sim

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// writeTraceScenario writes a trace of n requests 50ms apart, each of
// service 5ms measured on server fast-0 (the group of mean 10ms), from
// clients c0..c9 in turn, and a scenario replaying it on a fast and a slow
// (mean 20ms) server behind round-robin. extra is added to the scenario.
func writeTraceScenario(t *testing.T, n int, extra string) *scenarios.Scenario {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("time,client,class,service,server,latency,outcome\n")
	for k := range n {
		fmt.Fprintf(&b, "%g,c%d,,0.005,fast-0,0.006,ok\n", float64(k)*0.05, k%10)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	text := `name: replay
arrivals: {process: trace, file: t.csv` + extra + `}
clients: 10
servers:
  - {name: fast, service: {dist: constant, value: 10ms}}
  - {name: slow, service: {dist: constant, value: 20ms}}
algorithms: [round-robin]
`
	path := filepath.Join(dir, "replay.yaml")
	os.WriteFile(path, []byte(text), 0o644)
	sc, err := scenarios.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestTraceReplay: a trace replays its arrivals exactly (every one, at its
// time, divided by speed), and a traced job's size is its service on its
// group, scaled by the ratio of group means on another: 5ms on fast, 10ms
// on slow, whatever the servers' own draws would have been.
func TestTraceReplay(t *testing.T) {
	for _, speed := range []float64{1, 2} {
		t.Run(fmt.Sprintf("speed %g", speed), func(t *testing.T) {
			sc := writeTraceScenario(t, 400, fmt.Sprintf(", speed: %g", speed))
			s, err := Run(context.Background(), sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			a := s.Algorithms[0]
			if a.Requests != 400 || a.Completed != 400 {
				t.Fatalf("requests %d, completed %d; want the trace's 400", a.Requests, a.Completed)
			}
			fast, slow := a.Servers[0], a.Servers[1]
			if fast.Requests != 200 || slow.Requests != 200 || fast.Latency.Mean != 5 || slow.Latency.Mean != 10 {
				t.Errorf("fast: %d requests, mean %v ms; slow: %d, %v ms; want 200 each, 5 and 10", fast.Requests, fast.Latency.Mean, slow.Requests, slow.Latency.Mean)
			}
			// 400 arrivals 50ms/speed apart: the throughput is their rate.
			if want := 20 * speed; math.Abs(a.ThroughputRPS/want-1) > 0.01 {
				t.Errorf("throughput %.2f req/s, want %.0f", a.ThroughputRPS, want)
			}
		})
	}
}

// TestTraceReplayErrors: a trace that cannot be replayed is refused before
// the run, naming its file and line.
func TestTraceReplayErrors(t *testing.T) {
	sc := writeTraceScenario(t, 10, "")
	os.WriteFile(sc.TraceFile(), []byte("time,client\n1,a\n0.5,b\n"), 0o644)
	if _, err := Run(context.Background(), sc, Options{}); err == nil || !strings.Contains(err.Error(), "t.csv:3: time: 0.5 comes before") {
		t.Errorf("times going backwards: %v", err)
	}
	os.Remove(sc.TraceFile())
	if _, err := Run(context.Background(), sc, Options{}); err == nil || !strings.Contains(err.Error(), "t.csv") {
		t.Errorf("no trace file: %v", err)
	}
	sc2 := writeTraceScenario(t, 10, "")
	sc2.Classes = []scenarios.Class{{Name: "api", Weight: 1, Size: 1}}
	os.WriteFile(sc2.TraceFile(), []byte("time,class\n0,api\n1,batch\n"), 0o644)
	if _, err := Run(context.Background(), sc2, Options{}); err == nil || !strings.Contains(err.Error(), `t.csv:3: class: "batch" is not one of the scenario's classes`) {
		t.Errorf("unknown class: %v", err)
	}
}
