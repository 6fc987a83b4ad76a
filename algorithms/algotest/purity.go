package algotest

// The purity check of DESIGN.md §2: a strategy does not read a clock, sleep,
// set a timer, start a goroutine, do I/O, print, use package-level
// randomness or register itself in init. It walks the syntax tree of every
// non-test file of a package directory.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
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

// Impurities returns one finding per violation in the non-test Go files of
// the package in dir, as "file:line: what", e.g.
//
//	strategy/pick.go:42: use of time.Now
//
// An error means the directory or a file could not be read or parsed, or
// that it holds no Go file.
func Impurities(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var out []string
	files := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		out = append(out, impurities(fset, f)...)
		files++
	}
	if files == 0 {
		return nil, fmt.Errorf("%s: no Go files to check", dir)
	}
	return out, nil
}

// CheckPurity fails t with each violation Impurities finds in the package
// in dir, saying what to do instead.
func CheckPurity(t testing.TB, dir string) {
	t.Helper()
	found, err := Impurities(dir)
	if err != nil {
		t.Fatalf("purity check: %v", err)
		return
	}
	for _, f := range found {
		t.Errorf("%s", f)
	}
	if len(found) > 0 {
		t.Errorf("a strategy reads time from its arguments (Request.Now, the now of Update, Started and Finished), draws randomness from the rand.Source given to New, expires state lazily from stored timestamps, and does no I/O: the simulator must replay it exactly")
	}
}

// impurities returns one finding per violation in the file.
func impurities(fset *token.FileSet, f *ast.File) []string {
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
				report(n.Pos(), "init function (register strategies explicitly, with algorithms.Register)")
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
