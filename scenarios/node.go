package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// This file walks yaml.Node trees: it resolves aliases and merge keys, checks
// keys, and turns scalars into Go values, reporting each problem with its
// line and field path. parse.go describes the schema with these helpers.

const (
	// maxVisits bounds the nodes one Parse looks at, aliases expanded, so
	// that a small file of nested aliases (a "billion laughs") cannot make
	// the loader run for ever.
	maxVisits = 1 << 18
	// maxDepth bounds nested structures that the schema lets recurse
	// (mixtures, algorithm parameters, merge keys), which also stops alias
	// cycles.
	maxDepth = 16
	// maxQuoted is how much of a bad value a message quotes.
	maxQuoted = 40
)

// bigInt is an integer that YAML resolved as a float because it does not fit
// 64 bits.
var bigInt = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)

// tooComplex is panicked by decoder.resolve when the visit budget runs out
// and recovered by Parse.
type tooComplex struct{}

// decoder accumulates the problems of one file and the line of every field
// path it has seen.
type decoder struct {
	file   string
	errs   Errors
	bad    []string       // paths of values that could not be decoded
	lines  map[string]int // field path -> line of its value
	last   int            // the file's last line: YAML may place an empty value past it
	visits int
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, lines: map[string]int{}}
}

// failf reports a problem with the value at path. The value is taken to be
// unusable: validate.go does not report more problems at, under or above
// path, which would only be consequences of this one.
func (d *decoder) failf(line int, path, format string, args ...any) {
	line = d.clamp(line)
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
	d.bad = append(d.bad, path)
}

// warnf reports a problem that leaves the value usable (an unknown key).
func (d *decoder) warnf(line int, path, format string, args ...any) {
	line = d.clamp(line)
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) clamp(line int) int {
	if d.last > 0 && line > d.last {
		return d.last
	}
	return line
}

// resolve follows aliases and counts the visit.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	d.visits++
	if d.visits > maxVisits {
		panic(tooComplex{})
	}
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

// record notes the line of the value at path, unless one is known: that of
// its key, or of the list item.
func (d *decoder) record(path string, n *yaml.Node) {
	if n != nil {
		d.recordLine(path, n.Line)
	}
}

func (d *decoder) recordLine(path string, line int) {
	line = d.clamp(line)
	if _, ok := d.lines[path]; !ok && line > 0 {
		d.lines[path] = line
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what n is, for "expected X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing (null)"
		}
		return quote(n.Value)
	}
	return "an unexpected YAML node"
}

// quote quotes a value for a message, shortened if long.
func quote(s string) string {
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return strconv.Quote(s)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// entry is one key of a mapping.
type entry struct {
	key  string
	line int        // of the key
	val  *yaml.Node // as written: may be an alias
}

// fields is a mapping's entries, merge keys applied, with the path of the
// mapping.
type fields struct {
	d    *decoder
	path string
	list []entry
}

// mapping checks that n is a mapping whose keys are unique and among allowed
// (nil allows any key), and returns its entries. what names the mapping for
// a message ("a server group"). ok is false when n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, path, what string, allowed []string) (f *fields, ok bool) {
	f = &fields{d: d, path: path}
	d.record(path, n)
	n = d.resolve(n)
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, path, "expected %s (a mapping), got %s", what, describe(n))
		return f, false
	}
	f.list = d.entries(n, path, 0)
	for _, e := range f.list {
		d.recordLine(join(path, e.key), e.line)
		if allowed != nil && !slices.Contains(allowed, e.key) && !(path == "" && strings.HasPrefix(e.key, "x-")) {
			d.warnf(e.line, join(path, e.key), "unknown key%s; allowed here: %s",
				suggest(e.key, allowed), strings.Join(allowed, ", "))
		}
	}
	return f, true
}

// entries lists the keys of mapping n in order, then those merged in by
// "<<" that n does not set itself.
func (d *decoder) entries(n *yaml.Node, path string, depth int) []entry {
	var own, merged []entry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.failf(k.Line, path, "keys must be plain strings, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, path, depth)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.failf(k.Line, join(path, k.Value), "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		own = append(own, entry{key: k.Value, line: k.Line, val: v})
	}
	for _, e := range merged {
		if _, dup := seen[e.key]; !dup {
			seen[e.key] = e.line
			own = append(own, e)
		}
	}
	return own
}

// merge returns the entries that a "<<" value (a mapping or a list of
// mappings) brings in; earlier mappings win.
func (d *decoder) merge(v *yaml.Node, path string, depth int) []entry {
	if depth >= maxDepth {
		d.failf(v.Line, path, "merge keys (<<) nested more than %d deep", maxDepth)
		return nil
	}
	v = d.resolve(v)
	var srcs []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		srcs = []*yaml.Node{v}
	case yaml.SequenceNode:
		for _, c := range v.Content {
			srcs = append(srcs, d.resolve(c))
		}
	}
	var out []entry
	seen := map[string]bool{}
	for _, s := range srcs {
		if s.Kind != yaml.MappingNode {
			d.failf(v.Line, path, "a merge key (<<) takes a mapping or a list of mappings, got %s", describe(s))
			continue
		}
		for _, e := range d.entries(s, path, depth+1) {
			if !seen[e.key] {
				seen[e.key] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// node returns the value of key, or nil when it is absent or null.
func (f *fields) node(key string) *yaml.Node {
	if n := f.raw(key); n != nil && !isNull(f.d.resolve(n)) {
		return n
	}
	return nil
}

// raw returns the value of key as written, null included, or nil.
func (f *fields) raw(key string) *yaml.Node {
	for _, e := range f.list {
		if e.key == key {
			return e.val
		}
	}
	return nil
}

// has reports whether key is set to something other than null.
func (f *fields) has(key string) bool { return f.node(key) != nil }

// The typed getters below set *dst and report true when key is present and
// well-formed; otherwise they leave *dst (its default) alone.

// get is the shape every typed getter shares: look the key up, decode it
// with read (which reports its own error), and store it on success.
func get[T, V any](f *fields, key string, dst *T, read func(*yaml.Node, string) (V, bool), conv func(V) T) bool {
	n := f.node(key)
	if n == nil {
		return false
	}
	v, ok := read(n, join(f.path, key))
	if ok {
		*dst = conv(v)
	}
	return ok
}

func same[T any](v T) T { return v }

func (f *fields) str(key string, dst *string) bool { return get(f, key, dst, f.d.str, same) }
func (f *fields) int(key string, dst *int) bool {
	return get(f, key, dst, f.d.int, func(v int64) int { return int(v) })
}
func (f *fields) int64(key string, dst *int64) bool   { return get(f, key, dst, f.d.int, same) }
func (f *fields) uint64(key string, dst *uint64) bool { return get(f, key, dst, f.d.uint, same) }
func (f *fields) float(key string, dst *float64) bool { return get(f, key, dst, f.d.float, same) }
func (f *fields) duration(key string, dst *time.Duration) bool {
	return get(f, key, dst, f.d.duration, same)
}

// scalar resolves n and checks that it is a scalar; want names the expected
// value for the message.
func (d *decoder) scalar(n *yaml.Node, path, want string) (*yaml.Node, bool) {
	n = d.resolve(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.failf(n.Line, path, "expected %s, got %s", want, describe(n))
		return nil, false
	}
	return n, true
}

// value decodes scalar n the way YAML resolves it: int, int64, uint64,
// float64, bool, string or time.Time.
func (d *decoder) value(n *yaml.Node, path string) (any, bool) {
	var v any
	if err := n.Decode(&v); err != nil {
		d.failf(n.Line, path, "%s is not a valid %s", quote(n.Value), strings.TrimPrefix(n.ShortTag(), "!!"))
		return nil, false
	}
	return v, true
}

// str accepts any non-null scalar as its text.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	n, ok := d.scalar(n, path, "a string")
	if !ok {
		return "", false
	}
	if n.ShortTag() == "!!binary" {
		d.failf(n.Line, path, "expected a string, got binary data")
		return "", false
	}
	return n.Value, true
}

func (d *decoder) int(n *yaml.Node, path string) (int64, bool) {
	n, ok := d.scalar(n, path, "an integer")
	if !ok {
		return 0, false
	}
	if n.ShortTag() != "!!int" {
		if bigInt.MatchString(n.Value) {
			d.failf(n.Line, path, "%s is out of range", quote(n.Value))
		} else {
			d.failf(n.Line, path, "%s is not an integer", quote(n.Value))
		}
		return 0, false
	}
	v, ok := d.value(n, path)
	if !ok {
		return 0, false
	}
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	}
	d.failf(n.Line, path, "%s is out of range", quote(n.Value))
	return 0, false
}

func (d *decoder) uint(n *yaml.Node, path string) (uint64, bool) {
	n, ok := d.scalar(n, path, "a non-negative integer")
	if !ok {
		return 0, false
	}
	if n.ShortTag() != "!!int" {
		if bigInt.MatchString(n.Value) && !strings.HasPrefix(n.Value, "-") {
			d.failf(n.Line, path, "%s is out of range", quote(n.Value))
		} else {
			d.failf(n.Line, path, "%s is not a non-negative integer", quote(n.Value))
		}
		return 0, false
	}
	v, ok := d.value(n, path)
	if !ok {
		return 0, false
	}
	switch v := v.(type) {
	case int:
		if v >= 0 {
			return uint64(v), true
		}
	case int64:
		if v >= 0 {
			return uint64(v), true
		}
	case uint64:
		return v, true
	}
	d.failf(n.Line, path, "%s is not a non-negative integer", quote(n.Value))
	return 0, false
}

func (d *decoder) float(n *yaml.Node, path string) (float64, bool) {
	n, ok := d.scalar(n, path, "a number")
	if !ok {
		return 0, false
	}
	if t := n.ShortTag(); t != "!!int" && t != "!!float" {
		d.failf(n.Line, path, "%s is not a number", quote(n.Value))
		return 0, false
	}
	v, ok := d.value(n, path)
	if !ok {
		return 0, false
	}
	var x float64
	switch v := v.(type) {
	case int:
		x = float64(v)
	case int64:
		x = float64(v)
	case uint64:
		x = float64(v)
	case float64:
		x = v
	default:
		d.failf(n.Line, path, "%s is not a number", quote(n.Value))
		return 0, false
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		d.failf(n.Line, path, "%s is not a finite number", quote(n.Value))
		return 0, false
	}
	return x, true
}

// duration accepts a Go duration string ("10ms", "1m30s") or a bare 0.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	n, ok := d.scalar(n, path, "a duration (e.g. 10ms)")
	if !ok {
		return 0, false
	}
	hint := ""
	switch n.ShortTag() {
	case "!!str":
		v, err := time.ParseDuration(n.Value)
		if err == nil {
			return v, true
		}
		if strings.Contains(err.Error(), "unknown unit") {
			hint = "; units are ns, us, ms, s, m, h"
		}
	case "!!int", "!!float":
		if v, ok := d.value(n, path); !ok {
			return 0, false
		} else if v == 0 || v == 0.0 {
			return 0, true
		}
	}
	d.failf(n.Line, path, "%s is not a duration (e.g. 10ms)%s", quote(n.Value), hint)
	return 0, false
}

// anything decodes a free-form value (an algorithm parameter): scalars as
// int, float64, string or bool, null as nil, mappings as map[string]any and
// lists as []any.
func (d *decoder) anything(n *yaml.Node, path string, depth int) (any, bool) {
	if depth >= maxDepth {
		d.failf(n.Line, path, "nested more than %d deep (an alias inside its own anchor?)", maxDepth)
		return nil, false
	}
	n = d.resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		f, _ := d.mapping(n, path, "a mapping", nil)
		m := make(map[string]any, len(f.list))
		ok := true
		for _, e := range f.list {
			v, vok := d.anything(e.val, join(path, e.key), depth+1)
			m[e.key] = v
			ok = ok && vok
		}
		return m, ok
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, vok := d.anything(c, index(path, i), depth+1)
			l[i] = v
			ok = ok && vok
		}
		return l, ok
	case yaml.ScalarNode:
		if isNull(n) {
			return nil, true
		}
		switch n.ShortTag() {
		case "!!int", "!!float", "!!bool":
			v, ok := d.value(n, path)
			if !ok {
				return nil, false
			}
			switch v := v.(type) {
			case int, bool:
				return v, true
			case float64:
				if math.IsNaN(v) || math.IsInf(v, 0) {
					d.failf(n.Line, path, "%s is not a finite number", quote(n.Value))
					return nil, false
				}
				return v, true
			}
			d.failf(n.Line, path, "%s is out of range", quote(n.Value))
			return nil, false
		case "!!binary":
			d.failf(n.Line, path, "binary data is not a valid parameter")
			return nil, false
		}
		return n.Value, true
	}
	d.failf(n.Line, path, "unexpected %s", describe(n))
	return nil, false
}

// suggest returns ` (did you mean "x"?)` for the allowed key closest to key,
// if it is close enough to be a typo: one edit away (two for long keys),
// a swap of adjacent letters counting as one.
func suggest(key string, allowed []string) string {
	limit := 1
	if len(key) >= 8 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(key), a); d < bestD {
			best, bestD = a, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions), 64 for long inputs.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
