package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Names of the files WriteDir writes into a run directory.
const (
	SummaryJSON = "summary.json"
	SummaryCSV  = "summary.csv"
	RunJSON     = "run.json"
)

// WriteDir writes summary.json, summary.csv and, if run is not nil, run.json
// into dir, which must exist.
//
// Every file is written atomically: its bytes go to a temporary file in dir,
// which is synced and then renamed over the final name, and dir is synced
// last. All files are encoded and staged before the first rename, so an error
// (an unencodable figure such as NaN, a full disk) leaves none of them behind;
// a file that is there is never half-written.
func WriteDir(dir string, s *Summary, run *Run) error {
	if s == nil {
		return errors.New("report: nil summary")
	}
	files := []struct {
		name   string
		encode func() ([]byte, error)
	}{
		{SummaryJSON, func() ([]byte, error) { return EncodeSummary(s) }},
		{SummaryCSV, func() ([]byte, error) { return encodeCSV(s) }},
	}
	if run != nil {
		files = append(files, struct {
			name   string
			encode func() ([]byte, error)
		}{RunJSON, func() ([]byte, error) { return marshalIndent(run) }})
	}

	var staged []string // temporary files, parallel to files
	cleanup := func() {
		for _, tmp := range staged {
			os.Remove(tmp)
		}
	}
	for _, f := range files {
		data, err := f.encode()
		if err != nil {
			cleanup()
			return fmt.Errorf("report: %s: %w", f.name, err)
		}
		tmp, err := stage(dir, f.name, data)
		if err != nil {
			cleanup()
			return fmt.Errorf("report: %w", err)
		}
		staged = append(staged, tmp)
	}
	for i, tmp := range staged {
		if err := os.Rename(tmp, filepath.Join(dir, files[i].name)); err != nil {
			staged = staged[i:]
			cleanup()
			return fmt.Errorf("report: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// stage writes data to a new temporary file in dir, named after name, syncs
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

// EncodeSummary returns the bytes of summary.json: indented JSON with a
// trailing newline. The same Summary always gives the same bytes (struct
// fields in declaration order, map keys sorted). Non-finite numbers (NaN,
// ±Inf) are an error, as JSON cannot hold them.
func EncodeSummary(s *Summary) ([]byte, error) {
	return marshalIndent(s)
}

func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode appends the newline
		return nil, err
	}
	return buf.Bytes(), nil
}

// CSVHeader is the header row of summary.csv.
var CSVHeader = []string{
	"scenario", "engine", "seed", "label", "algorithm",
	"requests", "completed", "rejected", "failed", "timeout",
	"throughput_rps", "mean", "p50", "p90", "p99", "p999", "max", "mean_ci95",
	"jain", "max_over_mean", "cov", "wait_probability",
}

// encodeCSV returns summary.csv: the header, then one row per algorithm in
// the Summary's order. Latencies are in milliseconds; numbers are written in
// the shortest form that reads back exactly.
func encodeCSV(s *Summary) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(CSVHeader)
	seed := strconv.FormatUint(s.Seed, 10)
	for _, a := range s.Algorithms {
		w.Write([]string{
			s.Scenario, s.Engine, seed, a.Label, a.Algorithm,
			itoa(a.Requests), itoa(a.Completed),
			itoa(a.Errors.Rejected), itoa(a.Errors.Failed), itoa(a.Errors.Timeout),
			ftoa(a.ThroughputRPS),
			ftoa(a.Latency.Mean), ftoa(a.Latency.P50), ftoa(a.Latency.P90),
			ftoa(a.Latency.P99), ftoa(a.Latency.P999), ftoa(a.Latency.Max),
			ftoa(a.Latency.MeanCI95),
			ftoa(a.Fairness.Jain), ftoa(a.Fairness.MaxOverMean), ftoa(a.Fairness.CoV),
			ftoa(a.WaitProbability),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// ReadSummary reads a summary.json written by WriteDir. path is the file
// itself or the run directory that holds it. Fields it does not know (from a
// newer Fulcrum) are ignored.
func ReadSummary(path string) (*Summary, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if fi.IsDir() {
		path = filepath.Join(path, SummaryJSON)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("report: %s: no summary.json here; is this a run directory?", path)
		}
		return nil, fmt.Errorf("report: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	return &s, nil
}
