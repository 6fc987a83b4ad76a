package trace

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRoundTrip: what a Writer writes, a Reader reads back exactly, in
// order, including unknown fields, quoted strings and nanoseconds late in
// a long trace.
func TestRoundTrip(t *testing.T) {
	in := []Record{
		{Time: 0, Client: "10.0.0.1", Class: "api", Service: 12 * time.Millisecond, Server: "web-0", Latency: 13500 * time.Microsecond, Outcome: OK},
		{Time: 1500 * time.Millisecond, Client: `odd,"client"`, Service: Unknown, Latency: Unknown},
		{Time: 1500 * time.Millisecond, Client: "c", Service: 0, Server: "web-1", Latency: time.Second, Outcome: Timeout},
		{Time: 86399*time.Second + 1, Client: "late", Service: 3, Server: "web-2", Latency: 7, Outcome: Failed},
	}
	path := filepath.Join(t.TempDir(), "t.csv")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range in {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(Record{Time: time.Second}); err == nil {
		t.Error("a record before the previous one was written")
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := NewReader(path, f)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range in {
		got, err := rd.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got != want {
			t.Errorf("record %d: got %+v, want %+v", i, got, want)
		}
		if rd.Line() != i+2 {
			t.Errorf("record %d on line %d, want %d", i, rd.Line(), i+2)
		}
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Errorf("after the last record: %v, want io.EOF", err)
	}
}

// TestReaderSubset: any order and subset of the columns that has time.
func TestReaderSubset(t *testing.T) {
	rd, err := NewReader("s.csv", strings.NewReader("\ufeffservice, time\n0.010,1.000000001\n,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !rd.Has("service") || rd.Has("client") {
		t.Errorf("Has: service %v, client %v", rd.Has("service"), rd.Has("client"))
	}
	r, err := rd.Next()
	if err != nil || r.Time != time.Second+1 || r.Service != 10*time.Millisecond || r.Latency != Unknown {
		t.Errorf("first: %+v, %v", r, err)
	}
	r, err = rd.Next()
	if err != nil || r.Time != 2*time.Second || r.Service != Unknown {
		t.Errorf("second: %+v, %v", r, err)
	}
}

// TestReaderErrors: every malformed trace is an *Error that names the
// file, the line and, where it can, the column.
func TestReaderErrors(t *testing.T) {
	for _, c := range []struct {
		name, text, want string
	}{
		{"empty", "", "e.csv:1: empty: a trace starts with a header line"},
		{"unknown column", "time,latancy\n", `e.csv:1: column 2: "latancy" is not a trace column`},
		{"twice", "time,client,time\n", "e.csv:1: time: the column appears twice"},
		{"no time", "client,server\n", "e.csv:1: no time column"},
		{"bad time", "time,client\n0,a\nx,b\n", `e.csv:3: time: "x" is not a time in seconds`},
		{"negative time", "time\n-1\n", `e.csv:2: time: "-1" is not a time`},
		{"backwards", "time\n1\n2.5\n2.25\n", "e.csv:4: time: 2.25 comes before the previous line's 2.5"},
		{"bad service", "time,service\n0,12ms\n", `e.csv:2: service: "12ms" is not a duration in seconds`},
		{"bad latency", "time,latency\n0,-0.5\n", `e.csv:2: latency: "-0.5" is not a duration`},
		{"bad outcome", "time,outcome\n0,200\n", `e.csv:2: outcome: "200" is not an outcome`},
		{"short line", "time,client,server\n0,a\n", "e.csv:2: 2 fields, the header has 3"},
		{"bare quote", "time,client\n0,a\"b\n", "e.csv:2: bare \" in non-quoted-field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rd, err := NewReader("e.csv", strings.NewReader(c.text))
			for err == nil {
				_, err = rd.Next()
			}
			var te *Error
			if !errors.As(err, &te) || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("got %v, want an *Error starting %q", err, c.want)
			}
		})
	}
}

func TestParseSeconds(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"12", 12 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{".25", 250 * time.Millisecond, true},
		{"3.", 3 * time.Second, true},
		{"1234567.000001", 1234567*time.Second + time.Microsecond, true},
		{"0.0000000015", 2, true},
		{"1e-3", time.Millisecond, true},
		{"", 0, false},
		{".", 0, false},
		{"-0.1", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"1e300", 0, false},
		{"1.2.3", 0, false},
	} {
		got, ok := parseSeconds(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// FuzzReader: no input makes the Reader panic or return a record that
// breaks its own rules.
func FuzzReader(f *testing.F) {
	f.Add("time,client,class,service,server,latency,outcome\n0,a,,0.01,web-0,0.02,ok\n1.5,b,x,,,,\n")
	f.Add("time\n1\n0\n")
	f.Add("service,time\n\"1\",2\n")
	f.Fuzz(func(t *testing.T, text string) {
		rd, err := NewReader("f.csv", strings.NewReader(text))
		if err != nil {
			return
		}
		var last time.Duration
		for i := 0; i < 10000; i++ {
			r, err := rd.Next()
			if err != nil {
				return
			}
			if r.Time < last || r.Time < 0 || r.Service < Unknown || r.Latency < Unknown {
				t.Fatalf("record %+v after %v", r, last)
			}
			last = r.Time
		}
	})
}
