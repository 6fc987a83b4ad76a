package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
)

// NewFlagSet returns a flag set for a command, named as the user types it
// ("sim run"). The flag package reports errors to stderr; ParseFlags prints
// the usage.
func NewFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs
}

// ParseFlags parses args with fs, allowing flags before, between and after
// the positional arguments, and turns the outcome into an exit status: -h
// prints the command's usage to stdout and exits 0; another error, already
// reported by the flag package, prints the usage to stderr and exits 2. ok
// is true if the command goes on.
func ParseFlags(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) (positional []string, code int, ok bool) {
	positional, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return nil, ExitOK, false
	}
	if err != nil {
		fmt.Fprint(stderr, usage)
		return nil, ExitUsage, false
	}
	return positional, 0, true
}

// parseInterleaved parses args with fs, allowing flags before, between and
// after the positional arguments (the flag package stops at the first
// positional). Everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// UintFlag is a non-negative integer flag that remembers whether it was
// set. Value holds the default until then.
type UintFlag struct {
	Value uint64
	IsSet bool
}

func (f *UintFlag) String() string { return strconv.FormatUint(f.Value, 10) }

// Set parses s in any base strconv.ParseUint accepts with base 0 (10, 0x10).
func (f *UintFlag) Set(s string) error {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return errors.New("want a non-negative integer")
	}
	f.Value, f.IsSet = v, true
	return nil
}
