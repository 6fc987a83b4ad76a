package algotest

import (
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

func TestImpuritiesCatches(t *testing.T) {
	// The lint itself, on a file that breaks every rule once.
	const bad = `package bad

import (
	"fmt"
	"io"
	mrand "math/rand"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"time"
	. "strings"
)

func init() {}

func f() {
	go func() {}()
	_ = time.Now()
	_ = time.Since(0)
	t := time.NewTimer(time.Second)
	_ = t
	_ = rand.IntN(3)
	_ = rand.New(rand.NewPCG(1, 2)) // fine
	fmt.Println("x")
	_ = fmt.Sprintf("fine")
	println()
	var _ time.Duration // fine
	_, _, _, _, _ = io.EOF, mrand.Int, http.Get, exec.Command, ToUpper
	f := time.After
	_ = f
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "bad.go", bad, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	got := impurities(fset, f)
	want := []string{
		`bad.go:5: import of "io"`,
		`bad.go:6: import of "math/rand"`,
		`bad.go:8: import of "net/http"`,
		`bad.go:9: import of "os/exec"`,
		`bad.go:11: dot import of "strings" hides what it uses from this lint`,
		`bad.go:14: init function (register strategies explicitly, with algorithms.Register)`,
		`bad.go:17: go statement`,
		`bad.go:18: use of time.Now`,
		`bad.go:19: use of time.Since`,
		`bad.go:20: use of time.NewTimer`,
		`bad.go:22: use of math/rand/v2.IntN (allowed: New, NewPCG, NewChaCha8, Source, Rand, PCG, ChaCha8)`,
		`bad.go:24: use of fmt.Println (allowed: Errorf, Sprintf, Stringer)`,
		`bad.go:26: call of builtin println`,
		`bad.go:29: use of time.After`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("lint found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
