package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
)

// SummaryBench is the name of the Go benchmark format file a run writes
// beside summary.json.
const SummaryBench = "summary.bench.txt"

// WriteBenchfmt writes s in the Go benchmark format
// (golang.org/design/14313-benchmark-format), so that benchstat and other
// tools for Go benchmarks read it: `benchstat old/summary.bench.txt
// new/summary.bench.txt`.
//
// First come configuration lines (goos, goarch, pkg, then the scenario,
// engine and seed, the first seed of a run of several), then unit metadata
// lines saying that req/s and jain are better higher (benchstat assumes
// lower) and, for a simulator run of one seed, that its figures are exact
// (one deterministic run needs no statistics). Then one result line per
// algorithm, or one per repetition for a real run with repetitions (bench
// run --repeat N), or one per seed for a simulator run of several seeds
// (sim run --seeds K), in the order they ran: benchstat treats the lines
// of one name as samples, and computes its own median and confidence
// interval from them.
//
//	BenchmarkSim/baseline/p2c 1 12.1 mean-ms 9.8 p50-ms 24 p90-ms 61.2 p99-ms 90.3 p999-ms 1990 req/s 0.005 error-rate 0.998 jain
//
// The name is Benchmark, the engine (Sim, Real), the scenario and the
// label, with whatever the format would misread made an underscore:
// white space, a slash or an = in a name part, and a label's trailing
// -DIGITS (which benchstat would take for GOMAXPROCS). The iteration count
// is always 1. error-rate is the fraction of measured requests rejected,
// failed or timed out.
func WriteBenchfmt(w io.Writer, s *Summary) error {
	bw := bufio.NewWriter(w)
	engine := s.Engine
	pkg := "github.com/fulcrum-lb/fulcrum/sim"
	if engine != "sim" {
		pkg = "github.com/fulcrum-lb/fulcrum/realproxy"
	}
	fmt.Fprintf(bw, "goos: %s\ngoarch: %s\npkg: %s\n", runtime.GOOS, runtime.GOARCH, pkg)
	fmt.Fprintf(bw, "scenario: %s\nengine: %s\nseed: %d\n", configValue(s.Scenario), configValue(engine), s.Seed)
	// benchstat assumes lower is better; say which units are not.
	for _, f := range benchFigures {
		if f.Better == HigherIsBetter {
			fmt.Fprintf(bw, "Unit %s better=higher\n", f.BenchUnit)
		}
	}
	samples := false
	for i := range s.Algorithms {
		samples = samples || len(s.Algorithms[i].Repetitions) > 0 || len(s.Algorithms[i].PerSeed) > 0
	}
	// One seed's figures are exact: the same seed gives the same figures.
	// Several seeds' are samples of a distribution, as repetitions are.
	if engine == "sim" && !samples {
		for _, f := range benchFigures {
			fmt.Fprintf(bw, "Unit %s assume=exact\n", f.BenchUnit)
		}
	}

	prefix := "Benchmark" + nameTitle(engine) + "/" + namePart(s.Scenario) + "/"
	for i := range s.Algorithms {
		a := &s.Algorithms[i]
		name := prefix + labelPart(a.Label)
		reps := a.Repetitions
		if len(reps) == 0 {
			reps = a.PerSeed
		}
		if len(reps) == 0 {
			benchLine(bw, name, func(f *FigureDef) float64 { return f.Value(a) })
			continue
		}
		for j := range reps {
			benchLine(bw, name, func(f *FigureDef) float64 { return f.Repetition(&reps[j]) })
		}
	}
	return bw.Flush()
}

// benchLine writes a result line: name, the iteration count 1, then each
// of benchFigures as value(f) and its unit.
func benchLine(w io.Writer, name string, value func(f *FigureDef) float64) {
	fmt.Fprintf(w, "%s 1", name)
	for i := range benchFigures {
		f := &benchFigures[i]
		fmt.Fprintf(w, " %s %s", benchNum(value(f)), f.BenchUnit)
	}
	fmt.Fprintln(w)
}

// benchNum writes x exactly, in the shortest form, without an exponent
// where that stays short.
func benchNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// nameTitle makes an engine's name a benchmark's first part: "sim" gives
// Sim. The format wants an upper-case letter after Benchmark.
func nameTitle(engine string) string {
	p := namePart(engine)
	if p == "" || p == "_" {
		return "Run"
	}
	return strings.ToUpper(p[:1]) + p[1:]
}

// namePart makes s one part of a benchmark name: white space, slashes and
// = become underscores.
func namePart(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '=' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' {
			return '_'
		}
		return r
	}, s)
}

// labelPart is namePart for the name's last part, where a trailing
// -DIGITS would read as GOMAXPROCS: p2c-3 gives p2c_3.
func labelPart(label string) string {
	p := namePart(label)
	i := len(p)
	for i > 0 && p[i-1] >= '0' && p[i-1] <= '9' {
		i--
	}
	if i < len(p) && i > 0 && p[i-1] == '-' {
		p = p[:i-1] + "_" + p[i:]
	}
	return p
}

// configValue keeps a configuration value on its line.
func configValue(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// WriteBenchfmtFile writes summary.bench.txt into dir from the
// summary.json there (see WriteBenchfmt), atomically. A directory without
// a summary.json (a sweep's) gets none and is no error.
func WriteBenchfmtFile(dir string) error {
	s, err := ReadSummary(dir)
	if err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, SummaryJSON)); errors.Is(statErr, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	var buf strings.Builder
	if err := WriteBenchfmt(&buf, s); err != nil {
		return err
	}
	if err := atomicfile.WriteAll(dir, []atomicfile.File{{Name: SummaryBench, Data: []byte(buf.String())}}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
