package atomicfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// assertDir fails t unless dir holds exactly the files in want, with their
// bytes and mode 0644, and the directories named in dirs.
func assertDir(t *testing.T, dir string, want []File, dirs ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got, wantNames []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	for _, f := range want {
		wantNames = append(wantNames, f.Name)
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.Equal(data, f.Data) {
			t.Errorf("%s holds %q, want %q", f.Name, data, f.Data)
		}
		if fi, err := os.Stat(filepath.Join(dir, f.Name)); err == nil && fi.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", f.Name, fi.Mode().Perm())
		}
	}
	wantNames = append(wantNames, dirs...)
	slices.Sort(wantNames)
	if !slices.Equal(got, wantNames) {
		t.Errorf("%s holds %q, want %q", dir, got, wantNames)
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	files := []File{{"a.json", []byte("{}\n")}, {"b.csv", []byte("x,y\n1,2\n")}, {"empty", nil}}
	if err := WriteAll(dir, files); err != nil {
		t.Fatal(err)
	}
	assertDir(t, dir, files)

	// Overwriting replaces the bytes and leaves no temporary file.
	files[0].Data = []byte(`{"n": 1}` + "\n")
	if err := WriteAll(dir, files[:1]); err != nil {
		t.Fatal(err)
	}
	assertDir(t, dir, files)

	if err := WriteAll(dir, nil); err != nil {
		t.Errorf("WriteAll of no files: %v", err)
	}
}

// A rename that fails (a directory where a file should go) removes the
// temporary files and the files already renamed into place.
func TestWriteAllRenameFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "c", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := []File{{"a", []byte("a")}, {"b", []byte("b")}, {"c", []byte("c")}, {"d", []byte("d")}}
	if err := WriteAll(dir, files); err == nil {
		t.Fatal("WriteAll succeeded over a directory")
	}
	assertDir(t, dir, nil, "c")
}

// A directory that cannot be written to fails the first stage and leaves
// nothing, and old files as they were.
func TestWriteAllReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories")
	}
	dir := t.TempDir()
	old := []File{{"a", []byte("old")}}
	if err := WriteAll(dir, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if err := WriteAll(dir, []File{{"a", []byte("new")}, {"b", []byte("b")}}); err == nil {
		t.Fatal("WriteAll into a read-only directory succeeded")
	}
	assertDir(t, dir, old)
}

func TestWriteAllBadInput(t *testing.T) {
	dir := t.TempDir()
	if err := WriteAll(filepath.Join(dir, "missing"), []File{{"a", []byte("a")}}); err == nil {
		t.Error("WriteAll into a missing directory succeeded")
	}
	for _, name := range []string{"", ".", "..", "sub/a", "/a"} {
		err := WriteAll(dir, []File{{"ok", []byte("ok")}, {name, []byte("x")}})
		if err == nil || !strings.Contains(err.Error(), "not a file name") {
			t.Errorf("WriteAll(%q): %v, want an error naming the bad name", name, err)
		}
	}
	assertDir(t, dir, nil)
}

func TestWrite(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "gallery", "x")
	path := filepath.Join(dir, "chart.svg")
	for _, data := range []string{"<svg/>", "<svg></svg>"} { // the second overwrites
		if err := Write(path, []byte(data)); err != nil {
			t.Fatal(err)
		}
		assertDir(t, dir, []File{{"chart.svg", []byte(data)}})
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("%s: %v, %v; want a directory of mode 0755", dir, fi, err)
	}

	// A directory in the way: an error, and no temporary file.
	if err := Write(dir, []byte("x")); err == nil {
		t.Error("Write over a directory succeeded")
	}
	assertDir(t, filepath.Join(root, "gallery"), nil, "x")
	// A file where the parent directory should be.
	if err := Write(filepath.Join(path, "y"), []byte("y")); err == nil {
		t.Error("Write under a file succeeded")
	}
}

func ExampleWriteAll() {
	dir, err := os.MkdirTemp("", "atomicfile-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	err = WriteAll(dir, []File{
		{"summary.json", []byte("{}\n")},
		{"summary.csv", []byte("label,mean\n")},
	})
	fmt.Println(err)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	// Output:
	// <nil>
	// summary.csv
	// summary.json
}

// TestStream: nothing is at the path until Commit, the whole content after;
// Abort leaves nothing, not even the temporary file.
func TestStream(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "trace.csv")
	s, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	for i := 0; i < 1000; i++ {
		if _, err := s.WriteString("line\n"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the file is at its path before Commit: %v", err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || len(b) != 5000 {
		t.Fatalf("after Commit: %d bytes, %v", len(b), err)
	}
	if _, err := s.WriteString("x"); err == nil {
		t.Error("a write after Commit was accepted")
	}

	a, err := Create(filepath.Join(dir, "aborted.csv"))
	if err != nil {
		t.Fatal(err)
	}
	a.WriteString("half")
	a.Abort()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "sub" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
