package cli

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

func TestOutputDir(t *testing.T) {
	t.Chdir(t.TempDir())
	start := time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)
	for _, suffix := range []string{"", "-real"} {
		for _, want := range []string{"20261122T010203Z" + suffix, "20261122T010203Z" + suffix + "-2"} {
			dir, created, err := OutputDir("", "a/b", start, suffix)
			if err != nil || !created || dir != filepath.Join("results", "runs", "a_b", want) {
				t.Errorf("OutputDir = %q, %v, %v; want results/runs/a_b/%s, created", dir, created, err, want)
			}
		}
	}
	out := filepath.Join(t.TempDir(), "x", "y")
	if dir, created, err := OutputDir(out, "n", start, ""); err != nil || !created || dir != out {
		t.Errorf("OutputDir(--out %s) = %q, %v, %v", out, dir, created, err)
	}
	if _, created, err := OutputDir(out, "n", start, ""); err != nil || created {
		t.Errorf("OutputDir(--out %s) again: created %v, %v; want an existing directory", out, created, err)
	}
}

func TestPrintLoadError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&scenarios.Error{File: "x.yaml", Line: 3, Path: "seed", Msg: "bad"}, "x.yaml:3: seed: bad\n"},
		{errors.New("open x.yaml: no such file"), "sim run: open x.yaml: no such file\n"},
	} {
		var buf bytes.Buffer
		PrintLoadError(&buf, "sim run", tc.err)
		if buf.String() != tc.want {
			t.Errorf("PrintLoadError(%v) wrote %q, want %q", tc.err, buf.String(), tc.want)
		}
	}
}
