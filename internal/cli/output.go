package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// timestampLayout names default run directories: 20261122T010203Z.
const timestampLayout = "20060102T150405Z"

// OutputDir creates and returns the directory a run writes into: out if
// set, else results/runs/<name>/<UTC start time><suffix>/ (suffix "-real"
// gives 20261122T010203Z-real), with a -2, -3... suffix if a run that
// started in the same second already took that name. created is true if
// the last element did not exist before.
func OutputDir(out, name string, start time.Time, suffix string) (dir string, created bool, err error) {
	if out != "" {
		_, statErr := os.Stat(out)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", false, err
		}
		return out, errors.Is(statErr, fs.ErrNotExist), nil
	}
	parent := filepath.Join("results", "runs", report.FileLabel(name))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", false, err
	}
	stamp := start.UTC().Format(timestampLayout) + suffix
	for i := 1; ; i++ {
		dir = filepath.Join(parent, stamp)
		if i > 1 {
			dir += "-" + strconv.Itoa(i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, true, nil
		}
		if !errors.Is(err, fs.ErrExist) || i >= 100 {
			return "", false, err
		}
	}
}

// PrintLoadError reports why a scenario could not be loaded. The loader's
// own errors already begin with file:line, so they are printed as they are,
// one per line, for editors to jump to; others get the command's prefix
// ("sim run").
func PrintLoadError(w io.Writer, prefix string, err error) {
	var one *scenarios.Error
	var many scenarios.Errors
	if errors.As(err, &one) || errors.As(err, &many) {
		fmt.Fprintln(w, strings.TrimRight(err.Error(), "\n"))
		return
	}
	fmt.Fprintf(w, "%s: %v\n", prefix, err)
}
