package compare

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/report"
)

// Command is the body of `sim compare` and `bench compare`: BASE NEW
// [--threshold LIST] [--alpha A] [--allow-missing] [--format F]. It reads
// both summaries (summary.json files or run directories), writes the
// comparison to stdout in the format asked for (the table, Markdown or
// JUnit XML; see Format) and returns cli.ExitOK, cli.ExitFailure on a regression or a
// missing algorithm, cli.ExitUsage on a bad command line or a summary it
// cannot read.
type Command struct {
	Name       string // as typed: "sim compare"; prefixes messages
	Usage      string
	Thresholds string // the default --threshold
}

// Run runs the command with the arguments after its name.
func (c Command) Run(args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet(c.Name, stderr)
	threshold := flags.String("threshold", c.Thresholds, "")
	alpha := flags.String("alpha", strconv.FormatFloat(DefaultAlpha, 'g', -1, 64), "")
	allowMissing := flags.Bool("allow-missing", false, "")
	format := flags.String("format", string(FormatText), "")
	pos, code, ok := cli.ParseFlags(flags, c.Usage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "%s: want BASE and NEW, got %d arguments\n\n%s", c.Name, len(pos), c.Usage)
		return cli.ExitUsage
	}
	th, err := ParseThresholds(*threshold)
	if err != nil {
		fmt.Fprintf(stderr, "%s: --threshold: %v\n", c.Name, err)
		return cli.ExitUsage
	}
	a, err := strconv.ParseFloat(*alpha, 64)
	if err != nil || math.IsNaN(a) || a <= 0 || a >= 1 {
		fmt.Fprintf(stderr, "%s: --alpha %s: want a significance level between 0 and 1 (e.g. 0.05)\n", c.Name, *alpha)
		return cli.ExitUsage
	}
	f, err := ParseFormat(*format)
	if err != nil {
		fmt.Fprintf(stderr, "%s: --format: %v\n", c.Name, err)
		return cli.ExitUsage
	}
	var sums [2]*report.Summary
	for i, path := range pos {
		if sums[i], err = report.ReadSummary(path); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
			return cli.ExitUsage
		}
	}
	r := Compare(sums[0], sums[1], Options{Thresholds: th, Alpha: a, AllowMissing: *allowMissing})
	if err := Write(stdout, f, r, TableOptions{BaseName: pos[0], NewName: pos[1]}); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
		return cli.ExitUsage
	}
	if r.Failed() {
		return cli.ExitFailure
	}
	return cli.ExitOK
}
