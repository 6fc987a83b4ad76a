package proxy

// The classic configuration file, for running the proxy as a plain load
// balancer:
//
//	{"port": ":8080", "healthCheckInterval": "2s",
//	 "servers": ["http://localhost:5001", "http://localhost:5002"]}
//
// with optional "algorithm", "params", "healthCheckPath",
// "healthCheckMethod", "timeout", "retries", "exposeBackend",
// "trustForwarded", "sessionCookie" (Config.SessionCookie),
// "readHeaderTimeout" (Config.ReadHeaderTimeout), "retryNonIdempotent"
// (Config.RetryNonIdempotent), "clientTimeout" (Config.ClientTimeout),
// "healthCheckTimeout", "healthCheckRise" and "healthCheckFall"
// (HealthCheck's Timeout, Rise and Fall), "admin" (Config.Admin: where
// bench proxy serves its metrics, or "off"), "discovery"
// (Config.DiscoveryURL, instead of "servers"): the keys of classicKeys.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
)

// A classicKey is one key of a classic file: its name, an example value as
// it is written in the file (for the errors' "write e.g. ..."), and how its
// value sets the configuration. Adding a key is one line in classicKeys.
type classicKey struct {
	name, example string
	// set applies the value to c, which starts as classicDefaults(), or
	// reports what is wrong with it through v.bad.
	set func(c *Config, v classicValue)
}

// classicValue is a key's value as a setter gets it.
type classicValue struct {
	v       any    // the JSON value, numbers as json.Number; never nil (null is as if the key were absent)
	example string // the key's example
	// bad reports a problem: sub is the part of the value it is about (""
	// for the whole value, "[1]" for an element, ".x" for a member) and
	// msg says what is wrong and what to write instead.
	bad func(sub, msg string)
}

// classicKeys are the keys of a classic file, in the order errors list them.
var classicKeys = []classicKey{
	{"port", `":8080"`, stringKey(setPort)},
	{"healthCheckInterval", `"2s"`, durationKey(true, func(c *Config, d time.Duration) { c.Health.Interval = d })},
	{"servers", `["http://localhost:5001", "http://localhost:5002"]`, setServers},
	{"algorithm", `"least-connections"`, stringKey(setAlgorithm)},
	{"params", `{"choices": 2}`, objectKey(setParams)},
	{"healthCheckPath", `"/health"`, stringKey(setHealthPath)},
	{"healthCheckMethod", `"GET"`, stringKey(setHealthMethod)},
	{"timeout", `"250ms"`, durationKey(false, func(c *Config, d time.Duration) { c.Timeout = d })},
	{"retries", `2`, intKey(maxClassicRetries, func(c *Config, n int) { c.Retries = n })},
	{"exposeBackend", `true`, boolKey(func(c *Config, b bool) { c.ExposeBackend = b })},
	{"trustForwarded", `true`, boolKey(func(c *Config, b bool) { c.TrustForwarded = b })},
	{"trustFulcrumHeaders", `true`, boolKey(func(c *Config, b bool) { c.TrustFulcrumHeaders = b })},
	{"sessionCookie", `"fulcrum_session"`, stringKey(setSessionCookie)},
	{"readHeaderTimeout", `"10s"`, durationKey(true, func(c *Config, d time.Duration) { c.ReadHeaderTimeout = d })},
	{"retryNonIdempotent", `true`, boolKey(func(c *Config, b bool) { c.RetryNonIdempotent = b })},
	{"clientTimeout", `"30s"`, durationKey(true, func(c *Config, d time.Duration) { c.ClientTimeout = d })},
	{"healthCheckTimeout", `"1s"`, durationKey(true, func(c *Config, d time.Duration) { c.Health.Timeout = d })},
	{"healthCheckRise", `2`, intKey(maxClassicRiseFall, func(c *Config, n int) { c.Health.Rise = n })},
	{"healthCheckFall", `3`, intKey(maxClassicRiseFall, func(c *Config, n int) { c.Health.Fall = n })},
	{"admin", `"127.0.0.1:9901"`, stringKey(setAdmin)},
	{"discovery", `"etcd://127.0.0.1:2379/services/web/"`, stringKey(setDiscovery)},
}

// maxClassicRiseFall bounds "healthCheckRise" and "healthCheckFall": more
// is a typo (at a 2s interval, 100 checks are over three minutes).
const maxClassicRiseFall = 100

// maxClassicRetries bounds "retries": more is a typo, and would overflow
// the server's write timeout (Config.writeTimeout).
const maxClassicRetries = 100

// classicAliases are keys other balancers' files use, for "did you mean".
var classicAliases = map[string]string{
	"backends": "servers", "upstreams": "servers", "targets": "servers", "hosts": "servers",
	"listen": "port", "address": "port", "addr": "port", "bind": "port",
	"strategy": "algorithm", "policy": "algorithm", "balancer": "algorithm", "lb": "algorithm",
}

// algorithmAliases are algorithm names other balancers use.
var algorithmAliases = map[string]string{
	"rr": "round-robin", "wrr": "weighted-round-robin", "lc": "least-connections",
	"leastconn": "least-connections", "power-of-two": "p2c", "consistent-hash": "ring-hash",
	"hash": "ip-hash",
}

// ClassicError is one problem in a classic configuration file: the file, the
// line (0 when it is about the whole file), the key by its path in the file
// ("servers[1]", "params.choices"; "" for none) and what is wrong, saying
// what to write instead.
type ClassicError struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error is "file:line: key: msg", for editors to jump to.
func (e *ClassicError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ClassicErrors are the problems of one file, in the order of their lines.
type ClassicErrors []*ClassicError

// Error is one problem a line.
func (es ClassicErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// LoadClassic reads a classic configuration file. Its defaults are those of
// the simple balancer it replaces: round-robin; listen on "port" (default
// ":8080", every interface; a bare number means that port); every
// healthCheckInterval (default 2s), a HEAD request (healthCheckMethod) to the
// server's URL as written, or to URL + healthCheckPath if given, healthy on
// 200 within the interval (healthCheckTimeout); rise 1, fall 1 (one failed
// check takes a server out, one success brings it back:
// healthCheckRise, healthCheckFall); no timeout, no retries (and, with
// retries, only idempotent requests retried unless retryNonIdempotent);
// Config's default readHeaderTimeout and clientTimeout. "servers" is required. A key whose
// value is null is as if it were absent.
//
// Every problem is an error: a file that is missing, empty or not one JSON
// object, a syntax error, a key given twice, an unknown key, a value of the
// wrong type or out of range, a server that is not an http(s) URL, an
// unknown algorithm, bad params. The error is a ClassicErrors naming the
// file, the line and the key of each problem, and what to write instead.
func LoadClassic(path string) (Config, error) { return loadClassic(path, false) }

// LoadClassicWithDiscovery is LoadClassic for a proxy whose backends come
// from elsewhere (bench proxy --discovery): the file must give neither
// "servers" nor "discovery".
func LoadClassicWithDiscovery(path string) (Config, error) { return loadClassic(path, true) }

// ClassicDefaults is the configuration of a classic file that gives only
// the backends: what bench proxy --discovery runs without --config.
func ClassicDefaults() Config {
	cfg := classicDefaults()
	cfg.Health.Timeout = cfg.Health.Interval
	return cfg
}

func loadClassic(path string, flagDiscovery bool) (Config, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return Config{}, ClassicErrors{{File: path, Msg: "is a directory, not a file (give the path of the JSON configuration, e.g. --config " +
			filepath.Join(path, "config.json") + ")"}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, ClassicErrors{{File: path, Msg: fileProblem(err)}}
	}
	cfg, err := parseClassicFor(data, flagDiscovery)
	if err != nil {
		var es ClassicErrors
		if !errors.As(err, &es) {
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
		for _, e := range es {
			e.File = path
		}
		return Config{}, es
	}
	return cfg, nil
}

// fileProblem says why a configuration file could not be read.
func fileProblem(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file (give the path of the proxy's JSON configuration, e.g. --config config.json)"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "cannot read it: " + err.Error()
}

// classicDefaults is the configuration of a file that sets nothing but
// "servers".
func classicDefaults() Config {
	return Config{
		Listen:    ":8080",
		Algorithm: DefaultAlgorithm,
		Health: &HealthCheck{
			Interval: 2 * time.Second,
			Rise:     1,
			Fall:     1,
			Method:   "HEAD",
			BareURL:  true,
		},
	}
}

// parseClassic parses a classic file's bytes. Its errors are ClassicErrors
// without the file's name.
func parseClassic(data []byte) (Config, error) { return parseClassicFor(data, false) }

// parseClassicFor is parseClassic; flagDiscovery: the backends come from
// bench proxy --discovery, and the file must not give them.
func parseClassicFor(data []byte, flagDiscovery bool) (Config, error) {
	doc, errs := readClassic(data)
	if errs != nil {
		return Config{}, errs
	}
	cfg := classicDefaults()
	bad := func(path, msg string) {
		errs = append(errs, &ClassicError{Line: doc.line(path), Key: path, Msg: msg})
	}
	for _, name := range doc.keys {
		i := slices.IndexFunc(classicKeys, func(k classicKey) bool { return k.name == name })
		if i < 0 {
			errs = append(errs, &ClassicError{Line: doc.line(name), Msg: unknownKey(name)})
			continue
		}
		if v := doc.values[name]; v != nil {
			k := classicKeys[i]
			k.set(&cfg, classicValue{v: v, example: k.example, bad: func(sub, msg string) { bad(name+sub, msg) }})
		}
	}
	hasServers, hasDiscovery := doc.values["servers"] != nil, doc.values["discovery"] != nil
	switch {
	case flagDiscovery:
		for _, k := range []string{"servers", "discovery"} {
			if doc.values[k] != nil {
				errs = append(errs, &ClassicError{Line: doc.line(k), Key: k,
					Msg: fmt.Sprintf("the backends come from --discovery: remove %q (or --discovery)", k)})
			}
		}
	case hasServers && hasDiscovery:
		errs = append(errs, &ClassicError{Line: doc.line("discovery"), Key: "discovery",
			Msg: fmt.Sprintf(`given with "servers" (line %d): the backends come from one of them; remove one`, doc.line("servers"))})
	case !hasServers && !hasDiscovery:
		errs = append(errs, &ClassicError{Msg: `"servers" is required: a list of server URLs, e.g. "servers": ["http://localhost:5001", "http://localhost:5002"]`})
	}
	if errs != nil {
		// In the order of their lines; those about the whole file last.
		slices.SortStableFunc(errs, func(a, b *ClassicError) int {
			return cmp.Compare(sortLine(a.Line), sortLine(b.Line))
		})
		return Config{}, errs
	}
	if cfg.Health.Timeout == 0 {
		cfg.Health.Timeout = cfg.Health.Interval
	}
	for _, k := range []struct {
		name string
		n    int
	}{{"healthCheckRise", cfg.Health.Rise}, {"healthCheckFall", cfg.Health.Fall}} {
		if k.n == 0 {
			// 0 would mean New's default (2 or 3), not the classic 1.
			errs = append(errs, &ClassicError{Line: doc.line(k.name), Key: k.name, Msg: "0 checks: write at least 1 (1 is the classic balancer's)"})
		}
	}
	if a := cfg.Admin; a != "" && a != AdminOff && SameAddress(a, cfg.Listen) {
		errs = append(errs, &ClassicError{Line: doc.line("admin"), Key: "admin",
			Msg: fmt.Sprintf("%s is the traffic port (%q): the admin listener needs a port of its own (write e.g. %q, or %q for none)",
				a, cfg.Listen, DefaultAdmin, AdminOff)})
	}
	if errs != nil {
		return Config{}, errs
	}
	// Check everything New checks, so that a bad file fails here, naming it:
	// what is left are the algorithm's params, checked against the servers.
	// A discovery URL is opened by the caller (bench proxy): a set stands
	// in for its source here.
	check := cfg
	if check.DiscoveryURL != "" || flagDiscovery {
		check.Discovery = discovery.Static{}
	}
	if _, _, err := check.withDefaults(); err != nil {
		var pe *algorithms.ParamError
		if errors.As(err, &pe) {
			line := doc.line("params." + pe.Param)
			if line == 0 {
				line = doc.line("params")
			}
			if line == 0 {
				line = doc.line("algorithm")
			}
			return Config{}, ClassicErrors{{Line: line, Key: "params", Msg: pe.Error()}}
		}
		msg := strings.TrimPrefix(err.Error(), "proxy: ")
		return Config{}, ClassicErrors{{Msg: strings.ReplaceAll(msg, "backends[", "servers[")}}
	}
	return cfg, nil
}

func sortLine(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

// classicDoc is a classic file read as JSON.
type classicDoc struct {
	keys   []string       // the top-level keys, in the file's order
	values map[string]any // their values, numbers as json.Number
	lines  map[string]int // the line of every key and list element, by its path
}

// line returns the line of path in the file, or 0.
func (d *classicDoc) line(path string) int { return d.lines[path] }

// bom is the UTF-8 byte order mark some editors begin a file with.
var bom = []byte("\xef\xbb\xbf")

// readClassic checks that data is one JSON object with no key twice in any
// object, and returns its keys, values and lines.
func readClassic(data []byte) (*classicDoc, ClassicErrors) {
	data = bytes.TrimPrefix(data, bom)
	var newlines []int // offsets of the '\n's, for lineAt
	for i, c := range data {
		if c == '\n' {
			newlines = append(newlines, i)
		}
	}
	// lineAt is the line of the byte at off: 1 + the newlines before it.
	lineAt := func(off int) int {
		n, _ := slices.BinarySearch(newlines, off)
		return 1 + n
	}
	fail := func(off int, format string, args ...any) (*classicDoc, ClassicErrors) {
		return nil, ClassicErrors{{Line: lineAt(off), Msg: fmt.Sprintf(format, args...)}}
	}
	start := len(data) - len(trimJSONSpace(data))
	if start == len(data) {
		return nil, ClassicErrors{{Msg: `empty; write a JSON object of settings, e.g. {"port": ":8080", "servers": ["http://localhost:5001"]}`}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, ClassicErrors{syntaxError(data, err, lineAt)}
	}
	end := int(dec.InputOffset())
	if rest := trimJSONSpace(data[end:]); len(rest) > 0 {
		return fail(len(data)-len(rest), "unexpected %s after the settings object, which ends on line %d: remove it (a file holds one object)",
			snippet(rest), lineAt(end))
	}
	if raw[0] != '{' {
		return fail(start, `want a JSON object of settings, e.g. {"servers": ["http://localhost:5001"]}; got %s`, jsonKind(raw[0]))
	}
	doc := &classicDoc{lines: map[string]int{}}
	var errs ClassicErrors
	walkJSON(raw, func(path string, top bool, off int, firstOff int, dup bool) {
		switch {
		case dup:
			errs = append(errs, &ClassicError{Line: lineAt(off + start), Key: path,
				Msg: fmt.Sprintf("given twice (first on line %d; only the last would count): remove one", lineAt(firstOff+start))})
		default:
			doc.lines[path] = lineAt(off + start)
			if top {
				doc.keys = append(doc.keys, path)
			}
		}
	})
	if errs != nil {
		return nil, errs
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&doc.values); err != nil { // raw is a valid object
		return fail(start, "%v", err)
	}
	return doc, nil
}

// walkJSON calls visit, in order, for every key of every object and every
// element of every list in raw, a valid JSON value: its path ("servers",
// "servers[1]", "params.choices"), whether it is a key of the outermost
// object, the offset in raw of the key or element (just past a key's
// closing quote, or past an element's first token: on its first line) and,
// for a key already in the same object, dup with the first one's offset.
func walkJSON(raw []byte, visit func(path string, top bool, off, firstOff int, dup bool)) {
	type frame struct {
		path    string
		object  bool
		wantKey bool           // object: a key (or the end) comes next
		key     string         // object: the key whose value comes next
		seen    map[string]int // object: offset of each key
		n       int            // list: elements so far
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // every number is a token, however large
	for {
		tok, err := dec.Token()
		if err != nil {
			return // io.EOF: raw is valid
		}
		off := int(dec.InputOffset())
		var f *frame
		if len(stack) > 0 {
			f = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].wantKey = true
			}
			continue
		}
		if f != nil && f.object && f.wantKey {
			key, _ := tok.(string)
			path := key
			if f.path != "" {
				path = f.path + "." + key
			}
			first, dup := f.seen[key]
			if !dup {
				f.seen[key] = off
			}
			visit(path, len(stack) == 1, off, first, dup)
			f.key, f.wantKey = key, false
			continue
		}
		var path string
		switch {
		case f != nil && f.object:
			path = f.key
			if f.path != "" {
				path = f.path + "." + f.key
			}
		case f != nil:
			path = fmt.Sprintf("%s[%d]", f.path, f.n)
			f.n++
			visit(path, false, off, 0, false)
		}
		if d, ok := tok.(json.Delim); ok { // '{' or '['
			stack = append(stack, &frame{path: path, object: d == '{', wantKey: d == '{', seen: map[string]int{}})
			continue
		}
		if f != nil && f.object {
			f.wantKey = true
		}
	}
}

// syntaxError reports where data stops being JSON, with a hint for the
// usual mistakes. err is the decoder's error for its first value.
func syntaxError(data []byte, err error, lineAt func(int) int) *ClassicError {
	var v any
	uerr := json.Unmarshal(data, &v) // the whole-input scan gives exact offsets
	var se *json.SyntaxError
	if !errors.As(uerr, &se) {
		return &ClassicError{Msg: "not JSON: " + err.Error()}
	}
	off := int(se.Offset)
	msg := "JSON syntax: " + se.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) || off <= 0 || off > len(data) {
		return &ClassicError{Line: lineAt(len(data)), Msg: msg + " (the file ends before the object does: a } or ] is missing, or a string is not closed)"}
	}
	c := data[off-1]
	prev := trimJSONSpaceRight(data[:off-1])
	word := bareWord(data, off-1)
	joined := off >= 2 && isWordByte(data[off-2]) // c continues a value: 2s
	hint := ""
	switch e := se.Error(); {
	case c == '\'':
		hint = "JSON takes double quotes, not single ones"
	case c == '/' || c == '#':
		hint = "JSON has no comments"
	case (c == '}' || c == ']') && len(prev) > 0 && prev[len(prev)-1] == ',':
		hint = "remove the comma before it"
	case strings.Contains(e, "looking for beginning of object key string"):
		hint = `keys take double quotes: "port"`
	case isWordByte(c) && (strings.Contains(e, "looking for beginning of value") || strings.Contains(e, "in literal") || joined):
		hint = "strings take double quotes: write " + strconv.Quote(word)
	case strings.Contains(e, "after object key:value pair"), strings.Contains(e, "after array element"):
		hint = "a comma missing before it?"
	case strings.Contains(e, "after object key"):
		hint = "a colon missing before it?"
	}
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return &ClassicError{Line: lineAt(off - 1), Msg: msg}
}

// isWordByte reports whether c can be part of a bare word such as 2s,
// fast or 127.0.0.1.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// bareWord returns the run of word bytes and colons around data[i] (at
// most 40 each way), without leading colons: 127.0.0.1:80.
func bareWord(data []byte, i int) string {
	in := func(c byte) bool { return isWordByte(c) || c == ':' }
	start, end := i, i
	for start > 0 && in(data[start-1]) && i-start < 40 {
		start--
	}
	for end < len(data) && in(data[end]) && end-i < 40 {
		end++
	}
	return strings.TrimLeft(string(data[start:end]), ":")
}

// trimJSONSpace trims JSON's whitespace from the start of b.
func trimJSONSpace(b []byte) []byte {
	return bytes.TrimLeft(b, " \t\r\n")
}

func trimJSONSpaceRight(b []byte) []byte {
	return bytes.TrimRight(b, " \t\r\n")
}

// snippet quotes the start of b, for an error.
func snippet(b []byte) string {
	const n = 20
	if len(b) > n {
		return strconv.Quote(string(b[:n])) + "..."
	}
	return strconv.Quote(string(b))
}

// jsonKind names the JSON value starting with c.
func jsonKind(c byte) string {
	switch c {
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// typeName names a decoded JSON value's type, for "got X, want Y".
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "null"
}

// unknownKey says that name is not a key, with the nearest one.
func unknownKey(name string) string {
	names := make([]string, len(classicKeys))
	for i, k := range classicKeys {
		names[i] = k.name
	}
	msg := fmt.Sprintf("unknown key %q (known: %s)", name, strings.Join(names, ", "))
	if s := suggest(name, names, classicAliases); s != "" {
		msg += fmt.Sprintf(`: did you mean %q?`, s)
	}
	return msg
}

// suggest returns the name of known nearest to s, if one is near enough to
// be a typo of it (or an alias of it, or contains it or is contained in
// it), else "". Case, '-' and '_' do not count.
func suggest(s string, known []string, aliases map[string]string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(s))
	}
	if len(s) > 64 {
		return ""
	}
	if a, ok := aliases[strings.ToLower(s)]; ok {
		return a
	}
	ns := norm(s)
	best, bestD := "", -1
	for _, k := range known {
		nk := norm(k)
		d := editDistance(ns, nk)
		limit := 2
		if len(ns) < 4 {
			limit = 1
		}
		if d > limit && !(len(ns) >= 4 && (strings.Contains(nk, ns) || strings.Contains(ns, nk))) {
			continue
		}
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// the fewest insertions, deletions, substitutions and swaps of two
// adjacent bytes that turn one into the other.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// wrongType is the message for a value of the wrong JSON type: got v,
// want what, and what to write instead.
func wrongType(v any, want, write string) string {
	return fmt.Sprintf("got %s, want %s (write %s)", typeName(v), want, write)
}

// The setters' building blocks: each checks the value's type and hands the
// typed value on. A typed setter returns a message for a bad value, or "".

func stringKey(set func(c *Config, s string) string) func(*Config, classicValue) {
	return func(c *Config, v classicValue) {
		s, ok := v.v.(string)
		if !ok {
			write := "e.g. " + v.example
			if n, isNum := v.v.(json.Number); isNum {
				write = strconv.Quote(n.String())
			}
			v.bad("", wrongType(v.v, "a string", write))
			return
		}
		if msg := set(c, s); msg != "" {
			v.bad("", msg)
		}
	}
}

// durationKey is a duration written as a string ("2s", "500ms"); "" is as
// if absent. positive refuses 0.
func durationKey(positive bool, set func(c *Config, d time.Duration)) func(*Config, classicValue) {
	return func(c *Config, v classicValue) {
		s, ok := v.v.(string)
		if !ok {
			write := `e.g. "2s" or "500ms"`
			if n, isNum := v.v.(json.Number); isNum {
				write = strconv.Quote(n.String()+"s") + " for seconds"
			}
			v.bad("", wrongType(v.v, "a duration in a string", write))
			return
		}
		if s == "" {
			return
		}
		d, err := time.ParseDuration(s)
		switch {
		case err != nil && isNumber(s):
			v.bad("", fmt.Sprintf("%q is not a duration: it lacks a unit (write %q or %q)",
				s, strings.TrimSpace(s)+"s", strings.TrimSpace(s)+"ms"))
		case err != nil:
			v.bad("", fmt.Sprintf(`%q is not a duration (write e.g. "2s" or "500ms")`, s))
		case d < 0:
			v.bad("", fmt.Sprintf("%q is negative (write e.g. %s)", s, v.example))
		case d == 0 && positive:
			v.bad("", fmt.Sprintf("%q must be positive (write e.g. %s)", s, v.example))
		default:
			set(c, d)
		}
	}
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

// intKey is an integer from 0 to most.
func intKey(most int, set func(c *Config, n int)) func(*Config, classicValue) {
	return func(c *Config, v classicValue) {
		num, ok := v.v.(json.Number)
		if !ok {
			write := "e.g. " + v.example
			if s, isStr := v.v.(string); isStr {
				if _, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
					write = strings.TrimSpace(s) + ", without quotes"
				}
			}
			v.bad("", wrongType(v.v, "an integer", write))
			return
		}
		s := num.String()
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case strings.ContainsAny(s, ".eE"):
			v.bad("", fmt.Sprintf("%s is not an integer (write e.g. %s, without a decimal point or exponent)", s, v.example))
		case err != nil && strings.HasPrefix(s, "-"), err == nil && n < 0:
			v.bad("", fmt.Sprintf("%s is negative (write 0 for none, or e.g. %s)", s, v.example))
		case err != nil || n > int64(most):
			v.bad("", fmt.Sprintf("%s is more than %d (write e.g. %s)", s, most, v.example))
		default:
			set(c, int(n))
		}
	}
}

func boolKey(set func(c *Config, b bool)) func(*Config, classicValue) {
	return func(c *Config, v classicValue) {
		b, ok := v.v.(bool)
		if !ok {
			write := "true or false"
			if s, isStr := v.v.(string); isStr && (strings.EqualFold(s, "true") || strings.EqualFold(s, "false")) {
				write = strings.ToLower(s) + ", without quotes"
			}
			v.bad("", wrongType(v.v, "true or false", write))
			return
		}
		set(c, b)
	}
}

func objectKey(set func(c *Config, m map[string]any, v classicValue)) func(*Config, classicValue) {
	return func(c *Config, v classicValue) {
		m, ok := v.v.(map[string]any)
		if !ok {
			v.bad("", wrongType(v.v, "an object", "e.g. "+v.example))
			return
		}
		set(c, m, v)
	}
}

// The setters of the keys that need more than a type check.

// setPort reads "8080", ":8080" or "host:8080".
func setPort(c *Config, s string) string {
	if s == "" {
		return ""
	}
	addr := s
	if !strings.Contains(s, ":") {
		addr = ":" + s
	}
	const write = `(write e.g. "8080", ":8080" or "127.0.0.1:8080")`
	_, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a port or host:port %s", s, write)
	case !strings.Contains(s, ":") && !isPort(port):
		return fmt.Sprintf("%q is not a port number from 0 to 65535 %s", s, write)
	case !isPort(port):
		return fmt.Sprintf("%q: port %q is not a number from 0 to 65535 %s", s, port, write)
	}
	c.Listen = addr
	return ""
}

// setAdmin reads the admin listener's address (ParseAdmin).
func setAdmin(c *Config, s string) string {
	if s == "" {
		return ""
	}
	addr, err := ParseAdmin(s)
	if err != nil {
		return err.Error()
	}
	c.Admin = addr
	return ""
}

// ParseAdmin reads an admin listener's address as an operator writes it
// (bench proxy's --admin and bench run's, the classic file's "admin"):
// "off" (AdminOff); host:port; ":port" (every interface); or a bare port,
// which is on 127.0.0.1: metrics stay on the host unless an interface is
// named. Its errors say what to write instead.
func ParseAdmin(s string) (string, error) {
	if s == AdminOff {
		return s, nil
	}
	addr := s
	if !strings.Contains(s, ":") {
		addr = "127.0.0.1:" + s
	}
	const write = `(write e.g. "127.0.0.1:9901", "9901" for that port on 127.0.0.1, or "off")`
	host, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q is not a port or host:port %s", s, write)
	case !isPort(port):
		return "", fmt.Errorf("%q: port %q is not a number from 0 to 65535 %s", s, port, write)
	case strings.ContainsAny(host, " /"):
		return "", fmt.Errorf("%q: %q is not a host name or address %s", s, host, write)
	}
	return addr, nil
}

func isPort(s string) bool {
	_, err := strconv.ParseUint(s, 10, 16)
	return err == nil
}

// setServers reads the list of backend URLs.
func setServers(c *Config, v classicValue) {
	list, ok := v.v.([]any)
	if !ok {
		write := v.example
		if s, isStr := v.v.(string); isStr {
			write = "[" + strconv.Quote(s) + "]"
		}
		v.bad("", wrongType(v.v, "a list of strings", write))
		return
	}
	if len(list) == 0 {
		v.bad("", "empty: list at least one server URL, e.g. "+v.example)
		return
	}
	seen := map[string]int{}
	var backends []Backend
	for i, e := range list {
		sub := fmt.Sprintf("[%d]", i)
		s, isStr := e.(string)
		if !isStr {
			v.bad(sub, wrongType(e, "a URL in a string", `e.g. "http://localhost:5001"`))
			continue
		}
		if msg := checkServerURL(s); msg != "" {
			v.bad(sub, msg)
			continue
		}
		if j, dup := seen[s]; dup {
			v.bad(sub, fmt.Sprintf("%q is listed twice (also servers[%d]): list each server once", s, j))
			continue
		}
		seen[s] = i
		backends = append(backends, Backend{URL: s})
	}
	c.Backends = backends
}

// checkServerURL returns what is wrong with a server's URL, or "": it
// accepts only what Config.withDefaults accepts.
func checkServerURL(s string) string {
	head := fmt.Sprintf("url %q is not an absolute http(s) URL", s)
	u, err := url.Parse(s)
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Sprintf(`%s: it is empty (write e.g. "http://localhost:5001")`, head)
	case !strings.Contains(s, "://"):
		rest := s
		for _, scheme := range []string{"https:", "http:"} {
			if len(rest) >= len(scheme) && strings.EqualFold(rest[:len(scheme)], scheme) {
				rest = rest[len(scheme):]
				break
			}
		}
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			rest = "localhost:5001"
		}
		return fmt.Sprintf("%s: it has no scheme (write %q)", head, "http://"+rest)
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Sprintf(`%s: %v (write e.g. "http://localhost:5001")`, head, err)
	case u.Scheme != "http" && u.Scheme != "https":
		rest := s[strings.Index(s, "://")+3:]
		return fmt.Sprintf("%s: the proxy speaks http or https, not %q (write %q)", head, u.Scheme, "http://"+rest)
	case u.Host == "":
		return fmt.Sprintf(`%s: it has no host (write e.g. "%s://localhost:5001")`, head, u.Scheme)
	case u.User != nil:
		return fmt.Sprintf("url %q has user info (user@ or user:password@): remove it", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Sprintf("url %q has a fragment (#...): remove it", s)
	}
	return ""
}

// setDiscovery reads a discovery URL (discovery.ParseURL); the caller
// opens it.
func setDiscovery(c *Config, s string) string {
	if _, err := discovery.ParseURL(s, ""); err != nil {
		return strings.TrimPrefix(err.Error(), fmt.Sprintf("discovery URL %q: ", s)) + fmt.Sprintf(" (got %q)", s)
	}
	c.DiscoveryURL = s
	return ""
}

// setAlgorithm reads a name of algorithms.List.
func setAlgorithm(c *Config, s string) string {
	if s == "" {
		return ""
	}
	var names []string
	for _, a := range algorithms.List() {
		names = append(names, a.Name)
	}
	if !slices.Contains(names, s) {
		msg := fmt.Sprintf("unknown algorithm %q (known: %s)", s, strings.Join(names, ", "))
		if sug := suggest(s, names, algorithmAliases); sug != "" {
			msg += fmt.Sprintf(": did you mean %q?", sug)
		}
		return msg
	}
	c.Algorithm = s
	return ""
}

// setParams reads the algorithm's params, numbers as float64 (what the
// algorithms package's params accept); the algorithm checks them once
// every key is read.
func setParams(c *Config, m map[string]any, v classicValue) {
	params, err := numbersToFloats(m, "")
	var pe *paramPathError
	if errors.As(err, &pe) {
		v.bad(pe.path, pe.msg)
		return
	}
	c.Params = params
}

// setHealthPath makes the checks go to the server's URL + the path
// instead of the URL itself; "" checks /health.
func setHealthPath(c *Config, s string) string {
	c.Health.Path, c.Health.BareURL = s, false
	return ""
}

func setHealthMethod(c *Config, s string) string {
	if s == "" {
		return ""
	}
	m := strings.ToUpper(s)
	if !validMethod(m) {
		return fmt.Sprintf(`%q is not an HTTP method (write e.g. "HEAD" or "GET")`, s)
	}
	c.Health.Method = m
	return ""
}

func setSessionCookie(c *Config, s string) string {
	if s != "" && !validMethod(s) {
		return fmt.Sprintf(`%q is not a cookie name: no spaces, quotes or separators (write e.g. "fulcrum_session")`, s)
	}
	c.SessionCookie = s
	return ""
}

// paramPathError is a number in params that is not a float64: its path
// under params (".x[1]") and why.
type paramPathError struct{ path, msg string }

func (e *paramPathError) Error() string { return e.path + ": " + e.msg }

// numbersToFloats turns the json.Numbers of params into float64 (what the
// algorithms package's params accept for numbers), recursively; path is
// m's under params.
func numbersToFloats(m map[string]any, path string) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		conv, err := numberToFloat(v, path+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = conv
	}
	return out, nil
}

func numberToFloat(v any, path string) (any, error) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, &paramPathError{path, fmt.Sprintf("%s is out of range (write a smaller number)", x)}
		}
		return f, nil
	case map[string]any:
		return numbersToFloats(x, path)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := numberToFloat(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}
