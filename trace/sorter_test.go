package trace

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSorter: records added in completion order (arrival + latency) come
// out in arrival order, equal times in the order added; a record later
// than the window is refused with a LateError; memory holds one window.
func TestSorter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	type req struct{ at, lat time.Duration }
	var reqs []req
	at := time.Duration(0)
	for i := 0; i < 5000; i++ {
		at += time.Duration(rng.ExpFloat64() * float64(time.Millisecond))
		reqs = append(reqs, req{at, time.Duration(rng.Float64() * float64(50*time.Millisecond))})
	}
	byEnd := append([]req(nil), reqs...)
	for i := range byEnd { // insertion sort by end: the order a log has
		for j := i; j > 0 && byEnd[j].at+byEnd[j].lat < byEnd[j-1].at+byEnd[j-1].lat; j-- {
			byEnd[j], byEnd[j-1] = byEnd[j-1], byEnd[j]
		}
	}
	path := filepath.Join(t.TempDir(), "s.csv")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSorter(w, 50*time.Millisecond)
	most := 0
	for _, r := range byEnd {
		if err := s.Add(Record{Time: r.at, Latency: r.lat, Service: Unknown}); err != nil {
			t.Fatal(err)
		}
		most = max(most, s.Held())
	}
	if err := s.Add(Record{Time: 0, Service: Unknown, Latency: Unknown}); !errors.As(err, new(*LateError)) {
		t.Errorf("a record at 0 after the window: %v", err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	// About 50 arrivals per window (1 per ms): never the whole trace.
	if most > 200 {
		t.Errorf("held up to %d records: want about one window's", most)
	}
	f, _ := os.Open(path)
	defer f.Close()
	rd, err := NewReader(path, f)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		r, err := rd.Next()
		if err == io.EOF {
			if i != len(reqs) {
				t.Errorf("%d records, want %d", i, len(reqs))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Time != reqs[i].at || r.Latency != reqs[i].lat {
			t.Fatalf("record %d: %v %v, want %v %v", i, r.Time, r.Latency, reqs[i].at, reqs[i].lat)
		}
	}
}
