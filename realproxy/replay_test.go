package realproxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/trace"
)

// TestReplayTrace: the real engine replays a trace as the simulator does:
// every traced request, and each job's traced size sent to the backend that
// serves it, which scales it by its group's mean (5ms measured on the
// fast group of mean 10ms: 5ms on fast-0, 10ms on slow-0), whatever its own
// draw would have been. The backends' service times, as the captured
// trace reports them from their headers, are exact.
func TestReplayTrace(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("time,client,service,server\n")
	for k := range 60 {
		fmt.Fprintf(&b, "%g,c%d,0.005,fast-0\n", float64(k)*0.03, k%7)
	}
	os.WriteFile(filepath.Join(dir, "t.csv"), []byte(b.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(`name: replay
arrivals: {process: trace, file: t.csv}
clients: 7
servers:
  - {name: fast, service: {dist: exponential, mean: 10ms}}
  - {name: slow, service: {dist: exponential, mean: 20ms}}
algorithms: [round-robin]
`), 0o644)
	sc, err := scenarios.Open(filepath.Join(dir, "r.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	s, err := Run(context.Background(), sc, Options{VegetaDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Algorithms[0]; a.Requests != 60 || a.Completed != 60 {
		t.Fatalf("requests %d, completed %d: want the trace's 60", a.Requests, a.Completed)
	}
	recs, err := trace.ReadFile(filepath.Join(out, TraceFile("round-robin")))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"fast-0": 5 * time.Millisecond, "slow-0": 10 * time.Millisecond}
	served := map[string]int{}
	for k, r := range recs {
		served[r.Server]++
		if r.Service != want[r.Server] {
			t.Errorf("request %d: %s served it in %v, want %v", k, r.Server, r.Service, want[r.Server])
		}
	}
	if served["fast-0"] != 30 || served["slow-0"] != 30 {
		t.Errorf("served %v, want 30 each (round-robin)", served)
	}
}
