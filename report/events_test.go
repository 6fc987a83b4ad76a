package report

import (
	"os"
	"path/filepath"
	"testing"
)

// An event with words alone (an older summary.json, or an engine that
// sets only What) types as the constructors would have typed it.
func TestEventTyped(t *testing.T) {
	for _, want := range []Event{
		FaultEvent(1, "web-0", "crash", false, 0),
		FaultEvent(2, "web-0", "crash", true, 0),
		FaultEvent(3, "web-1", "slowdown", false, 4),
		FaultEvent(4, "web-1", "slowdown", true, 4),
		FaultEvent(5, "web-2", "slowdown", false, 2.5),
		FaultEvent(6, "web-2", "errors", false, 0.5),
		FaultEvent(7, "web-2", "errors", true, 0),
		HealthEvent(8, "web-3", 0, false),
		HealthEvent(9, "web-3", 2, true),
	} {
		words := Event{AtMS: want.AtMS, Server: want.Server, What: want.What, Balancer: want.Balancer}
		if got := words.Typed(); got != want {
			t.Errorf("%q typed = %+v, want %+v", want.What, got, want)
		}
		if got := want.Typed(); got != want {
			t.Errorf("typed %q again = %+v, want it unchanged", want.What, got)
		}
	}
	for _, e := range []Event{
		{What: "recover failed: connection refused"}, // realproxy's: no kind of its own
		{What: ""},
		{What: "drain"},
	} {
		if got := e.Typed(); got != e {
			t.Errorf("%q typed = %+v, want it left without a kind", e.What, got)
		}
	}
	// The words are not read when the kind is there.
	e := Event{What: "crash", Kind: EventHealth}
	if got := e.Typed(); got != e {
		t.Errorf("typed %+v = %+v, want it unchanged", e, got)
	}
}

// ReadSummary types the events of a summary.json written before they had
// a kind.
func TestReadSummaryTypesOldEvents(t *testing.T) {
	dir := t.TempDir()
	old := `{"scenario": "failover", "engine": "sim", "seed": 1, "algorithms": [{"label": "p2c",
	  "events": [{"at_ms": 1000, "server": "web-3", "what": "crash"},
	             {"at_ms": 1500, "server": "web-3", "what": "unhealthy", "balancer": 1},
	             {"at_ms": 2000, "server": "web-6", "what": "slowdown x4"}]}]}`
	if err := os.WriteFile(filepath.Join(dir, SummaryJSON), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		FaultEvent(1000, "web-3", "crash", false, 0),
		HealthEvent(1500, "web-3", 1, false),
		FaultEvent(2000, "web-6", "slowdown", false, 4),
	}
	got := s.Algorithms[0].Events
	if len(got) != len(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
