// Package logimport turns load balancers' access logs into traces
// (package trace, DESIGN.md §8), so that Fulcrum can fit and replay the
// traffic an operator already has.
//
// Each format says where a trace's columns come from (Format.Derives):
// the arrival, the client, the backend, the service time the backend
// needed (as near as the log tells it) and the latency the client saw.
// Logs are read as streams, gzip or plain, one line at a time; lines that
// cannot be read are counted and the first few kept with their line
// numbers, and the import goes on unless it was asked to be strict.
//
// Balancers write a request's line when it ends, so a log is in order of
// completion, not of arrival. Import restores arrival order with a
// bounded reorder buffer: a request may be logged up to Options.Reorder
// after a later arrival. Memory grows with the requests in that window,
// not with the log.
package logimport

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/trace"
)

// Format is one kind of log.
type Format struct {
	Name string
	// Derives says how the format's fields become the trace's columns,
	// and what it assumes, for the import's report and the docs.
	Derives string
	// line parses one line into e; an error is the reason to skip it.
	line func(line []byte, e *entry) error
	// stream, for formats that are not line by line, reads the whole
	// input, handing each entry (or a skip) to emit.
	stream func(r io.Reader, emit func(e *entry, err error) error) error
}

// Formats are the formats Import knows, by name.
var Formats = map[string]*Format{}

func register(f *Format) { Formats[f.Name] = f }

// FormatNames lists the formats' names, sorted.
func FormatNames() []string {
	return slices.Sorted(maps.Keys(Formats))
}

// entry is one request as a log gives it, its arrival in absolute time.
type entry struct {
	at      int64 // arrival, in ns on the log's own clock (Unix time for most)
	client  string
	class   string
	server  string
	service time.Duration // trace.Unknown when the log does not say
	latency time.Duration // trace.Unknown when the log does not say
	outcome string
}

func (e *entry) reset() {
	*e = entry{service: trace.Unknown, latency: trace.Unknown}
}

// Options tune an import.
type Options struct {
	// Strict makes the first unreadable line an error, instead of a
	// counted skip.
	Strict bool
	// Reorder is how far out of arrival order a log may be (a request is
	// logged when it ends, so at most the longest latency); default 60s.
	Reorder time.Duration
	// Examples is how many skipped lines the Report keeps; default 5.
	Examples int
}

// Skip is one line that could not be imported.
type Skip struct {
	File   string
	Line   int64
	Reason string
}

func (s Skip) String() string { return fmt.Sprintf("%s:%d: %s", s.File, s.Line, s.Reason) }

// Report says what an import read and wrote.
type Report struct {
	Format   string
	Lines    int64 // lines (or records) read
	Written  int64 // records written to the trace
	Skipped  int64
	Examples []Skip // the first few skips
	// Span is the time from the first arrival to the last.
	Span time.Duration
	// Truncated lists inputs that ended early (a cut gzip stream): what
	// came before the cut was imported.
	Truncated []string
}

// Import reads the logs at paths (in order: rotated logs oldest first) in
// format, and writes their requests, in arrival order and with times from
// the first arrival, as a trace at out. The trace appears only if the
// import succeeds. An import with no usable line is an error.
func Import(format string, paths []string, out string, opt Options) (*Report, error) {
	f := Formats[format]
	if f == nil {
		return nil, fmt.Errorf("logimport: unknown format %q (%s)", format, strings.Join(FormatNames(), ", "))
	}
	if len(paths) == 0 {
		return nil, errors.New("logimport: no log to import")
	}
	if opt.Reorder <= 0 {
		opt.Reorder = 60 * time.Second
	}
	if opt.Examples <= 0 {
		opt.Examples = 5
	}
	w, err := trace.Create(out)
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	im := &importer{opt: opt, w: w, srt: trace.NewSorter(w, opt.Reorder), rep: &Report{Format: format}}
	im.srt.Rebase = true
	for _, p := range paths {
		if err := im.file(f, p); err != nil {
			return im.rep, err
		}
	}
	if err := im.srt.Flush(); err != nil {
		return im.rep, err
	}
	im.rep.Written = w.Count()
	if im.rep.Written == 0 {
		msg := fmt.Sprintf("logimport: no usable line in %s (%d read, %d skipped)", strings.Join(paths, ", "), im.rep.Lines, im.rep.Skipped)
		if len(im.rep.Examples) > 0 {
			msg += "; first: " + im.rep.Examples[0].String()
		}
		return im.rep, errors.New(msg)
	}
	im.rep.Span = w.Last()
	return im.rep, w.Commit()
}

type importer struct {
	opt Options
	w   *trace.Writer
	srt *trace.Sorter
	rep *Report
	// base is the log's clock (ns) at the sorter's time 0: a window
	// before the first arrival read, so that earlier ones logged later
	// still have a time >= 0.
	base  int64
	based bool
	// strings interns clients' and servers' names: a log repeats a few
	// of them millions of times.
	strings map[string]string
}

func (im *importer) intern(s string) string {
	if v, ok := im.strings[s]; ok {
		return v
	}
	if im.strings == nil {
		im.strings = map[string]string{}
	}
	if len(im.strings) < 1<<20 {
		im.strings[s] = s
	}
	return s
}

// file imports one log.
func (im *importer) file(f *Format, path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("logimport: %w", err)
	}
	defer fh.Close()
	r, err := maybeGunzip(fh)
	if err != nil {
		return fmt.Errorf("logimport: %s: %w", path, err)
	}
	var line int64
	emit := func(e *entry, perr error) error {
		line++
		im.rep.Lines++
		if perr != nil {
			return im.skip(path, line, perr.Error())
		}
		return im.add(path, line, e)
	}
	if f.stream != nil {
		err = f.stream(r, emit)
	} else {
		var e entry
		err = eachLine(r, func(b []byte, tooLong bool) error {
			if tooLong {
				return emit(nil, fmt.Errorf("a line of over %d bytes", maxLine))
			}
			if len(bytes.TrimSpace(b)) == 0 {
				line++ // blank: counted as a line number, not as a request
				return nil
			}
			e.reset()
			return emit(&e, f.line(b, &e))
		})
	}
	if err != nil {
		if isTruncated(err) {
			im.rep.Truncated = append(im.rep.Truncated, path)
			if im.opt.Strict {
				return fmt.Errorf("logimport: %s: cut short after line %d (%v)", path, line, err)
			}
			return nil
		}
		var se *strictError
		if errors.As(err, &se) {
			return errors.New("logimport: " + se.Skip.String() + " (strict: no line may be skipped)")
		}
		return fmt.Errorf("logimport: %s: %w", path, err)
	}
	return nil
}

type strictError struct{ Skip Skip }

func (e *strictError) Error() string { return e.Skip.String() }

func (im *importer) skip(path string, line int64, reason string) error {
	s := Skip{File: path, Line: line, Reason: reason}
	if im.opt.Strict {
		return &strictError{s}
	}
	im.rep.Skipped++
	if len(im.rep.Examples) < im.opt.Examples {
		im.rep.Examples = append(im.rep.Examples, s)
	}
	return nil
}

// add passes e to the sorter, which writes out every entry the reorder
// window has passed.
func (im *importer) add(path string, line int64, e *entry) error {
	if !im.based {
		im.base, im.based = e.at-int64(im.opt.Reorder), true
	}
	t := time.Duration(e.at - im.base)
	err := im.srt.Add(trace.Record{Time: max(t, 0), Client: im.intern(e.client), Class: e.class,
		Service: e.service, Server: im.intern(e.server), Latency: e.latency, Outcome: e.outcome})
	var late *trace.LateError
	if t < 0 || errors.As(err, &late) {
		return im.skip(path, line, fmt.Sprintf("arrived before a request already written: the log is more than %v out of arrival order (raise the reorder window)", im.opt.Reorder))
	}
	return err
}

// maybeGunzip returns r, or a gzip reader over it when it starts with
// gzip's magic bytes, whatever the file's name.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return bufio.NewReaderSize(zr, 1<<20), nil
	}
	return br, nil
}

// isTruncated reports whether err means the input was cut short.
func isTruncated(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum)
}

// maxLine bounds one log line; a longer one is skipped (whole).
const maxLine = 1 << 20

// eachLine calls fn with each line of r, without its line ending; a line
// longer than maxLine is passed as tooLong, without its bytes.
func eachLine(r io.Reader, fn func(line []byte, tooLong bool) error) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<20)
	}
	var long []byte
	tooLong := false
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if !tooLong && len(long)+len(b) <= maxLine {
				long = append(long, b...)
			} else {
				tooLong, long = true, long[:0]
			}
			continue
		}
		if err != nil && err != io.EOF {
			return err // a cut stream: its last, partial line is not read
		}
		if long != nil {
			b = append(long, b...)
			long = long[:0]
		}
		if tooLong || len(b) > maxLine {
			if ferr := fn(nil, true); ferr != nil {
				return ferr
			}
			tooLong = false
		} else if len(b) > 0 {
			if ferr := fn(bytes.TrimRight(b, "\r\n"), false); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}
