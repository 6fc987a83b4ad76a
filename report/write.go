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

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
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
	type encoder struct {
		name   string
		encode func() ([]byte, error)
	}
	encoders := []encoder{
		{SummaryJSON, func() ([]byte, error) { return EncodeSummary(s) }},
		{SummaryCSV, func() ([]byte, error) { return encodeCSV(s) }},
	}
	if run != nil {
		encoders = append(encoders, encoder{RunJSON, func() ([]byte, error) { return marshalIndent(run) }})
	}
	files := make([]atomicfile.File, 0, len(encoders))
	for _, e := range encoders {
		data, err := e.encode()
		if err != nil {
			return fmt.Errorf("report: %s: %w", e.name, err)
		}
		files = append(files, atomicfile.File{Name: e.name, Data: data})
	}
	if err := atomicfile.WriteAll(dir, files); err != nil {
		return fmt.Errorf("report: %w", err)
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
// newer Fulcrum) are ignored; events from an older one, without a kind,
// are typed from their words (Event.Typed).
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
	TypeEvents(&s)
	return &s, nil
}
