package atomicfile

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
)

// Stream is a file written piece by piece that appears at its path whole,
// or not at all: for outputs too large to build in memory (traces,
// imported logs). Its bytes go to a temporary file beside the path; Commit
// renames it into place, Abort removes it.
type Stream struct {
	path string
	f    *os.File
	w    *bufio.Writer
	done bool
}

// Create starts a Stream for path, creating path's directory (mode 0755)
// if it is not there.
func Create(path string) (*Stream, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &Stream{path: path, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// Write appends p.
func (s *Stream) Write(p []byte) (int, error) {
	if s.done {
		return 0, errors.New("atomicfile: write after Commit or Abort")
	}
	return s.w.Write(p)
}

// WriteString appends str.
func (s *Stream) WriteString(str string) (int, error) {
	if s.done {
		return 0, errors.New("atomicfile: write after Commit or Abort")
	}
	return s.w.WriteString(str)
}

// Commit flushes, syncs and renames the file into place. On error the
// temporary file is removed and nothing appears at the path.
func (s *Stream) Commit() (err error) {
	if s.done {
		return errors.New("atomicfile: Commit after Commit or Abort")
	}
	s.done = true
	defer func() {
		if err != nil {
			s.f.Close()
			os.Remove(s.f.Name())
		}
	}()
	if err := s.w.Flush(); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; results are meant to be shared.
	if err := s.f.Chmod(0o644); err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	if err := s.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(s.f.Name(), s.path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(s.path))
}

// Abort removes the temporary file; nothing appears at the path. It is a
// no-op after Commit, so it can be deferred.
func (s *Stream) Abort() {
	if s.done {
		return
	}
	s.done = true
	s.f.Close()
	os.Remove(s.f.Name())
}
