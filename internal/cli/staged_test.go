package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// names lists dir's entries, hidden ones included.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func stageWith(t *testing.T, out string, files ...string) *Staged {
	t.Helper()
	st, err := StageDir(out, "a/b", time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC), "-x")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(st.Dir(), f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestStagedDefaultDir(t *testing.T) {
	t.Chdir(t.TempDir())
	parent := filepath.Join("results", "runs", "a_b")
	for i, want := range []string{"20261122T010203Z-x", "20261122T010203Z-x-2"} {
		st := stageWith(t, "", "summary.json")
		// Until Commit the results are in a hidden, partial directory only.
		if got := names(t, parent); len(got) != i+1 || got[0][0] != '.' && got[len(got)-1][0] != '.' {
			t.Errorf("before Commit %d: %v", i, got)
		}
		dir, err := st.Commit(context.Background())
		if err != nil || dir != filepath.Join(parent, want) {
			t.Fatalf("Commit = %q, %v; want %s", dir, err, want)
		}
		if got := names(t, dir); !slices.Equal(got, []string{"summary.json"}) {
			t.Errorf("%s holds %v", dir, got)
		}
	}
	if got := names(t, parent); !slices.Equal(got, []string{"20261122T010203Z-x", "20261122T010203Z-x-2"}) {
		t.Errorf("%s holds %v: a staging directory was left", parent, got)
	}
}

func TestStagedOut(t *testing.T) {
	base := t.TempDir()
	// Absent, then empty: one rename.
	for _, pre := range []bool{false, true} {
		out := filepath.Join(base, "out")
		os.RemoveAll(out)
		if pre {
			os.Mkdir(out, 0o755)
		}
		dir, err := stageWith(t, out, "a", "b").Commit(context.Background())
		if err != nil || dir != out || !slices.Equal(names(t, out), []string{"a", "b"}) {
			t.Errorf("--out (existing %v): %q, %v, holds %v", pre, dir, err, names(t, out))
		}
	}
	// With files: the new ones move in, replacing their namesakes.
	out := filepath.Join(base, "full")
	os.Mkdir(out, 0o755)
	os.WriteFile(filepath.Join(out, "a"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(out, "keep"), []byte("old"), 0o644)
	if _, err := stageWith(t, out, "a", "c").Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := names(t, out); !slices.Equal(got, []string{"a", "c", "keep"}) {
		t.Errorf("--out with files holds %v", got)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "a")); string(data) != "a" {
		t.Errorf("a holds %q, want the new file", data)
	}
	if got := names(t, base); !slices.Equal(got, []string{"full", "out"}) {
		t.Errorf("%s holds %v: a staging directory was left", base, got)
	}
}

// TestStagedInterrupted: a command interrupted before Commit, or that
// aborts, leaves nothing.
func TestStagedInterrupted(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if dir, err := stageWith(t, out, "a").Commit(ctx); err != context.Canceled || dir != "" {
		t.Errorf("Commit after the end: %q, %v", dir, err)
	}
	st := stageWith(t, out, "a")
	st.Abort()
	st.Abort() // twice is fine
	if got := names(t, base); len(got) != 0 {
		t.Errorf("%s holds %v", base, got)
	}
}
