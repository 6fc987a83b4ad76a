package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/fulcrum-lb/fulcrum/dist"
)

// The defaults, as doc.go and README.md list them.
const (
	defaultSeed        = 1
	defaultRequests    = 100000
	defaultProcess     = "poisson"
	defaultClients     = 1000
	defaultCount       = 1
	defaultWeight      = 1
	defaultConcurrency = 1
	defaultBalancers   = 1
	defaultSpeed       = 1 // arrivals.speed, for process trace
	defaultClassWeight = 1
	defaultClassSize   = 1 // unless the class has its own service

	defaultActiveInterval = 2 * time.Second
	defaultActiveTimeout  = 1 * time.Second
	defaultActiveRise     = 2
	defaultActiveFall     = 3

	defaultPassiveFailures = 5
	defaultPassiveEjection = 30 * time.Second
)

// defaultNetwork is no network delay; defaultThink (closed loops) no
// think time.
var (
	defaultNetwork = dist.Spec{Dist: "constant", Value: 0}
	defaultThink   = dist.Spec{Dist: "constant", Value: 0}
)

// The keys allowed in each mapping, in the order the README documents them.
var (
	scenarioKeys = []string{"name", "description", "seed", "requests", "duration", "warmup",
		"arrivals", "classes", "clients", "servers", "network", "balancers", "health_check", "timeout",
		"retries", "hedge", "cancel", "retry_budget", "faults", "load_info", "algorithms"}
	arrivalsKeys = []string{"process", "load", "rate", "states", "profile", "sine", "users", "think", "file", "speed"}
	stateKeys    = []string{"factor", "mean_sojourn"}
	pointKeys    = []string{"at", "factor"}
	sineKeys     = []string{"period", "amplitude"}
	classKeys    = []string{"name", "weight", "size", "service"}
	serverKeys   = []string{"name", "count", "weight", "concurrency", "queue_limit", "discipline", "service", "join", "leave", "urls"}
	specKeys     = []string{"dist", "value", "mean", "min", "max", "cv", "alpha", "shape", "weight", "of"}
	healthKeys   = []string{"active", "passive"}
	activeKeys   = []string{"interval", "timeout", "rise", "fall"}
	passiveKeys  = []string{"consecutive_failures", "ejection"}
	faultKeys    = []string{"at", "target", "kind", "duration", "factor", "probability", "mtbf", "mttr", "batch", "down"}
)

// Parse reads a scenario from data, applies the defaults and validates it.
// file names the source in messages ("scenarios/x.yaml"). The error, if any,
// is an Errors listing every problem found, each with its line and field
// path.
func Parse(file string, data []byte) (*Scenario, error) {
	d := newDecoder(file)
	s := d.parse(data)
	if len(d.errs) > 0 || s == nil {
		v := &validator{s: s, file: file, lines: d.lines, bad: d.bad}
		if s != nil {
			v.run()
		}
		return nil, sortErrors(append(d.errs, v.errs...))
	}
	s.lines = d.lines
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// parse decodes data into a Scenario with the defaults applied, recording
// problems in d.errs; nil when there is no mapping to read.
func (d *decoder) parse(data []byte) (s *Scenario) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(tooComplex); !ok {
				panic(r)
			}
			d.failf(0, "", "too complex: more than %d YAML nodes once aliases are expanded", maxVisits)
			s = nil
		}
	}()
	root := d.document(data)
	if root == nil {
		return nil
	}
	s = &Scenario{File: d.file}
	if !d.scenario(root, s) {
		return nil
	}
	return s
}

// document returns the root node of the file's only document, or nil after
// reporting why there is none.
func (d *decoder) document(data []byte) *yaml.Node {
	d.last = lineAt(data, len(bytes.TrimRight(data, "\r\n")))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeYAML(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.failf(0, "", "the file is empty; a scenario needs at least name, arrivals, servers and algorithms")
		} else {
			d.syntaxError(err, data)
		}
		return nil
	}
	var next yaml.Node
	switch err := decodeYAML(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(err, data)
		return nil
	default:
		d.failf(next.Line, "", "a second YAML document; a scenario file holds exactly one (remove the --- separator)")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.failf(doc.Line, "", "the file is empty; a scenario needs at least name, arrivals, servers and algorithms")
		return nil
	}
	root := doc.Content[0]
	if r := d.resolve(root); isNull(r) {
		d.failf(r.Line, "", "the document is empty; a scenario needs at least name, arrivals, servers and algorithms")
		return nil
	}
	return root
}

// decodeYAML is dec.Decode, turning a panic of the YAML library into an
// error: Parse never panics on input.
func decodeYAML(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of the YAML parser (as opposed to its
// scanner). yaml.v3 prints their 0-based line, one less than the real one.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// syntaxError reports an error of the YAML parser with its line, which
// yaml.v3 gets wrong (0-based) for parser errors, leaves out when it is the
// first line, and does not know for bad bytes and unknown anchors.
func (d *decoder) syntaxError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(parserProblems, msg) {
			line++
		}
	}
	switch {
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters"):
		line = 0
		if i := badByte(data); i >= 0 {
			line = lineAt(data, i)
		}
	case unknownAnchor.MatchString(msg):
		name := unknownAnchor.FindStringSubmatch(msg)[1]
		line = 0
		if loc := regexp.MustCompile(`(?m)\*` + regexp.QuoteMeta(name) + `(?:[\s,\]}]|$)`).FindIndex(data); loc != nil {
			line = lineAt(data, loc[0])
		}
		msg += "; define it with &" + name + " before using it"
	}
	if line > 0 {
		if text := lineText(data, line); strings.HasPrefix(text, "\t") {
			msg += " (a tab: indent with spaces)"
		}
	}
	d.failf(line, "", "YAML syntax: %s", msg)
}

// lineAt is the 1-based line of offset i in data, counting line breaks as
// YAML does: \n, \r\n, \r, NEL, LS and PS.
func lineAt(data []byte, i int) int {
	return 1 + len(lineStarts(data[:min(i, len(data))]))
}

// lineStarts returns the offsets just after each line break in data.
func lineStarts(data []byte) []int {
	var out []int
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch r {
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				size++
			}
			out = append(out, i+size)
		case '\n', 0x85, 0x2028, 0x2029:
			out = append(out, i+size)
		}
		i += size
	}
	return out
}

// lineText is line number line of data, without its line break.
func lineText(data []byte, line int) string {
	starts := append([]int{0}, lineStarts(data)...)
	if line < 1 || line > len(starts) {
		return ""
	}
	text := data[starts[line-1]:]
	if line < len(starts) {
		text = data[starts[line-1]:starts[line]]
	}
	return strings.TrimRight(string(text), "\r\n")
}

// badByte is the offset of the first byte that is not valid UTF-8 or is a
// character YAML does not allow, or -1.
func badByte(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return i
		case r == '\t' || r == '\n' || r == '\r' || r == 0x85 || r == 0xFEFF:
		case r < 0x20 || (r >= 0x7F && r < 0xA0) || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF:
			return i
		}
		i += size
	}
	return -1
}

// scenario decodes the root mapping n into s, defaults first; false when n
// is not a mapping.
func (d *decoder) scenario(n *yaml.Node, s *Scenario) bool {
	f, ok := d.mapping(n, "", "a scenario", scenarioKeys)
	if !ok {
		return false
	}
	// Keys starting with "x-" are ignored: a place for YAML anchors.

	s.Seed = defaultSeed
	s.Arrivals.Process = defaultProcess
	s.Clients = defaultClients
	s.Network = defaultNetwork
	s.Balancers = defaultBalancers

	f.str("name", &s.Name)
	f.str("description", &s.Description)
	f.uint64("seed", &s.Seed)
	f.int64("requests", &s.Requests)
	f.duration("duration", &s.Duration)
	if !f.has("requests") && !f.has("duration") {
		s.Requests = defaultRequests
	}
	f.duration("warmup", &s.Warmup)
	if a := f.node("arrivals"); a != nil {
		d.arrivals(a, &s.Arrivals)
	}
	if l := f.node("classes"); l != nil {
		s.Classes = d.classes(l)
	}
	f.int("clients", &s.Clients)
	if s.Arrivals.Process == "closed" && s.Arrivals.Users > 0 && !f.has("clients") {
		s.Clients = s.Arrivals.Users // user u is client u
	}
	if l := f.node("servers"); l != nil {
		s.Servers = d.servers(l)
	}
	if n := f.node("network"); n != nil {
		s.Network = d.spec(n, "network", 0)
	}
	f.int("balancers", &s.Balancers)
	if h := f.node("health_check"); h != nil {
		s.HealthCheck = d.healthCheck(h)
	}
	f.duration("timeout", &s.Timeout)
	f.int("retries", &s.Retries)
	d.resilience(f, s)
	if l := f.node("faults"); l != nil {
		s.Faults = d.faults(l)
	}
	s.LoadInfo = d.loadInfo(f)
	if l := f.node("algorithms"); l != nil {
		s.Algorithms = d.algorithms(l)
	}
	return true
}

// list checks that n is a list and returns its items; what names them.
func (d *decoder) list(n *yaml.Node, path, what string) []*yaml.Node {
	d.record(path, n)
	n = d.resolve(n)
	if n.Kind != yaml.SequenceNode {
		d.failf(n.Line, path, "expected a list of %s, got %s", what, describe(n))
		return nil
	}
	for i, c := range n.Content {
		d.record(index(path, i), c)
	}
	return n.Content
}

func (d *decoder) arrivals(n *yaml.Node, a *Arrivals) {
	f, ok := d.mapping(n, "arrivals", "the arrival process", arrivalsKeys)
	if !ok {
		return
	}
	f.str("process", &a.Process)
	f.float("load", &a.Load)
	f.float("rate", &a.Rate)
	if l := f.node("states"); l != nil {
		items := d.list(l, "arrivals.states", "states such as {factor: 4, mean_sojourn: 1s}")
		a.States = []MMPPState{}
		for i, c := range items {
			var st MMPPState
			if sf, ok := d.mapping(c, index("arrivals.states", i), "a state such as {factor: 4, mean_sojourn: 1s}", stateKeys); ok {
				sf.float("factor", &st.Factor)
				sf.duration("mean_sojourn", &st.MeanSojourn)
				sf.require("a state takes factor and mean_sojourn, e.g. {factor: 4, mean_sojourn: 1s}", stateKeys...)
			}
			a.States = append(a.States, st)
		}
	}
	if l := f.node("profile"); l != nil {
		items := d.list(l, "arrivals.profile", "points such as {at: 30s, factor: 2}")
		a.Profile = []ProfilePoint{}
		for i, c := range items {
			var pt ProfilePoint
			if pf, ok := d.mapping(c, index("arrivals.profile", i), "a point such as {at: 30s, factor: 2}", pointKeys); ok {
				pf.duration("at", &pt.At)
				pf.float("factor", &pt.Factor)
				pf.require("a point takes at and factor, e.g. {at: 30s, factor: 2}", pointKeys...)
			}
			a.Profile = append(a.Profile, pt)
		}
	}
	if sn := f.node("sine"); sn != nil {
		a.Sine = &Sine{}
		if sf, ok := d.mapping(sn, "arrivals.sine", "a sine such as {period: 60s, amplitude: 0.5}", sineKeys); ok {
			sf.duration("period", &a.Sine.Period)
			sf.float("amplitude", &a.Sine.Amplitude)
			sf.require("a sine takes period and amplitude, e.g. sine: {period: 60s, amplitude: 0.5}", sineKeys...)
		}
	}
	f.int("users", &a.Users)
	if tn := f.node("think"); tn != nil {
		a.Think = d.spec(tn, "arrivals.think", 0)
	} else if a.Process == "closed" {
		a.Think = defaultThink
	}
	f.str("file", &a.File)
	if !f.float("speed", &a.Speed) && a.Process == "trace" && !f.has("speed") {
		a.Speed = defaultSpeed
	}
}

// require reports each of keys that the mapping does not set, at the
// mapping's line; what says what the mapping takes.
func (f *fields) require(what string, keys ...string) {
	for _, k := range keys {
		if !f.has(k) {
			f.d.failf(f.d.lines[f.path], join(f.path, k), "required: %s", what)
		}
	}
}

// classes decodes the request classes.
func (d *decoder) classes(n *yaml.Node) []Class {
	items := d.list(n, "classes", "request classes such as {name: api, weight: 9}")
	out := []Class{}
	for i, c := range items {
		p := index("classes", i)
		k := Class{Weight: defaultClassWeight}
		if f, ok := d.mapping(c, p, "a request class such as {name: api, weight: 9}", classKeys); ok {
			f.str("name", &k.Name)
			f.float("weight", &k.Weight)
			f.float("size", &k.Size)
			if sn := f.node("service"); sn != nil {
				k.Service = d.spec(sn, join(p, "service"), 0)
			} else if !f.has("size") {
				k.Size = defaultClassSize
			}
		} else {
			k.Size = defaultClassSize
		}
		out = append(out, k)
	}
	return out
}

func (d *decoder) servers(n *yaml.Node) []ServerGroup {
	items := d.list(n, "servers", "server groups")
	var out []ServerGroup
	for i, c := range items {
		p := index("servers", i)
		g := ServerGroup{Count: defaultCount, Weight: defaultWeight, Concurrency: defaultConcurrency}
		if f, ok := d.mapping(c, p, "a server group", serverKeys); ok {
			f.str("name", &g.Name)
			f.int("count", &g.Count)
			f.float("weight", &g.Weight)
			f.int("concurrency", &g.Concurrency)
			f.int("queue_limit", &g.QueueLimit)
			f.str("discipline", &g.Discipline)
			f.duration("join", &g.Join)
			f.duration("leave", &g.Leave)
			if sn := f.node("service"); sn != nil {
				g.Service = d.spec(sn, join(p, "service"), 0)
			}
			if un := f.node("urls"); un != nil {
				g.URLs = d.urls(un, join(p, "urls"))
				if !f.has("count") {
					g.Count = len(g.URLs) // one server per URL
				}
			}
		}
		out = append(out, g)
	}
	return out
}

// spec decodes a distribution; dist.Spec.Validate checks it later.
func (d *decoder) spec(n *yaml.Node, path string, depth int) dist.Spec {
	var s dist.Spec
	f, ok := d.mapping(n, path, "a distribution such as {dist: exponential, mean: 10ms}", specKeys)
	if !ok {
		return s
	}
	f.str("dist", &s.Dist)
	f.duration("value", &s.Value)
	f.duration("mean", &s.Mean)
	f.duration("min", &s.Min)
	f.duration("max", &s.Max)
	f.float("cv", &s.CV)
	f.float("alpha", &s.Alpha)
	f.float("shape", &s.Shape)
	f.float("weight", &s.Weight)
	if on := f.node("of"); on != nil {
		p := join(path, "of")
		if depth+1 >= maxDepth {
			d.failf(on.Line, p, "mixtures nested more than %d deep", maxDepth)
			return s
		}
		items := d.list(on, p, "mixture components")
		if items != nil {
			s.Of = make([]dist.Spec, len(items))
		}
		for i, c := range items {
			s.Of[i] = d.spec(c, index(p, i), depth+1)
		}
	}
	return s
}

func (d *decoder) healthCheck(n *yaml.Node) HealthCheck {
	var hc HealthCheck
	f, ok := d.mapping(n, "health_check", "health check settings", healthKeys)
	if !ok {
		return hc
	}
	if a := f.raw("active"); a != nil {
		p := "health_check.active"
		if r := d.resolve(a); isNull(r) {
			d.failf(r.Line, p, "empty: write active: {} for the defaults "+
				"(interval %v, timeout %v, rise %d, fall %d), or remove it to disable active checks",
				defaultActiveInterval, defaultActiveTimeout, defaultActiveRise, defaultActiveFall)
		} else {
			ac := &ActiveCheck{Interval: defaultActiveInterval, Timeout: defaultActiveTimeout,
				Rise: defaultActiveRise, Fall: defaultActiveFall}
			if af, ok := d.mapping(a, p, "active health check settings", activeKeys); ok {
				af.duration("interval", &ac.Interval)
				af.duration("timeout", &ac.Timeout)
				af.int("rise", &ac.Rise)
				af.int("fall", &ac.Fall)
			}
			hc.Active = ac
		}
	}
	if a := f.raw("passive"); a != nil {
		p := "health_check.passive"
		if r := d.resolve(a); isNull(r) {
			d.failf(r.Line, p, "empty: write passive: {} for the defaults "+
				"(consecutive_failures %d, ejection %v), or remove it to disable passive checks",
				defaultPassiveFailures, defaultPassiveEjection)
		} else {
			pc := &PassiveCheck{ConsecutiveFailures: defaultPassiveFailures, Ejection: defaultPassiveEjection}
			if pf, ok := d.mapping(a, p, "passive health check settings", passiveKeys); ok {
				pf.int("consecutive_failures", &pc.ConsecutiveFailures)
				pf.duration("ejection", &pc.Ejection)
			}
			hc.Passive = pc
		}
	}
	return hc
}

func (d *decoder) faults(n *yaml.Node) []Fault {
	items := d.list(n, "faults", "faults")
	var out []Fault
	for i, c := range items {
		var ft Fault
		if f, ok := d.mapping(c, index("faults", i), "a fault such as {at: 20s, target: web-3, kind: crash}", faultKeys); ok {
			f.duration("at", &ft.At)
			f.str("target", &ft.Target)
			f.str("kind", &ft.Kind)
			f.duration("duration", &ft.Duration)
			f.float("factor", &ft.Factor)
			f.float("probability", &ft.Probability)
			f.duration("mtbf", &ft.MTBF)
			f.duration("mttr", &ft.MTTR)
			if !f.int("batch", &ft.Batch) && ft.Kind == FaultRestart {
				ft.Batch = 1
			}
			f.duration("down", &ft.Down)
		}
		out = append(out, ft)
	}
	return out
}

// algorithms decodes the list of algorithms: each a name, or a mapping of
// name, label and the algorithm's parameters.
func (d *decoder) algorithms(n *yaml.Node) []Algorithm {
	items := d.list(n, "algorithms", "algorithms")
	var out []Algorithm
	for i, c := range items {
		p := index("algorithms", i)
		var a Algorithm
		if r := d.resolve(c); r.Kind == yaml.ScalarNode && !isNull(r) {
			a.Name, _ = d.str(r, p)
		} else if f, ok := d.mapping(c, p, "an algorithm: a name such as round-robin, or a mapping such as {name: p2c, choices: 2}", nil); ok {
			f.str("name", &a.Name)
			f.str("label", &a.Label)
			for _, e := range f.list {
				if e.key == "name" || e.key == "label" {
					continue
				}
				if a.Params == nil {
					a.Params = map[string]any{}
				}
				a.Params[e.key], _ = d.anything(e.val, join(p, e.key), 0)
			}
		}
		if a.Label == "" {
			a.Label = a.Name
		}
		out = append(out, a)
	}
	return out
}
