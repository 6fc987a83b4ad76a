package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Staged is a run directory being written. Every file goes first into a
// hidden sibling of the final directory, named .<final>.partial-<random>,
// and Commit moves the whole directory into place with one rename, so a
// run directory is either whole or absent: a run interrupted while its
// results were being written (its charts can take seconds) leaves at most a
// directory whose name says it is partial, and none when the interruption
// is a signal the command catches (it calls Abort).
//
// The final directory is the one OutputDir would choose: out if set, else
// results/runs/<name>/<UTC start><suffix>, with -2, -3... if taken. An out
// that already exists and holds files gets the new files moved in one by
// one, each replacing its namesake whole; the others are left as they were.
type Staged struct {
	out    string // --out, or ""
	parent string // where final goes
	stamp  string // final's name without the -N suffix
	tmp    string
}

// StageDir creates the staging directory of a run's results.
func StageDir(out, name string, start time.Time, suffix string) (*Staged, error) {
	s := &Staged{out: out}
	if out != "" {
		s.parent, s.stamp = filepath.Dir(filepath.Clean(out)), filepath.Base(filepath.Clean(out))
	} else {
		s.parent = filepath.Join("results", "runs", report.FileLabel(name))
		s.stamp = start.UTC().Format(timestampLayout) + suffix
	}
	if err := os.MkdirAll(s.parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(s.parent, "."+s.stamp+".partial-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s.tmp = tmp
	return s, nil
}

// Dir is where the results are to be written until Commit.
func (s *Staged) Dir() string { return s.tmp }

// Abort removes the staging directory and everything in it.
func (s *Staged) Abort() {
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
		s.tmp = ""
	}
}

// Commit moves the results into place and returns where they are. ctx is
// checked first: if it has ended (the command was interrupted), nothing is
// moved, the staging directory is removed and ctx's error returned.
func (s *Staged) Commit(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		s.Abort()
		return "", err
	}
	if s.out != "" {
		return s.commitOut()
	}
	for i := 1; ; i++ {
		dir := filepath.Join(s.parent, s.stamp)
		if i > 1 {
			dir += "-" + strconv.Itoa(i)
		}
		// rename(2) replaces an empty directory and refuses one with files.
		err := os.Rename(s.tmp, dir)
		if err == nil {
			s.tmp = ""
			return dir, syncDir(s.parent)
		}
		if !isTaken(err) || i >= 100 {
			s.Abort()
			return "", err
		}
	}
}

// commitOut moves the results to --out: in one rename if it is absent or
// empty, else file by file.
func (s *Staged) commitOut() (string, error) {
	err := os.Rename(s.tmp, s.out)
	if err == nil {
		s.tmp = ""
		return s.out, syncDir(s.parent)
	}
	if !isTaken(err) {
		s.Abort()
		return "", err
	}
	info, statErr := os.Stat(s.out)
	if statErr != nil || !info.IsDir() {
		s.Abort()
		return "", fmt.Errorf("--out %s: not a directory", s.out)
	}
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		s.Abort()
		return "", err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(s.tmp, e.Name()), filepath.Join(s.out, e.Name())); err != nil {
			s.Abort()
			return "", err
		}
	}
	s.Abort()
	return s.out, syncDir(s.out)
}

// isTaken reports whether a rename failed because its target exists and is
// not an empty directory.
func isTaken(err error) bool {
	return errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
