// Package atomicfile writes result files so that a reader never sees half a
// result file, and a failed multi-file write leaves none of them.
//
// Each file's bytes go to a temporary file in the destination directory,
// which is made mode 0644, synced and closed; only when every file is staged
// are they renamed over their final names, and the directory is synced last
// to make the renames durable. A rename within one directory replaces the
// old file in one step, so a reader sees the old file or the new one.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is one file to write: its name in the directory (not a path) and its
// bytes.
type File struct {
	Name string
	Data []byte
}

// WriteAll writes files into dir, which must exist: it stages every file,
// then renames each into place, then syncs dir. On an error before the
// renames are done it removes every temporary file and every file it has
// already renamed into place, so none of files is left behind (a file of
// the same name that was there before the write and has been replaced is
// gone too). An error syncing dir, after all the renames, leaves the files
// in place.
func WriteAll(dir string, files []File) error {
	for _, f := range files {
		if f.Name != filepath.Base(f.Name) || f.Name == "." || f.Name == ".." {
			return fmt.Errorf("%q is not a file name (want a name in %s, not a path)", f.Name, dir)
		}
	}
	staged := make([]string, 0, len(files)) // temporary files, parallel to files
	for _, f := range files {
		tmp, err := stage(dir, f.Name, f.Data)
		if err != nil {
			removeAll(staged)
			return err
		}
		staged = append(staged, tmp)
	}
	for i, tmp := range staged {
		if err := os.Rename(tmp, filepath.Join(dir, files[i].Name)); err != nil {
			removeAll(staged[i:])
			for _, f := range files[:i] {
				os.Remove(filepath.Join(dir, f.Name))
			}
			return err
		}
	}
	return syncDir(dir)
}

// Write writes data to path as WriteAll does, creating path's directory
// (mode 0755) if it is not there.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return WriteAll(dir, []File{{filepath.Base(path), data}})
}

// stage writes data to a new temporary file in dir named after name, makes
// it 0644, syncs and closes it, and returns its path. On error it removes
// the file.
func stage(dir, name string, data []byte) (path string, err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	// CreateTemp makes the file 0600; results are meant to be shared.
	if err := f.Chmod(0o644); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// syncDir makes the renames in dir durable. Some systems cannot sync a
// directory; that is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

func removeAll(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}
