package external

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
)

func TestParseAnswer(t *testing.T) {
	for _, tc := range []struct {
		line string
		want answer
		err  string // "" for none; "garbage" for errGarbage; else the strategy's error
	}{
		{line: `{"id":3}`, want: answer{id: 3}},
		{line: `{"id": 3}`, want: answer{id: 3}}, // Python's json.dumps
		{line: `{"id": 123456789 }`, want: answer{id: 123456789}},
		{line: `{"id":1234567890}`, want: answer{id: 1234567890}}, // past the fast path
		{line: ` {"id":3}`, want: answer{id: 3}},
		{line: `{"type":"pick","id":3}`, want: answer{id: 3}}, // unknown fields are ignored
		{line: `{"none":true}`, want: answer{none: true}},
		{line: `{"none": true, "why": "all busy"}`, want: answer{none: true}},
		{line: `{"id":-2}`, want: answer{id: -2}}, // Pick says it is out of range
		{line: `{"error":"boom"}`, err: "boom"},
		{line: `{"id":03}`, err: "garbage"},
		{line: `{"id":3.0}`, err: "garbage"},
		{line: `{"id":"3"}`, err: "garbage"},
		{line: `{"id":null}`, err: "garbage"},
		{line: `{"none":false}`, err: "garbage"},
		{line: `{"id":1,"none":true}`, err: "garbage"},
		{line: `{}`, err: "garbage"},
		{line: `3`, err: "garbage"},
		{line: ``, err: "garbage"},
		{line: `{"id":3}{"id":4}`, err: "garbage"},
	} {
		got, err := parseAnswer([]byte(tc.line))
		var own strategyError
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.line, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("%s: %+v, want %+v", tc.line, got, tc.want)
		case tc.err == "garbage" && !errors.Is(err, errGarbage):
			t.Errorf("%s: %+v, %v; want garbage", tc.line, got, err)
		case tc.err != "" && tc.err != "garbage" && (!errors.As(err, &own) || string(own) != tc.err):
			t.Errorf("%s: %+v, %v; want the strategy's error %q", tc.line, got, err, tc.err)
		}
	}
}

// FuzzParseAnswer checks that the fast path for {"id":N} agrees with
// encoding/json wherever it answers.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{`{"id":3}`, `{"id": 12 }`, `{"id":0}`, `{"id":00}`, `{"none":true}`, `{"id":1e3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		id, ok := fastID(line)
		if !ok {
			parseAnswer(line) // must not panic
			return
		}
		var m map[string]json.Number
		if err := json.Unmarshal(line, &m); err != nil || len(m) != 1 || m["id"].String() != strconv.Itoa(id) {
			t.Errorf("fastID(%q) = %d, but encoding/json reads %v (%v)", line, id, m, err)
		}
	})
}
