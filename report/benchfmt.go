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
// engine and seed), then unit metadata lines saying that req/s and jain
// are better higher (benchstat assumes lower) and, for the simulator, that
// its figures are exact (one deterministic run needs no statistics). Then
// one result line per algorithm, or, for a real run with repetitions, one
// per repetition (benchstat treats them as samples):
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
	fmt.Fprintln(bw, "Unit req/s better=higher")
	fmt.Fprintln(bw, "Unit jain better=higher")
	if engine == "sim" {
		for _, u := range []string{"mean-ms", "p50-ms", "p90-ms", "p99-ms", "p999-ms", "req/s", "error-rate", "jain"} {
			fmt.Fprintf(bw, "Unit %s assume=exact\n", u)
		}
	}

	prefix := "Benchmark" + nameTitle(engine) + "/" + namePart(s.Scenario) + "/"
	for _, a := range s.Algorithms {
		name := prefix + labelPart(a.Label)
		if len(a.Repetitions) == 0 {
			l := a.Latency
			benchLine(bw, name, l.Mean, l.P50, l.P90, l.P99, l.P999, a.ThroughputRPS, errorRate(&a))
			fmt.Fprintf(bw, " %s jain\n", benchNum(a.Fairness.Jain))
			continue
		}
		for _, r := range a.Repetitions {
			benchLine(bw, name, r.MeanMS, r.P50MS, r.P90MS, r.P99MS, r.P999MS, r.ThroughputRPS, r.ErrorRate)
			fmt.Fprintf(bw, " %s jain\n", benchNum(r.Jain))
		}
	}
	return bw.Flush()
}

// benchLine writes a result line up to its last figure, without the
// newline.
func benchLine(w io.Writer, name string, mean, p50, p90, p99, p999, rps, errRate float64) {
	fmt.Fprintf(w, "%s 1 %s mean-ms %s p50-ms %s p90-ms %s p99-ms %s p999-ms %s req/s %s error-rate",
		name, benchNum(mean), benchNum(p50), benchNum(p90), benchNum(p99), benchNum(p999), benchNum(rps), benchNum(errRate))
}

func errorRate(a *Algorithm) float64 {
	if a.Requests <= 0 {
		return 0
	}
	return float64(a.Errors.Rejected+a.Errors.Failed+a.Errors.Timeout) / float64(a.Requests)
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
