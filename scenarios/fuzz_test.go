package scenarios

import (
	"encoding/json"
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that every problem it reports
// is an *Error with a line inside the file, and that what it accepts
// resolves to JSON that loads back.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range errorCases { // trafficErrorCases included
		f.Add([]byte(tc.in))
	}
	for _, name := range slices.Sorted(maps.Keys(trafficExamples)) {
		f.Add([]byte(trafficExamples[name]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatal("a scenario and an error")
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
			}
			lines := lineAt(data, len(data))
			for _, e := range es {
				if e.Line < 0 || e.Line > lines || e.Msg == "" || e.File != "f.yaml" {
					t.Fatalf("bad error %#v in a file of %d lines", e, lines)
				}
			}
			return
		}
		// Everything a valid scenario offers works.
		_ = s.ServerList()
		switch r := s.ArrivalRate(); s.Arrivals.Process {
		case "closed", "trace": // no rate of their own
			if r != 0 {
				t.Fatalf("arrival rate %v for process %s", r, s.Arrivals.Process)
			}
		default:
			if !(r > 0) || math.IsInf(r, 0) {
				t.Fatalf("arrival rate %v", r)
			}
		}
		_ = s.Features()
		_ = s.ProfileFactor(time.Second)
		_ = s.ErrorAt("arrivals.users", "x").Error()
		for i := range s.Faults {
			if len(s.FaultTargets(i)) == 0 {
				t.Fatalf("fault %d matches nothing", i)
			}
		}
		b, err := json.Marshal(s.Resolved())
		if err != nil {
			t.Fatalf("Resolved: %v", err)
		}
		back, err := Parse("resolved.json", b)
		if err != nil {
			t.Fatalf("resolved scenario does not load:\n%v\n%s", err, b)
		}
		b2, _ := json.Marshal(back.Resolved())
		if string(b) != string(b2) {
			t.Fatalf("round trip changed the bytes:\n%s\n%s", b, b2)
		}
	})
}
