package external

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// Spec is the strategy "external": a program in any language, run as a
// child process that speaks the line protocol (PROTOCOL.md). A program
// registers it explicitly (algorithms.Register(external.Spec)), as sim and
// bench do; scenario files then write
//
//	algorithms:
//	  - {name: external, command: "python3 external/python/least_loaded.py", params: {alpha: 0.3}, label: py-least-loaded}
//
// command is split into words at spaces, with single or double quotes
// grouping words, and no shell: no variables, globs or pipes (write
// "sh -c '...'" for those). It runs in the current directory. params is
// handed to the process as it is, in the init message.
var Spec = algorithms.Spec{
	Name:    "external",
	Summary: "a strategy in any language: a child process speaking Fulcrum's line protocol (external/PROTOCOL.md)",
	Params: []algorithms.Param{
		algorithms.String{Name: "command", Doc: `the program and its arguments, e.g. "python3 my_lb.py" (required; quotes group words; no shell)`},
		algorithms.Duration{Name: "pick_timeout", Default: DefaultPickTimeout, Doc: "an answer to a pick later than this fails the run"},
		algorithms.Map{Name: "params", Doc: "the strategy's own parameters, passed to its process as they are"},
	},
	New: func(p algorithms.Params, src rand.Source) (algorithms.Balancer, error) {
		argv, err := commandWords(p.String("command"))
		if err != nil {
			return nil, &algorithms.ParamError{Param: "command", Err: err}
		}
		return New(Config{Command: argv, Params: p.Map("params"), PickTimeout: p.Duration("pick_timeout")}, src)
	},
	// Fits runs when a scenario is checked, before anything is started: a
	// missing or unsplittable command is the scenario's mistake, at its line.
	Fits: func(p algorithms.Params, _ int) error {
		if _, err := commandWords(p.String("command")); err != nil {
			return &algorithms.ParamError{Param: "command", Err: err}
		}
		return nil
	},
}

// commandWords splits a command line into words: spaces separate them,
// single or double quotes group them (a quote inside the other kind is a
// plain character), and nothing else is special.
func commandWords(line string) ([]string, error) {
	var (
		words []string
		word  strings.Builder
		in    bool // inside a word (perhaps an empty quoted one)
		quote rune // the open quote, or 0
	)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, word.String())
				word.Reset()
				in = false
			}
		default:
			word.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote in %q", quote, line)
	}
	if in {
		words = append(words, word.String())
	}
	if len(words) == 0 {
		return nil, errors.New(`required: the program to run and its arguments, e.g. "python3 my_lb.py"`)
	}
	return words, nil
}
