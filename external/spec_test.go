package external

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

func TestCommandWords(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
		err  string
	}{
		{"python3 my_lb.py", []string{"python3", "my_lb.py"}, ""},
		{"  python3   my_lb.py  ", []string{"python3", "my_lb.py"}, ""},
		{`sh -c 'exec python3 "a b.py" --x'`, []string{"sh", "-c", `exec python3 "a b.py" --x`}, ""},
		{`prog "" x`, []string{"prog", "", "x"}, ""},
		{`prog "it's"`, []string{"prog", "it's"}, ""},
		{"", nil, "required"},
		{"   ", nil, "required"},
		{`prog "open`, nil, "unclosed"},
	} {
		got, err := commandWords(tc.line)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, %v; want an error about %q", tc.line, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, %v; want %q", tc.line, got, err, tc.want)
		}
	}
}

// TestSpec: the Spec validates as a scenario's algorithm does (a missing
// command is a *ParamError naming it) and builds a working balancer whose
// process gets the params.
func TestSpec(t *testing.T) {
	if err := algorithms.Register(Spec); err != nil {
		t.Fatal(err)
	}
	defer algorithms.Unregister(Spec.Name)
	err := algorithms.Validate("external", map[string]any{"params": map[string]any{"x": 1}}, 3)
	var pe *algorithms.ParamError
	if !errors.As(err, &pe) || pe.Param != "command" || !strings.Contains(err.Error(), "required") {
		t.Errorf("no command: %v", err)
	}
	if err := algorithms.Validate("external", map[string]any{"command": "x", "params": 3}, 3); err == nil || !strings.Contains(err.Error(), `param "params": must be a mapping`) {
		t.Errorf("params not a mapping: %v", err)
	}
	needPython(t)
	leakcheck.Check(t)
	b, err := algorithms.New("external", map[string]any{"command": strings.Join(leastLoaded, " "), "params": map[string]any{"alpha": 0.5}}, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer b.(*Balancer).Close()
	b.Update(0, []algorithms.Backend{{ID: 0, Name: "a", Weight: 1, Healthy: false}, {ID: 1, Name: "b", Weight: 1, Healthy: true}})
	if id, err := b.Pick(algorithms.Request{Key: 7}); id != 1 || err != nil {
		t.Errorf("Pick = %d, %v; want the one healthy backend", id, err)
	}
}
