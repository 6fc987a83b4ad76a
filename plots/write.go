package plots

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fulcrum-lb/fulcrum/report"
)

// WriteAll draws every chart of s (see Render) into dir, which must exist,
// each as Name.png and Name.svg, and returns the names of the files
// written, in order.
//
// Every file is written atomically: its bytes go to a temporary file in
// dir, which is synced and renamed over the final name. All charts are
// drawn and staged before the first rename, so an error leaves none of
// them behind.
func WriteAll(dir string, s *report.Summary) ([]string, error) {
	charts, err := Render(s, nil)
	if err != nil {
		return nil, err
	}
	var files []file
	for _, c := range charts {
		files = append(files, chartFiles(c)...)
	}
	return writeFiles(dir, files)
}

// WriteReport draws every chart of s as WriteAll does and writes them with
// report.html, which shows them beside the tables, into dir. other, if not
// nil, is the same scenario on the other engine: the page then sets the two
// side by side and overlays their CDFs. It returns the names of the files
// written; like WriteAll, it writes all of them or none.
func WriteReport(dir string, s, other *report.Summary) ([]string, error) {
	charts, err := Render(s, other)
	if err != nil {
		return nil, err
	}
	var files []file
	figs := make([]report.Figure, len(charts))
	for i, c := range charts {
		files = append(files, chartFiles(c)...)
		figs[i] = c.Figure()
	}
	page, err := report.EncodeHTML(s, other, figs)
	if err != nil {
		return nil, err
	}
	files = append(files, file{report.ReportHTML, page})
	return writeFiles(dir, files)
}

type file struct {
	name string
	data []byte
}

func chartFiles(c Chart) []file {
	return []file{{c.Name + ".png", c.PNG}, {c.Name + ".svg", c.SVG}}
}

// writeFiles stages every file in dir, then renames them into place, then
// syncs dir. On error it removes what it wrote.
func writeFiles(dir string, files []file) ([]string, error) {
	staged := make([]string, 0, len(files))
	cleanup := func(from int) {
		for _, tmp := range staged[from:] {
			os.Remove(tmp)
		}
	}
	for _, f := range files {
		tmp, err := stage(dir, f.name, f.data)
		if err != nil {
			cleanup(0)
			return nil, fmt.Errorf("plots: %w", err)
		}
		staged = append(staged, tmp)
	}
	names := make([]string, 0, len(files))
	for i, tmp := range staged {
		if err := os.Rename(tmp, filepath.Join(dir, files[i].name)); err != nil {
			cleanup(i)
			for _, n := range names {
				os.Remove(filepath.Join(dir, n))
			}
			return nil, fmt.Errorf("plots: %w", err)
		}
		names = append(names, files[i].name)
	}
	if err := syncDir(dir); err != nil {
		return names, fmt.Errorf("plots: %w", err)
	}
	return names, nil
}

// stage writes data to a new temporary file in dir named after name, syncs
// and closes it, and returns its path. On error it removes the file.
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
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes it 0600
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

// syncDir makes the renames in dir durable where the system can.
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
