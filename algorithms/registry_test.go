package algorithms

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	list := List()
	names := make([]string, len(list))
	for i, info := range list {
		names[i] = info.Name
		if info.Summary == "" {
			t.Errorf("%s: no summary", info.Name)
		}
		for _, p := range info.Params {
			if p.Name == "" || p.Default == "" || p.Doc == "" {
				t.Errorf("%s: incomplete param %+v", info.Name, p)
			}
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("List not sorted by name: %v", names)
	}
	want := []string{"bounded-load-hash", "ip-hash", "join-idle-queue", "least-connections", "least-response-time", "maglev",
		"p2c", "peak-ewma", "prequal", "random", "ring-hash", "round-robin", "sticky",
		"weighted-least-connections", "weighted-random", "weighted-round-robin"}
	if !slices.Equal(names, want) {
		t.Errorf("List = %v, want %v", names, want)
	}
	p2c := list[slices.Index(names, "p2c")]
	if len(p2c.Params) != 1 || p2c.Params[0].Name != "choices" || p2c.Params[0].Default != "2" {
		t.Errorf("p2c params = %+v", p2c.Params)
	}
	list[0].Name = "changed"
	p2c.Params[0].Name = "changed"
	if again := List(); again[0].Name == "changed" || again[slices.Index(names, "p2c")].Params[0].Name == "changed" {
		t.Error("List shares its result with the registry")
	}
}

func TestNewDefaults(t *testing.T) {
	for _, info := range List() {
		for _, params := range []map[string]any{nil, {}} {
			if _, err := New(info.Name, params, rand.NewPCG(1, 2)); err != nil {
				t.Errorf("New(%q, %v): %v", info.Name, params, err)
			}
		}
	}
}

func TestNewUnknownAlgorithm(t *testing.T) {
	_, err := New("round_robin", nil, rand.NewPCG(1, 2))
	if err == nil {
		t.Fatal("no error")
	}
	const want = `algorithms: unknown algorithm "round_robin" (known: bounded-load-hash, ip-hash, join-idle-queue, least-connections, least-response-time, maglev, p2c, peak-ewma, prequal, random, ring-hash, round-robin, sticky, weighted-least-connections, weighted-random, weighted-round-robin)`
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if err := Validate("nope", nil, 3); err == nil || !strings.Contains(err.Error(), "p2c") {
		t.Fatalf("Validate: %v", err)
	}
}

func TestNewNilSource(t *testing.T) {
	if _, err := New("random", nil, nil); err == nil {
		t.Fatal("New with a nil source: no error")
	}
}

func TestParams(t *testing.T) {
	for _, c := range []struct {
		name     string
		params   map[string]any
		backends int    // for Validate; 0 = New and Validate without a count
		want     string // error; "" = valid
	}{
		{"p2c", map[string]any{"choices": 3}, 0, ""},
		{"p2c", map[string]any{"choices": 3.0}, 0, ""},
		{"p2c", map[string]any{"choices": int64(3)}, 0, ""},
		{"p2c", map[string]any{"choices": uint64(3)}, 3, ""},
		{"p2c", map[string]any{"choices": 1}, 1, ""},
		{"p2c", map[string]any{"choices": 0}, 0, `p2c: param "choices": must be an integer >= 1, got 0`},
		{"p2c", map[string]any{"choices": -2}, 0, `p2c: param "choices": must be an integer >= 1, got -2`},
		{"p2c", map[string]any{"choices": 2.5}, 0, `p2c: param "choices": must be an integer >= 1, got 2.5`},
		{"p2c", map[string]any{"choices": "two"}, 0, `p2c: param "choices": must be an integer >= 1, got "two" (a string)`},
		{"p2c", map[string]any{"choices": nil}, 0, `p2c: param "choices": must be an integer >= 1, got nothing`},
		{"p2c", map[string]any{"choices": true}, 0, `p2c: param "choices": must be an integer >= 1, got true (bool)`},
		{"p2c", map[string]any{"choices": 1e300}, 0, `p2c: param "choices": must be an integer >= 1, got 1e+300`},
		{"p2c", map[string]any{"choices": 4}, 3, `p2c: param "choices": must be <= the number of backends (3), got 4`},
		{"p2c", map[string]any{"choice": 2}, 0, `p2c: param "choice": unknown parameter (known: choices)`},
		{"p2c", map[string]any{"zeta": 1, "alpha": 1, "choices": 0}, 0, `p2c: param "alpha": unknown parameter (known: choices)`},
		{"random", map[string]any{"choices": 2}, 0, `random: param "choices": unknown parameter (random takes no parameters)`},
		{"round-robin", map[string]any{"label": "rr"}, 0, `round-robin: param "label": unknown parameter (round-robin takes no parameters)`},
	} {
		check := func(what string, err error) {
			t.Helper()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s(%s, %v): %v", what, c.name, c.params, err)
			case c.want == "":
			case err == nil:
				t.Errorf("%s(%s, %v): no error, want %s", what, c.name, c.params, c.want)
			case err.Error() != c.want:
				t.Errorf("%s(%s, %v):\n got %s\nwant %s", what, c.name, c.params, err, c.want)
			default:
				var pe *ParamError
				if !errors.As(err, &pe) || pe.Algorithm != c.name || errors.Unwrap(err) == nil {
					t.Errorf("%s(%s, %v): %#v is not a *ParamError for %s", what, c.name, c.params, err, c.name)
				}
			}
		}
		check("Validate", Validate(c.name, c.params, c.backends))
		if c.backends == 0 {
			_, err := New(c.name, c.params, rand.NewPCG(1, 2))
			check("New", err)
		}
	}
}

func TestValidateWithoutBackendCount(t *testing.T) {
	if err := Validate("p2c", map[string]any{"choices": 100}, 0); err != nil {
		t.Fatalf("backends 0 skips the count check: %v", err)
	}
}

func TestFloatParam(t *testing.T) {
	q := floatParam{name: "balance_factor", def: 1.25, above: 1, doc: "c"}
	if got := q.info(); got.Default != "1.25" {
		t.Errorf("info: %+v", got)
	}
	for _, c := range []struct {
		in   any
		want float64
		err  string
	}{
		{2, 2, ""},
		{1.5, 1.5, ""},
		{1, 1.25, `x: param "balance_factor": must be a number > 1, got 1`},
		{"2", 1.25, `x: param "balance_factor": must be a number > 1, got "2" (a string)`},
	} {
		p := &paramReader{alg: "x", params: map[string]any{"balance_factor": c.in}}
		got := q.read(p)
		err := p.done()
		if got != c.want || (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("read(%v) = %v, %v; want %v, %s", c.in, got, err, c.want, c.err)
		}
	}
	p := &paramReader{alg: "x"}
	if got := q.read(p); got != 1.25 || p.done() != nil {
		t.Errorf("absent: %v", got)
	}
}

func TestLockedSource(t *testing.T) {
	a, b := rand.NewPCG(1, 2), LockedSource(rand.NewPCG(1, 2))
	for range 10 {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("LockedSource changed the stream: %d != %d", x, y)
		}
	}
}
