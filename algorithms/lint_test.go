package algorithms

// The lint of DESIGN.md §2: nothing in this package reads a clock, sleeps,
// sets a timer, starts a goroutine, does I/O, prints, uses package-level
// randomness or registers itself in init. It walks the syntax tree of every
// non-test file of the package.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// bannedImports are packages that do I/O or talk to the process; a trailing
// "/" bans the whole tree below.
var bannedImports = []string{
	"math/rand", // v1: a package-level generator seeded at random
	"os", "os/", "io", "io/", "bufio", "net", "net/", "log", "log/", "syscall",
}

// bannedSelectors lists, per import path, the names that may not be used
// (nil: see allowedSelectors).
var bannedSelectors = map[string][]string{
	"time": {"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"},
}

// allowedSelectors lists, per import path, the only names that may be used.
var allowedSelectors = map[string][]string{
	// Constructors and types; every package-level function (IntN, Uint64,
	// Shuffle, N, ...) draws from the global generator.
	"math/rand/v2": {"New", "NewPCG", "NewChaCha8", "Source", "Rand", "PCG", "ChaCha8"},
	// Formatting into values, never printing.
	"fmt": {"Errorf", "Sprintf", "Stringer"},
}

// lint returns one finding per violation in the file, as "file:line: what".
func lint(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(pos token.Pos, format string, args ...any) {
		p := fset.Position(pos)
		out = append(out, p.Filename+":"+strconv.Itoa(p.Line)+": "+fmt.Sprintf(format, args...))
	}
	imports := map[string]string{} // local name -> import path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		for _, b := range bannedImports {
			if path == b || strings.HasSuffix(b, "/") && strings.HasPrefix(path, b) {
				report(imp.Pos(), "import of %q", path)
			}
		}
		name := importName(path)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "." {
			report(imp.Pos(), "dot import of %q hides what it uses from this lint", path)
		}
		imports[name] = path
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), "go statement")
		case *ast.FuncDecl:
			if n.Recv == nil && n.Name.Name == "init" {
				report(n.Pos(), "init function (the registry is a static table)")
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
				report(n.Pos(), "call of builtin %s", id.Name)
			}
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				break
			}
			path, ok := imports[id.Name]
			if !ok {
				break
			}
			sel := n.Sel.Name
			if banned, ok := bannedSelectors[path]; ok && slices.Contains(banned, sel) {
				report(n.Pos(), "use of %s.%s", path, sel)
			}
			if allowed, ok := allowedSelectors[path]; ok && !slices.Contains(allowed, sel) {
				report(n.Pos(), "use of %s.%s (allowed: %s)", path, sel, strings.Join(allowed, ", "))
			}
		}
		return true
	})
	return out
}

var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// importName is the package name an import path declares by convention:
// its last element, or the one before a major-version suffix.
func importName(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) > 1 && majorVersion.MatchString(parts[len(parts)-1]) {
		return parts[len(parts)-2]
	}
	return parts[len(parts)-1]
}

func TestLint(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, finding := range lint(fset, f) {
			t.Error(finding)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("linted only %d files", checked)
	}
}

func TestLintCatches(t *testing.T) {
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
	got := lint(fset, f)
	want := []string{
		`bad.go:5: import of "io"`,
		`bad.go:6: import of "math/rand"`,
		`bad.go:8: import of "net/http"`,
		`bad.go:9: import of "os/exec"`,
		`bad.go:11: dot import of "strings" hides what it uses from this lint`,
		`bad.go:14: init function (the registry is a static table)`,
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
