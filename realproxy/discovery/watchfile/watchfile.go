// Package watchfile is a discovery.Source over a JSON file listing the
// backends, reloaded when it changes and on demand (Reload: bench proxy
// calls it on SIGHUP):
//
//	["http://10.0.0.7:8080", {"url": "http://10.0.0.8:8080", "weight": 2, "name": "web-8"}]
//
// Each element is a URL or an object (discovery.ParseEntry); a backend's
// name is its URL unless the object gives one. The source watches the
// file's directory (fsnotify), not the file, so that a file replaced
// whole (an editor's save, `mv new servers.json`, a symlink swapped) is
// seen as well as one rewritten in place. Changes are read once they
// settle (Options.Settle), so that a file written in several steps is
// read once.
//
// A file that cannot be read or parsed at Open is an error naming its
// line; on a reload it keeps the last good set and is logged as
// FILE:LINE: what is wrong.
package watchfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
)

// Options configure a Source.
type Options struct {
	// Logf logs reloads and the problems of a file that was not taken.
	// nil = log.Printf.
	Logf func(format string, args ...any)
	// Settle is how long the file must be left alone after a change before
	// it is read; 0 = 50ms.
	Settle time.Duration
}

// Source is a watched file of backends. Close it when done.
type Source struct {
	path    string
	opts    Options
	symlink bool // path is a symlink: any change in its directory may be a change of its target

	mu   sync.Mutex // serialises reloads, deliveries, Subscribe and stop
	set  []discovery.Backend
	subs map[int]func([]discovery.Backend)
	next int

	w         *fsnotify.Watcher
	done      chan struct{} // closed when the watch loop has returned
	closeOnce sync.Once
}

// Open reads the file and starts watching it.
func Open(path string, opts Options) (*Source, error) {
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	if opts.Settle <= 0 {
		opts.Settle = 50 * time.Millisecond
	}
	s := &Source{path: filepath.Clean(path), opts: opts, subs: map[int]func([]discovery.Backend){}, done: make(chan struct{})}
	set, err := s.load()
	if err != nil {
		return nil, err
	}
	s.set = set
	if fi, err := os.Lstat(s.path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		s.symlink = true
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot watch it: %w", s.path, err)
	}
	if err := w.Add(filepath.Dir(s.path)); err != nil {
		w.Close()
		return nil, fmt.Errorf("%s: cannot watch its directory: %w", s.path, err)
	}
	s.w = w
	go s.loop()
	return s, nil
}

// Path is the file's path.
func (s *Source) Path() string { return s.path }

// Close stops watching and waits for the watch loop to return.
func (s *Source) Close() error {
	var err error
	s.closeOnce.Do(func() {
		err = s.w.Close()
		<-s.done
	})
	return err
}

// loop reloads the file once its directory's events about it settle.
func (s *Source) loop() {
	defer close(s.done)
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	defer settle.Stop()
	for {
		select {
		case ev, ok := <-s.w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod || filepath.Clean(ev.Name) != s.path && !s.symlink {
				continue
			}
			settle.Reset(s.opts.Settle)
		case err, ok := <-s.w.Errors:
			if !ok {
				return
			}
			// An overflow (fsnotify.ErrEventOverflow) may hide a change.
			s.opts.Logf("%s: watching its directory: %v; reading it again", s.path, err)
			settle.Reset(s.opts.Settle)
		case <-settle.C:
			s.Reload()
		}
	}
}

// Reload reads the file now and, if it parses and lists another set,
// delivers that set to every subscriber. A file that cannot be read or
// parsed keeps the last good set; the problem is logged and returned.
func (s *Source) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	set, err := s.load()
	if err != nil {
		s.opts.Logf("%v\n%s: not reloaded: keeping the last good set (%d backends)", err, s.path, len(s.set))
		return err
	}
	if slices.Equal(set, s.set) {
		return nil
	}
	s.set = set
	s.opts.Logf("%s: reloaded: %d backends", s.path, len(set))
	keys := make([]int, 0, len(s.subs))
	for k := range s.subs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s.subs[k](slices.Clone(set))
	}
	return nil
}

// Subscribe delivers the current set, then every one a reload takes
// (discovery.Source).
func (s *Source) Subscribe(update func([]discovery.Backend)) (stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.next
	s.next++
	s.subs[k] = update
	update(slices.Clone(s.set))
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, k)
	}
}

// load reads and parses the file.
func (s *Source) load() ([]discovery.Backend, error) {
	data, err := os.ReadFile(s.path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{File: s.path, Msg: "cannot read it: " + err.Error()}
	}
	return Parse(s.path, data)
}

// Error is a problem of a backends file: "FILE:LINE: msg" (no line when it
// is about the whole file).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// example is a file's content, for the errors' "write e.g.".
const example = `["http://127.0.0.1:5001", {"url": "http://127.0.0.1:5002", "weight": 2}]`

// Parse reads a backends file's content; file names it in errors. Every
// element's problem is reported (errors.Join of *Error), in line order.
func Parse(file string, data []byte) ([]discovery.Backend, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte order mark some editors write
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	bad := func(off int64, format string, args ...any) *Error {
		return &Error{File: file, Line: lineAt(off), Msg: fmt.Sprintf(format, args...)}
	}
	start := int64(len(data) - len(bytes.TrimLeft(data, " \t\r\n")))
	if int(start) == len(data) {
		return nil, &Error{File: file, Msg: "empty: write a JSON list of backends, e.g. " + example}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	syntax := func(err error) error {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return bad(se.Offset-1, "JSON syntax: %v", se)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return bad(int64(len(data)), "JSON syntax: the file ends before the list does (a ] is missing, or a string is not closed)")
		}
		return &Error{File: file, Msg: "not JSON: " + err.Error()}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	if tok != json.Delim('[') {
		hint := ""
		if tok == json.Delim('{') && bytes.Contains(data, []byte(`"servers"`)) {
			hint = ` (the file holds the list alone, not a configuration's {"servers": [...]})`
		}
		return nil, bad(start, "want a JSON list of backends%s, e.g. %s", hint, example)
	}
	var (
		set  []discovery.Backend
		errs []error
		seen = map[string]int{} // name -> line
	)
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.Join(append(errs, syntax(err))...)
		}
		// The element began len(raw) bytes before where the decoder is.
		line := lineAt(dec.InputOffset() - int64(len(raw)))
		b, err := discovery.ParseEntry(raw)
		if err != nil {
			errs = append(errs, &Error{File: file, Line: line, Msg: fmt.Sprintf("[%d]: %v", i, err)})
			continue
		}
		name := b.Name
		if name == "" {
			name = b.URL
		}
		if first, dup := seen[name]; dup {
			errs = append(errs, &Error{File: file, Line: line, Msg: fmt.Sprintf("[%d]: %q is listed twice (first on line %d): list each backend once", i, name, first)})
			continue
		}
		seen[name] = line
		set = append(set, b)
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return nil, errors.Join(append(errs, syntax(err))...)
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		errs = append(errs, bad(int64(len(data)-len(rest)), "%q after the list: remove it (the file holds one list)", strings.TrimSpace(string(rest[:min(len(rest), 20)]))))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return set, nil
}
