package algorithms_test

// The purity lint of DESIGN.md §2 on this package: nothing here reads a
// clock, sleeps, sets a timer, starts a goroutine, does I/O, prints, uses
// package-level randomness or registers itself in init.

import (
	"path/filepath"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms/algotest"
)

func TestLint(t *testing.T) {
	algotest.CheckPurity(t, ".")
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("only %d files here: is the lint looking at the right directory?", len(files))
	}
}
