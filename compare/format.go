package compare

import (
	"fmt"
	"io"
	"strings"
)

// Format is how a comparison is written: the aligned table for a terminal
// (FormatText), a GitHub-flavoured Markdown table for a pull-request
// comment (FormatMarkdown) or JUnit XML for a CI system's test report
// (FormatJUnit). The comparison, its verdict and the exit status are the
// same in every format.
type Format string

// The formats --format takes.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatJUnit    Format = "junit"
)

// Formats lists the formats in the order the usage names them.
var Formats = []Format{FormatText, FormatMarkdown, FormatJUnit}

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if s == string(f) {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("%q is not a format: want %s", s, strings.Join(names, ", "))
}

// Write writes r in format f; opt names the two sides (OnlyChanged applies
// to the text and Markdown tables; JUnit always has every figure, one test
// case each).
func Write(w io.Writer, f Format, r *Result, opt TableOptions) error {
	switch f {
	case FormatText, "":
		return WriteTable(w, r, opt)
	case FormatMarkdown:
		return WriteMarkdown(w, r, opt)
	case FormatJUnit:
		return WriteJUnit(w, r, opt)
	}
	return fmt.Errorf("compare: unknown format %q", f)
}
