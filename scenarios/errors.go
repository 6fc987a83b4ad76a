package scenarios

import (
	"sort"
	"strconv"
	"strings"
)

// Error is one problem in a scenario file. It prints as
//
//	file:line: path: message
//
// leaving out the line when it is unknown (0) and the path when the problem
// is with the whole file.
type Error struct {
	File string // as given to Parse or Load, e.g. "scenarios/x.yaml"
	Line int    // 1-based; 0 when unknown
	Path string // field path, e.g. "servers[0].service.mean"; "" for the file
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	file := e.File
	if file == "" {
		file = "<scenario>"
	}
	b.WriteString(file)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a scenario, sorted by line. Parse, Load,
// Open and Scenario.Validate return their problems as an Errors, never empty;
// errors.As finds its first *Error.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.Is and errors.As look at each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortErrors orders es by line, keeping the order of discovery within a
// line, and drops exact duplicates.
func sortErrors(es Errors) Errors {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	out := es[:0]
	for _, e := range es {
		if len(out) > 0 && *e == *out[len(out)-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}
