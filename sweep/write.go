package sweep

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
	"github.com/fulcrum-lb/fulcrum/report"
)

// Names of the files WriteDir writes.
const (
	SweepJSON = "sweep.json"
	SweepCSV  = "sweep.csv"
)

// WriteDir writes sweep.json, sweep.csv and, if run is not nil, run.json
// into dir, which must exist. As report.WriteDir does, it encodes and stages
// every file before renaming any into place, so an error leaves none of
// them behind and no file is ever half-written.
func WriteDir(dir string, sw *report.Sweep, run *report.Run) error {
	if sw == nil {
		return errors.New("sweep: nil sweep")
	}
	var files []atomicfile.File
	for _, f := range []struct {
		name   string
		encode func() ([]byte, error)
	}{
		{SweepJSON, func() ([]byte, error) { return EncodeJSON(sw) }},
		{SweepCSV, func() ([]byte, error) { return EncodeCSV(sw) }},
		{report.RunJSON, func() ([]byte, error) { return marshalIndent(run) }},
	} {
		if f.name == report.RunJSON && run == nil {
			continue
		}
		data, err := f.encode()
		if err != nil {
			return fmt.Errorf("sweep: %s: %w", f.name, err)
		}
		files = append(files, atomicfile.File{Name: f.name, Data: data})
	}
	if err := atomicfile.WriteAll(dir, files); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

// EncodeJSON returns the bytes of sweep.json: indented JSON and a newline.
// The same Sweep gives the same bytes; NaN and infinities are an error.
func EncodeJSON(sw *report.Sweep) ([]byte, error) { return marshalIndent(sw) }

func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CSVHeader is sweep.csv's header: the value and the label, each figure's
// mean and 95% half-width, and the theory curve's value for the label
// (empty where there is none; -1 where the model is unstable).
var CSVHeader = func() []string {
	h := []string{"value", "label"}
	for _, f := range Figures {
		h = append(h, f, f+"_ci95")
	}
	return append(h, "theory_mean_ms")
}()

// EncodeCSV returns sweep.csv: the header, then one row per point in the
// order of sw.Points. Numbers are written in the shortest form that reads
// back exactly.
func EncodeCSV(sw *report.Sweep) ([]byte, error) {
	theory := map[string][]float64{}
	for _, c := range sw.Theory {
		if c.Figure == "mean_ms" && len(c.Values) == len(sw.Values) {
			theory[c.Label] = c.Values
		}
	}
	index := make(map[float64]int, len(sw.Values))
	for i, v := range sw.Values {
		index[v] = i
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(CSVHeader)
	for _, p := range sw.Points {
		row := []string{ftoa(p.Value), p.Label}
		for _, f := range Figures {
			st := p.Figures[f]
			row = append(row, ftoa(st.Mean), ftoa(st.CI95))
		}
		th := ""
		if c, ok := theory[p.Label]; ok {
			if i, ok := index[p.Value]; ok {
				th = ftoa(c[i])
			}
		}
		w.Write(append(row, th))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// Read reads a sweep.json written by WriteDir: path is the file or the
// directory holding it.
func Read(path string) (*report.Sweep, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		path = filepath.Join(path, SweepJSON)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no %s here; is this a sweep's directory?", path, SweepJSON)
		}
		return nil, err
	}
	var sw report.Sweep
	if err := json.Unmarshal(data, &sw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sw.Param == "" || len(sw.Values) == 0 || len(sw.Labels) == 0 {
		return nil, fmt.Errorf("%s: not a sweep (no param, values or labels)", path)
	}
	return &sw, nil
}
