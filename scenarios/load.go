package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

// shippedFS holds the shipped scenarios, the .yaml files beside this one.
//
//go:embed *.yaml
var shippedFS embed.FS

// ShippedInfo describes one shipped scenario.
type ShippedInfo struct {
	Name        string // what Open takes, e.g. "baseline"
	Description string
	File        string // its path in the repository, e.g. "scenarios/baseline.yaml"
}

// Load reads, defaults and validates the scenario file at path. Problems in
// the file come as an Errors.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Open loads a scenario by file path, or by the name of a shipped scenario
// ("baseline"). A name without a slash or an extension is looked up among the
// shipped scenarios first; anything else is a path.
func Open(nameOrPath string) (*Scenario, error) {
	if isName(nameOrPath) {
		if data, err := shippedFS.ReadFile(nameOrPath + ".yaml"); err == nil {
			return Parse(shippedFile(nameOrPath), data)
		}
	}
	s, err := Load(nameOrPath)
	if errors.Is(err, fs.ErrNotExist) && isName(nameOrPath) {
		return nil, fmt.Errorf("no scenario %q: not a file, nor a shipped scenario (%s)", nameOrPath, strings.Join(shippedNames(), ", "))
	}
	return s, err
}

func isName(s string) bool {
	return s != "" && !strings.ContainsAny(s, `/\`) && path.Ext(s) == ""
}

func shippedFile(name string) string { return "scenarios/" + name + ".yaml" }

func shippedNames() []string {
	entries, _ := shippedFS.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

var shipped = sync.OnceValue(func() []ShippedInfo {
	var out []ShippedInfo
	for _, name := range shippedNames() {
		info := ShippedInfo{Name: name, File: shippedFile(name)}
		data, _ := shippedFS.ReadFile(name + ".yaml")
		if s, err := Parse(info.File, data); err != nil {
			info.Description = "invalid: " + err.Error()
		} else {
			info.Description = s.Description
		}
		out = append(out, info)
	}
	return out
})

// Shipped lists the scenarios embedded in the binary, sorted by name. Each
// one opens with Open(Name).
func Shipped() []ShippedInfo {
	return append([]ShippedInfo(nil), shipped()...)
}
