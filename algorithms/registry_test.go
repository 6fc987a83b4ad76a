package algorithms

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
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
	q := Float{Name: "balance_factor", Default: 1.25, Above: 1, Doc: "c"}
	if got := q.Info(); got.Default != "1.25" {
		t.Errorf("info: %+v", got)
	}
	read := func(raw map[string]any) (float64, error) {
		p, err := decodeParams("x", []Param{q}, raw)
		if err != nil {
			return q.Default, err
		}
		return p.Float(q.Name), nil
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
		got, err := read(map[string]any{"balance_factor": c.in})
		if got != c.want || (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("read(%v) = %v, %v; want %v, %s", c.in, got, err, c.want, c.err)
		}
	}
	if got, err := read(nil); got != 1.25 || err != nil {
		t.Errorf("absent: %v, %v", got, err)
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

// testSpec is a valid strategy to register: random with a param of each kind.
func testSpec(name string) Spec {
	return Spec{
		Name:    name,
		Summary: "random, with params",
		Params: []Param{
			Int{Name: "k", Default: 2, Min: 1, Doc: "k"},
			Float{Name: "f", Default: 0.5, Doc: "f", Check: func(f float64) error {
				if f > 1 {
					return fmt.Errorf("must be <= 1, got %v", f)
				}
				return nil
			}},
			Duration{Name: "window", Default: time.Second, Doc: "w"},
			String{Name: "mode", Default: "fast", OneOf: []string{"fast", "fair"}, Doc: "m"},
		},
		New: func(p Params, src rand.Source) (Balancer, error) {
			if p.String("mode") == "fair" && p.Duration("window") > time.Minute {
				return nil, errors.New("fair mode needs a window of at most 1m")
			}
			_ = p.Int("k") + int(p.Float("f"))
			return newRandom(src), nil
		},
		Fits: func(p Params, backends int) error {
			if k := p.Int("k"); k > backends {
				return &ParamError{Param: "k", Err: fmt.Errorf("must be <= the number of backends (%d), got %d", backends, k)}
			}
			if backends > 100 {
				return errors.New("takes at most 100 backends")
			}
			return nil
		},
	}
}

func register(t *testing.T, s Spec) {
	t.Helper()
	if err := Register(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Unregister(s.Name) })
}

func TestRegister(t *testing.T) {
	register(t, testSpec("my-random"))
	names := []string{}
	for _, info := range List() {
		names = append(names, info.Name)
	}
	if !slices.IsSorted(names) || !slices.Contains(names, "my-random") {
		t.Fatalf("List after Register: %v", names)
	}
	if _, err := New("my-random", map[string]any{"k": 3, "f": 1, "window": "2s", "mode": "fair"}, rand.NewPCG(1, 2)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		params   map[string]any
		backends int
		want     string
	}{
		{map[string]any{"k": 0}, 0, `my-random: param "k": must be an integer >= 1, got 0`},
		{map[string]any{"f": 2}, 0, `my-random: param "f": must be <= 1, got 2`},
		{map[string]any{"f": 0}, 0, `my-random: param "f": must be a number > 0, got 0`},
		{map[string]any{"window": 5}, 0, `my-random: param "window": must be a duration > 0 (e.g. 1s), got 5`},
		{map[string]any{"mode": "slow"}, 0, `my-random: param "mode": must be one of fast, fair, got "slow"`},
		{map[string]any{"kk": 1}, 0, `my-random: param "kk": unknown parameter (known: k, f, window, mode)`},
		{map[string]any{"k": 4}, 3, `my-random: param "k": must be <= the number of backends (3), got 4`},
		{nil, 101, `algorithms: my-random: takes at most 100 backends`},
	} {
		err := Validate("my-random", c.params, c.backends)
		if err == nil || err.Error() != c.want {
			t.Errorf("Validate(%v, %d) = %v, want %s", c.params, c.backends, err, c.want)
		}
		var pe *ParamError
		if isParam := errors.As(err, &pe); isParam != strings.Contains(c.want, "param") {
			t.Errorf("Validate(%v, %d) = %#v: *ParamError %v", c.params, c.backends, err, isParam)
		}
	}
	_, err := New("my-random", map[string]any{"mode": "fair", "window": "1h"}, rand.NewPCG(1, 2))
	if want := "algorithms: my-random: fair mode needs a window of at most 1m"; err == nil || err.Error() != want {
		t.Errorf("New's own error: %v, want %s", err, want)
	}
	if err := Validate("sticky", map[string]any{"base": "my-random"}, 0); err == nil ||
		!strings.Contains(err.Error(), `unknown algorithm "my-random"`) {
		t.Errorf("sticky over a registered base: %v", err)
	}
	if !Unregister("my-random") || Unregister("my-random") {
		t.Error("Unregister: wrong report")
	}
	if _, ok := Lookup("my-random"); ok {
		t.Error("still there after Unregister")
	}
}

func TestRegisterRefuses(t *testing.T) {
	register(t, testSpec("taken"))
	bad := func(mod func(*Spec)) Spec {
		s := testSpec("fine")
		mod(&s)
		return s
	}
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{bad(func(s *Spec) { s.Name = "" }), `algorithms: Register(""): empty name: use lower-case words`},
		{bad(func(s *Spec) { s.Name = "My_P2C" }), `algorithms: Register("My_P2C"): name "My_P2C" is not kebab-case`},
		{bad(func(s *Spec) { s.Name = "p2c" }), `algorithms: Register("p2c"): a built-in algorithm has that name; choose another`},
		{bad(func(s *Spec) { s.Name = "taken" }), `algorithms: Register("taken"): already registered`},
		{bad(func(s *Spec) { s.New = nil }), `nil New: a Spec must say how to build its balancer`},
		{bad(func(s *Spec) { s.Params = append(s.Params, Int{Name: "k", Default: 1}) }), `param "k" is declared twice`},
		{bad(func(s *Spec) { s.Params = []Param{Int{Name: "label"}} }), `param "label": scenario files use "label" for the algorithm itself`},
		{bad(func(s *Spec) { s.Params = []Param{Int{Name: "tableSize"}} }), `param "tableSize": the name must be snake_case`},
		{bad(func(s *Spec) { s.Params = []Param{Int{Name: "n", Default: 0, Min: 1}} }),
			`param "n": the default 0 is refused by the parameter itself: must be an integer >= 1, got 0`},
		{bad(func(s *Spec) { s.Params = []Param{Duration{Name: "d"}} }), `param "d": the default 0s is refused`},
		{bad(func(s *Spec) { s.Params = []Param{nil} }), `Params[0] is nil`},
	} {
		err := Register(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Register(%q) = %v, want %s", c.spec.Name, err, c.want)
		}
	}
	if _, ok := Lookup("fine"); ok {
		t.Error("a refused Spec was registered")
	}
}

func TestRegisterConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		for range 2 { // each name twice: exactly one wins
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- Register(testSpec(fmt.Sprintf("conc-%d", i)))
				_ = List()
			}()
		}
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
		}
	}
	for i := range 20 {
		if !Unregister(fmt.Sprintf("conc-%d", i)) {
			t.Errorf("conc-%d not registered", i)
		}
	}
	if failed != 20 {
		t.Errorf("%d duplicate registrations refused, want 20", failed)
	}
}

func TestParamsGetterMisuse(t *testing.T) {
	p, err := decodeParams("x", []Param{Int{Name: "k", Default: 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { p.Int("j") }, `algorithms: x: Params.Int("j"): no such parameter (declared: k)`},
		{func() { p.Float("k") }, `algorithms: x: Params.Float("k"): the parameter is an Int, read it with its own getter`},
	} {
		func() {
			defer func() {
				if r := recover(); r != c.want {
					t.Errorf("panic %v, want %s", r, c.want)
				}
			}()
			c.f()
		}()
	}
}

func TestSpecBuild(t *testing.T) {
	s := testSpec("unregistered")
	b, err := s.Build(map[string]any{"k": 2}, rand.NewPCG(1, 2))
	if err != nil || b == nil {
		t.Fatalf("Build: %v", err)
	}
	if _, ok := Lookup("unregistered"); ok {
		t.Error("Build registered the Spec")
	}
	s.Name = "Bad"
	if _, err := s.Build(nil, rand.NewPCG(1, 2)); err == nil || !strings.Contains(err.Error(), "not kebab-case") {
		t.Errorf("Build of a bad Spec: %v", err)
	}
	s = testSpec("nil-balancer")
	s.New = func(Params, rand.Source) (Balancer, error) { return nil, nil }
	if _, err := s.Build(nil, rand.NewPCG(1, 2)); err == nil || !strings.Contains(err.Error(), "no balancer and no error") {
		t.Errorf("Build of a Spec whose New returns nothing: %v", err)
	}
}
