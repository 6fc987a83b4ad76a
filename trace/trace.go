// Package trace reads and writes request traces, the CSV format of
// DESIGN.md §8: one line per request, in arrival order, with what is known
// of it (when it arrived, who sent it, its class, the service it needed,
// the server that answered, the latency the client saw and the outcome).
//
// Traces are what `bench run` and `bench proxy --trace` capture, what the
// importers make of access logs, what `sim fit` fits a scenario to and what
// `process: trace` replays. They can be large, so both sides stream: a
// Reader holds one line at a time, a Writer writes through a temporary file
// that appears at its path only when it is complete.
package trace

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
)

// Columns are the trace's columns, in the order a Writer writes them. A
// Reader accepts any order and any subset that includes time.
var Columns = []string{"time", "client", "class", "service", "server", "latency", "outcome"}

// Unknown marks a duration the trace does not know (an empty field).
const Unknown time.Duration = -1

// Outcomes a trace records (DESIGN.md §8); "" when unknown.
const (
	OK       = "ok"
	Failed   = "failed"
	Rejected = "rejected"
	Timeout  = "timeout"
)

// Record is one request of a trace.
type Record struct {
	Time    time.Duration // arrival, from the trace's start; >= 0
	Client  string        // any string; "" unknown
	Class   string        // "" none
	Service time.Duration // service the request needed at its server; Unknown
	Server  string        // the backend that answered; "" unknown
	Latency time.Duration // as the client saw it; Unknown
	Outcome string        // OK, Failed, Rejected, Timeout or "" (unknown)
}

// Writer writes a trace: the header, then one line per Write. Nothing
// appears at its path until Commit.
type Writer struct {
	s    *atomicfile.Stream
	buf  []byte
	last time.Duration
	n    int64
}

// Create starts a trace at path.
func Create(path string) (*Writer, error) {
	s, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	if _, err := s.WriteString(strings.Join(Columns, ",") + "\n"); err != nil {
		s.Abort()
		return nil, fmt.Errorf("trace: %w", err)
	}
	return &Writer{s: s, buf: make([]byte, 0, 128)}, nil
}

// Write appends r. Records must come in arrival order: a trace's times do
// not go backwards.
func (w *Writer) Write(r Record) error {
	if r.Time < 0 || r.Time < w.last {
		return fmt.Errorf("trace: record %d at %v comes before the previous one at %v", w.n+1, r.Time, w.last)
	}
	w.last = r.Time
	w.n++
	b := w.buf[:0]
	b = appendSeconds(b, r.Time)
	b = append(b, ',')
	b = appendField(b, r.Client)
	b = append(b, ',')
	b = appendField(b, r.Class)
	b = append(b, ',')
	if r.Service >= 0 {
		b = appendSeconds(b, r.Service)
	}
	b = append(b, ',')
	b = appendField(b, r.Server)
	b = append(b, ',')
	if r.Latency >= 0 {
		b = appendSeconds(b, r.Latency)
	}
	b = append(b, ',')
	b = append(b, r.Outcome...)
	b = append(b, '\n')
	w.buf = b
	_, err := w.s.Write(b)
	return err
}

// Last is the time of the last record written.
func (w *Writer) Last() time.Duration { return w.last }

// Count is how many records have been written.
func (w *Writer) Count() int64 { return w.n }

// Commit makes the trace appear at its path, whole.
func (w *Writer) Commit() error { return w.s.Commit() }

// Abort discards the trace; a no-op after Commit, so it can be deferred.
func (w *Writer) Abort() { w.s.Abort() }

// appendSeconds writes d as decimal seconds, exactly (to the nanosecond),
// without trailing zeros: 1.5, 0.000123, 12.
func appendSeconds(b []byte, d time.Duration) []byte {
	b = strconv.AppendInt(b, int64(d/time.Second), 10)
	frac := int64(d % time.Second)
	if frac == 0 {
		return b
	}
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 9
	for n > 0 && digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
}

// appendField writes s, quoted as CSV requires when it holds a comma, a
// quote or a line break.
func appendField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// Error is a problem at one line of a trace.
type Error struct {
	File   string
	Line   int
	Column string // "" for the line as a whole
	Msg    string
}

func (e *Error) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Column, e.Msg)
}

// Reader reads a trace line by line.
type Reader struct {
	file string
	r    *csv.Reader
	col  [7]int // index of each of Columns in a line, -1 if absent
	line int
	last time.Duration
	n    int64
}

// NewReader reads the header of the trace in r (named file in messages)
// and returns a Reader for its lines.
func NewReader(file string, r io.Reader) (*Reader, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 256<<10))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // checked here, with a better message
	rd := &Reader{file: file, r: cr}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{File: file, Line: 1, Msg: "empty: a trace starts with a header line (" + strings.Join(Columns, ",") + ")"}
	}
	if err != nil {
		return nil, rd.csvError(err)
	}
	for i := range rd.col {
		rd.col[i] = -1
	}
	for i, name := range head {
		name = strings.TrimSpace(name)
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a spreadsheet's byte-order mark
		}
		k := slices.Index(Columns, name)
		switch {
		case k < 0:
			return nil, &Error{File: file, Line: 1, Column: fmt.Sprintf("column %d", i+1),
				Msg: fmt.Sprintf("%q is not a trace column (%s)", name, strings.Join(Columns, ", "))}
		case rd.col[k] >= 0:
			return nil, &Error{File: file, Line: 1, Column: name, Msg: "the column appears twice"}
		}
		rd.col[k] = i
	}
	if rd.col[0] < 0 {
		return nil, &Error{File: file, Line: 1, Msg: "no time column: a trace needs at least the arrival times"}
	}
	rd.line = 1
	return rd, nil
}

// Has reports whether the trace has the column named name.
func (rd *Reader) Has(name string) bool {
	k := slices.Index(Columns, name)
	return k >= 0 && rd.col[k] >= 0
}

// Line is the line number of the record Next returned last.
func (rd *Reader) Line() int { return rd.line }

// Next returns the next record, or io.EOF after the last. A malformed line
// is an *Error naming the line and column; so is a time before the
// previous line's.
func (rd *Reader) Next() (Record, error) {
	fields, err := rd.r.Read()
	if err != nil {
		if err == io.EOF {
			return Record{}, io.EOF
		}
		return Record{}, rd.csvError(err)
	}
	rd.line, _ = rd.r.FieldPos(0)
	get := func(k int) string {
		if i := rd.col[k]; i >= 0 && i < len(fields) {
			return strings.TrimSpace(fields[i])
		}
		return ""
	}
	if want := rd.width(); len(fields) != want {
		return Record{}, rd.err("", fmt.Sprintf("%d fields, the header has %d", len(fields), want))
	}
	rec := Record{Client: get(1), Class: get(2), Server: get(4), Service: Unknown, Latency: Unknown}
	t, ok := parseSeconds(get(0))
	if !ok {
		return Record{}, rd.err("time", fmt.Sprintf("%q is not a time in seconds from the start (e.g. 12.5)", get(0)))
	}
	if rd.n > 0 && t < rd.last {
		return Record{}, rd.err("time", fmt.Sprintf("%s comes before the previous line's %s: a trace lists requests in arrival order",
			get(0), string(appendSeconds(nil, rd.last))))
	}
	rec.Time = t
	for _, c := range []struct {
		k   int
		dst *time.Duration
	}{{3, &rec.Service}, {5, &rec.Latency}} {
		s := get(c.k)
		if s == "" {
			continue
		}
		d, ok := parseSeconds(s)
		if !ok {
			return Record{}, rd.err(Columns[c.k], fmt.Sprintf("%q is not a duration in seconds (e.g. 0.012), or empty for unknown", s))
		}
		*c.dst = d
	}
	switch o := get(6); o {
	case "", OK, Failed, Rejected, Timeout:
		rec.Outcome = o
	default:
		return Record{}, rd.err("outcome", fmt.Sprintf("%q is not an outcome (ok, failed, rejected, timeout, or empty)", o))
	}
	rd.last = t
	rd.n++
	return rec, nil
}

// width is the number of fields every line must have: the header's.
func (rd *Reader) width() int {
	n := 0
	for _, i := range rd.col {
		if i >= 0 {
			n++
		}
	}
	return n
}

func (rd *Reader) err(column, msg string) error {
	return &Error{File: rd.file, Line: rd.line, Column: column, Msg: msg}
}

func (rd *Reader) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: rd.file, Line: pe.StartLine, Msg: pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", rd.file, err)
}

// parseSeconds reads decimal seconds (>= 0, finite) into a Duration,
// rounded to the nanosecond. Plain decimals (12.000001) are read exactly,
// digit by digit, so that a long trace's late times keep their
// microseconds; anything else strconv reads (1e-3) goes through a float.
func parseSeconds(s string) (time.Duration, bool) {
	if d, ok := parseDecimal(s); ok {
		return d, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f >= math.MaxInt64/1e9 {
		return 0, false
	}
	return time.Duration(math.Round(f * 1e9)), true
}

func parseDecimal(s string) (time.Duration, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(whole) > 10 {
		return 0, false
	}
	var d int64
	for _, c := range []byte(whole) {
		if c < '0' || c > '9' {
			return 0, false
		}
		d = d*10 + int64(c-'0')
	}
	d *= int64(time.Second)
	scale := int64(time.Second)
	for i, c := range []byte(frac) {
		if c < '0' || c > '9' {
			return 0, false
		}
		if i < 9 {
			scale /= 10
			d += int64(c-'0') * scale
		} else if i == 9 && c >= '5' {
			d++ // round the tenth digit
		}
	}
	return time.Duration(d), true
}

// ReadFile reads the whole trace at path into memory: for tests and small
// traces (large ones are streamed with a Reader).
func ReadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := NewReader(path, f)
	if err != nil {
		return nil, err
	}
	var out []Record
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
}
