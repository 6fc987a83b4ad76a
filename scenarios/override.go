package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Overrides set one numeric field of a loaded scenario by its path in the
// file, as a command line's --param does for a sweep:
//
//	arrivals.load   servers[0].count   servers[1].service.mean   algorithms[3].choices
//	arrivals.states[0].factor   arrivals.profile[2].at   arrivals.sine.amplitude
//	arrivals.users   arrivals.think.mean   arrivals.speed   classes[1].size
//
// The new scenario is made by writing s.Resolved() with the field changed
// and parsing that with Parse, so it is defaulted and validated exactly as a
// file would be. Setting arrivals.load drops arrivals.rate and the other way
// round: they are the two ways of giving one rate. A field the scenario
// leaves out may be set where the file could have written it (arrivals.rate,
// a distribution's cv, an algorithm's parameter), but not under a section the
// scenario does not have (health_check.active.* without active checks).

// With returns a copy of s with the numeric field at path set to value,
// written as in a file: a number ("0.7", "3") or, for a duration field, a
// Go duration ("20ms"). Errors name the path: "servers[3].count: the
// scenario has 2 server groups".
func (s *Scenario) With(path, value string) (*Scenario, error) {
	return s.override(path, func(f field) (any, error) {
		if f.duration {
			d, err := time.ParseDuration(value)
			if err != nil {
				if x, err := strconv.ParseFloat(value, 64); err != nil || x != 0 {
					return nil, fmt.Errorf("%s: %q is not a duration (e.g. 10ms)", path, value)
				}
			}
			return d.String(), nil
		}
		if intLiteral.MatchString(value) { // exact, even beyond 2^53 (seed)
			return f.number(value), nil
		}
		x, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %q is not a number", path, value)
		}
		return f.number(strconv.FormatFloat(x, 'f', -1, 64)), nil
	}, value)
}

// WithNumber is With for a value given as a number, as a sweep gives it: a
// duration field takes it in seconds (0.02 is 20ms, rounded to the
// nanosecond).
func (s *Scenario) WithNumber(path string, x float64) (*Scenario, error) {
	shown := strconv.FormatFloat(x, 'g', -1, 64)
	return s.override(path, func(f field) (any, error) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %s is not a finite number", path, shown)
		}
		if f.duration {
			ns := math.Round(x * 1e9)
			if math.Abs(ns) > math.MaxInt64/2 {
				return nil, fmt.Errorf("%s: %ss is out of range for a duration", path, shown)
			}
			return time.Duration(ns).String(), nil
		}
		return f.number(strconv.FormatFloat(x, 'f', -1, 64)), nil
	}, shown)
}

// Number returns the current value of the numeric field at path, in seconds
// if it is a duration (then duration is true). A field the scenario leaves
// out that it could hold reads as 0. The error is what With would say about
// path.
func (s *Scenario) Number(path string) (x float64, duration bool, err error) {
	_, f, err := s.lookup(path)
	if err != nil {
		return 0, false, err
	}
	switch v := f.parent[f.key].(type) {
	case json.Number:
		x, err = v.Float64()
	case string:
		var d time.Duration
		d, err = time.ParseDuration(v)
		x = d.Seconds()
	}
	if err != nil {
		return 0, false, fmt.Errorf("%s: %v", path, err)
	}
	return x, f.duration, nil
}

var intLiteral = regexp.MustCompile(`^-?[0-9]+$`)

// field is where a path leads in the tree of a resolved scenario.
type field struct {
	parent   map[string]any
	key      string
	duration bool // a duration field: the tree holds a Go duration string
	float    bool // the tree holds a number written with a decimal point
}

// number encodes a number for the tree. Where the field held a float
// written with a decimal point (an algorithm parameter decoded as float64),
// the new value keeps one, so that it decodes as a float64 again.
func (f field) number(s string) json.Number {
	if f.float && !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return json.Number(s)
}

// override sets the field at path to what encode returns for it and parses
// the result. shown is the value as the caller gave it, for messages.
func (s *Scenario) override(path string, encode func(field) (any, error), shown string) (*Scenario, error) {
	root, f, err := s.lookup(path)
	if err != nil {
		return nil, err
	}
	v, err := encode(f)
	if err != nil {
		return nil, err
	}
	f.parent[f.key] = v
	if strings.HasPrefix(path, "arrivals.") {
		switch f.key {
		case "load":
			delete(f.parent, "rate")
		case "rate":
			delete(f.parent, "load")
		}
	}
	data, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	out, err := Parse(s.File, data)
	if err != nil {
		return nil, overrideError(path, shown, err)
	}
	// Messages of later checks (Validate) point into the original file.
	out.lines = s.lines
	return out, nil
}

// overrideError turns the loader's errors about the generated document,
// whose lines mean nothing to the user, into one message about the
// override: "arrivals.load = 0: must be above 0".
func overrideError(path, shown string, err error) error {
	var es Errors
	if !errors.As(err, &es) {
		return fmt.Errorf("%s = %s: %v", path, shown, err)
	}
	msgs := make([]string, len(es))
	for i, e := range es {
		if e.Path == "" || e.Path == path {
			msgs[i] = e.Msg
		} else {
			msgs[i] = e.Path + ": " + e.Msg
		}
	}
	return fmt.Errorf("%s = %s: %s", path, shown, strings.Join(msgs, "; "))
}

// A section is a kind of mapping in a scenario file; it says which keys the
// mapping may hold and where its children lead.
type section int

const (
	secRoot section = iota
	secArrivals
	secServer
	secSpec
	secHealth
	secActive
	secPassive
	secFault
	secState     // arrivals.states[]
	secPoint     // arrivals.profile[]
	secSine      // arrivals.sine
	secClass     // classes[]
	secAlgorithm // name, label, then free-form parameters
	secFree      // inside an algorithm's parameters
	secLoadInfo  // load_info
	secHedge     // hedge
	secBudget    // retry_budget
)

// sectionKeys are the keys each section allows, as the loader checks them.
var sectionKeys = map[section][]string{
	secRoot:     scenarioKeys,
	secArrivals: arrivalsKeys,
	secServer:   serverKeys,
	secSpec:     specKeys,
	secHealth:   healthKeys,
	secActive:   activeKeys,
	secPassive:  passiveKeys,
	secFault:    faultKeys,
	secState:    stateKeys,
	secPoint:    pointKeys,
	secSine:     sineKeys,
	secClass:    classKeys,
	secLoadInfo: loadInfoKeys,
	secHedge:    hedgeKeys,
	secBudget:   budgetKeys,
}

// child is the section that key leads to from sec (lists: their items').
func (sec section) child(key string) section {
	switch sec {
	case secRoot:
		switch key {
		case "arrivals":
			return secArrivals
		case "classes":
			return secClass
		case "servers":
			return secServer
		case "network":
			return secSpec
		case "health_check":
			return secHealth
		case "faults":
			return secFault
		case "algorithms":
			return secAlgorithm
		case "load_info":
			return secLoadInfo
		case "hedge":
			return secHedge
		case "retry_budget":
			return secBudget
		}
	case secArrivals:
		switch key {
		case "states":
			return secState
		case "profile":
			return secPoint
		case "sine":
			return secSine
		case "think":
			return secSpec
		}
	case secServer, secClass:
		if key == "service" {
			return secSpec
		}
	case secSpec:
		if key == "of" {
			return secSpec
		}
	case secHealth:
		switch key {
		case "active":
			return secActive
		case "passive":
			return secPassive
		}
	case secAlgorithm, secFree:
		return secFree
	}
	return secRoot // unused: a scalar
}

// durationKeys are the keys whose values are durations, wherever the
// schema allows them; stringKeys those whose values are text.
var (
	durationKeys = []string{"duration", "warmup", "timeout", "value", "mean", "min", "max", "interval", "ejection", "at",
		"mean_sojourn", "period", "mtbf", "mttr", "join", "leave", "down", "refresh", "delay", "after"}
	stringKeys = []string{"name", "description", "process", "dist", "target", "kind", "label", "file", "source", "discipline"}
)

// listNouns name a list's items in messages: "the scenario has 2 server
// groups".
var listNouns = map[string]string{"servers": "server groups", "faults": "faults", "algorithms": "algorithms", "of": "mixture components",
	"states": "states", "profile": "profile points", "classes": "classes"}

// pathStep is one element of a path: a key, or an index into a list.
type pathStep struct {
	key   string
	index int // -1 for a key
}

var pathElem = regexp.MustCompile(`^([A-Za-z0-9_-]+)((?:\[[0-9]+\])*)$`)

func parsePath(path string) ([]pathStep, error) {
	bad := fmt.Errorf("%q is not a field path (e.g. arrivals.load, servers[0].service.mean)", path)
	if path == "" {
		return nil, bad
	}
	var steps []pathStep
	for elem := range strings.SplitSeq(path, ".") {
		m := pathElem.FindStringSubmatch(elem)
		if m == nil {
			return nil, bad
		}
		steps = append(steps, pathStep{key: m[1], index: -1})
		for idx := range strings.SplitSeq(strings.Trim(m[2], "[]"), "][") {
			if idx == "" {
				continue
			}
			i, err := strconv.Atoi(idx)
			if err != nil {
				return nil, bad
			}
			steps = append(steps, pathStep{index: i})
		}
	}
	return steps, nil
}

// lookup decodes s.Resolved() into a tree of maps, lists, json.Numbers and
// strings, and finds the numeric field at path in it.
func (s *Scenario) lookup(path string) (root map[string]any, f field, err error) {
	steps, err := parsePath(path)
	if err != nil {
		return nil, field{}, err
	}
	data, err := json.Marshal(s.Resolved())
	if err != nil {
		return nil, field{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, field{}, err
	}

	var (
		node any    = root
		sec         = secRoot
		at   string // the path so far
		list string // the key of the list node is, if it is one
	)
	for i, st := range steps {
		last := i == len(steps)-1
		if st.index >= 0 {
			l, ok := node.([]any)
			if !ok {
				return nil, field{}, fmt.Errorf("%s: %s is not a list", path, at)
			}
			if st.index >= len(l) {
				noun := listNouns[list]
				if noun == "" {
					noun = "items in " + at
				}
				return nil, field{}, fmt.Errorf("%s: the scenario has %d %s", path, len(l), noun)
			}
			at += "[" + strconv.Itoa(st.index) + "]"
			if last {
				return nil, field{}, fmt.Errorf("%s: not a number but an item of %s; name one of its fields", path, list)
			}
			node = l[st.index]
			continue
		}
		m, ok := node.(map[string]any)
		if !ok {
			if _, isList := node.([]any); isList {
				return nil, field{}, fmt.Errorf("%s: %s is a list; give an index, e.g. %s[0]", path, at, at)
			}
			return nil, field{}, fmt.Errorf("%s: %s is not a mapping", path, at)
		}
		where := at
		if at != "" {
			at += "."
		}
		at += st.key
		if allowed, fixed := sectionKeys[sec]; fixed && !slices.Contains(allowed, st.key) {
			in := "a scenario"
			if where != "" {
				in = where
			}
			return nil, field{}, fmt.Errorf("%s: no such field; %s has %s", path, in, strings.Join(allowed, ", "))
		}
		v, present := m[st.key]
		if last {
			f, err := leaf(path, m, st.key, v, present, sec)
			if err != nil {
				return nil, field{}, err
			}
			return root, f, nil
		}
		if !present || v == nil {
			return nil, field{}, fmt.Errorf("%s: the scenario has no %s", path, at)
		}
		node, list, sec = v, st.key, sec.child(st.key)
	}
	panic("unreachable") // parsePath returns at least one step
}

// leaf checks that key of m, the last step of path, is a numeric field.
func leaf(path string, m map[string]any, key string, v any, present bool, sec section) (field, error) {
	f := field{parent: m, key: key}
	if sec != secFree && slices.Contains(stringKeys, key) {
		return f, fmt.Errorf("%s: not a number but text", path)
	}
	// hedge.max is a count, as the uniform distribution's max is not.
	f.duration = sec != secFree && !(sec == secHedge && key == "max") && slices.Contains(durationKeys, key)
	if !present {
		return f, nil
	}
	switch v := v.(type) {
	case json.Number:
		if f.duration { // a zero duration may be written as 0
			return f, nil
		}
		f.float = strings.ContainsAny(string(v), ".eE")
		return f, nil
	case string:
		if _, err := time.ParseDuration(v); err == nil && f.duration {
			return f, nil
		}
		return f, fmt.Errorf("%s: not a number but text (%q)", path, v)
	case map[string]any:
		return f, fmt.Errorf("%s: not a number but a mapping; name one of its fields, e.g. %s.%s", path, path, firstKey(v))
	case []any:
		return f, fmt.Errorf("%s: not a number but a list; give an index and a field, e.g. %s[0]...", path, path)
	case nil:
		return f, nil
	default:
		return f, fmt.Errorf("%s: not a number (%v)", path, v)
	}
}

func firstKey(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := m[k].(json.Number); ok {
			return k
		}
	}
	if len(keys) > 0 {
		return keys[0]
	}
	return "..."
}

// WithAlgorithms returns a copy of s whose algorithms are list, written as a
// file writes its algorithms key: a YAML flow list such as
// "[p2c, {name: p2c, choices: 3, label: p3c}]" (a single name needs no
// brackets). The copy is defaulted and validated as a file would be, so an
// unknown algorithm or a bad parameter is an error naming "algorithms".
func (s *Scenario) WithAlgorithms(list string) (*Scenario, error) {
	var items []any
	if err := yaml.Unmarshal([]byte(list), &items); err != nil {
		var one string
		if yaml.Unmarshal([]byte(list), &one) != nil || one == "" {
			return nil, fmt.Errorf("algorithms = %s: not a YAML list of algorithms (e.g. [p2c, {name: p2c, choices: 3, label: p3c}])", list)
		}
		items = []any{one}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("algorithms = %s: the list is empty", list)
	}
	data, err := json.Marshal(s.Resolved())
	if err != nil {
		return nil, err
	}
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	root["algorithms"] = items
	if data, err = json.Marshal(root); err != nil {
		return nil, fmt.Errorf("algorithms = %s: %v", list, err)
	}
	out, err := Parse(s.File, data)
	if err != nil {
		return nil, overrideError("algorithms", list, err)
	}
	out.lines = s.lines
	return out, nil
}
