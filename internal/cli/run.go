package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
	"github.com/fulcrum-lb/fulcrum/plots"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// RunFlags are the flags and steps shared by the commands that run one
// scenario (sim run, bench run): --out DIR, --seed N, --requests N and
// --algorithms LIST (a YAML list that replaces the scenario's), the
// one SCENARIO argument, and the directory the results go to. The steps
// come in order: Parse, Load, then Save once the run is done.
type RunFlags struct {
	out      string   // --out: the results' directory; "" for the default
	seed     UintFlag // --seed: instead of the scenario's
	requests UintFlag // --requests: measured requests per algorithm
	algs     string   // --algorithms: instead of the scenario's
	noPlots  bool     // --no-plots: numbers only, no charts, no report.html

	fs       *flag.FlagSet
	scenario string // the SCENARIO argument

	summary, other *report.Summary // from Report, for the charts
}

// NewRunFlags adds --out, --seed, --requests, --algorithms and --no-plots to fs, a flag set from
// NewFlagSet whose name ("sim run") prefixes the messages.
func NewRunFlags(fs *flag.FlagSet) *RunFlags {
	f := &RunFlags{fs: fs}
	fs.StringVar(&f.out, "out", "", "")
	fs.Var(&f.seed, "seed", "")
	fs.Var(&f.requests, "requests", "")
	fs.StringVar(&f.algs, "algorithms", "", "")
	fs.BoolVar(&f.noPlots, "no-plots", false, "")
	return f
}

// Parse parses args as ParseFlags does, then wants exactly one positional
// argument, SCENARIO, and a --requests, if given, above 0. On a problem it
// reports it to stderr and returns ExitUsage; ok is true if the command
// goes on.
func (f *RunFlags) Parse(usage string, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	pos, code, ok := ParseFlags(f.fs, usage, args, stdout, stderr)
	if !ok {
		return code, false
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "%s: want one SCENARIO, got %d arguments\n\n%s", f.fs.Name(), len(pos), usage)
		return ExitUsage, false
	}
	if f.requests.IsSet && (f.requests.Value == 0 || f.requests.Value > 1<<62) {
		fmt.Fprintf(stderr, "%s: --requests %d: want a count above 0\n", f.fs.Name(), f.requests.Value)
		return ExitUsage, false
	}
	f.scenario = pos[0]
	return 0, true
}

// Load checks that --out, if given, is not a file, then loads SCENARIO (a
// file or a shipped scenario's name) and returns a copy with --seed,
// --requests and --algorithms applied. On a problem it reports it to stderr (see
// PrintLoadError) and returns nil: the command exits with ExitUsage.
func (f *RunFlags) Load(stderr io.Writer) *scenarios.Scenario {
	if f.out != "" {
		if fi, err := os.Stat(f.out); err == nil && !fi.IsDir() {
			fmt.Fprintf(stderr, "%s: --out %s: exists and is not a directory\n", f.fs.Name(), f.out)
			return nil
		}
	}
	loaded, err := scenarios.Open(f.scenario)
	if err != nil {
		PrintLoadError(stderr, f.fs.Name(), err)
		return nil
	}
	sc := loaded.Clone()
	if f.seed.IsSet {
		sc.Seed = f.seed.Value
	}
	if f.requests.IsSet {
		sc.Requests = int64(f.requests.Value)
	}
	if f.algs != "" {
		if sc, err = sc.WithAlgorithms(f.algs); err != nil {
			fmt.Fprintf(stderr, "%s: --algorithms: %v\n", f.fs.Name(), err)
			return nil
		}
	}
	return sc
}

// Save writes the results of a run of the scenario name started at start
// into --out or OutputDir's default with suffix, staged (StageDir): write
// fills the staging directory, Save adds summary.bench.txt: the summary in
// the Go benchmark format (report.WriteBenchfmtFile), and, for each
// algorithm of the summary given to Report that has an in-memory latency
// histogram, latency-<label>.hlog (HistogramLogFile), then draws the run's
// charts and report.html (package plots), then moves the whole directory
// into place and prints "results: DIR" to stdout. The run directory is thus
// whole or absent. If write fails, or ctx ends (the command was
// interrupted) before the move, nothing is left and Save returns that
// error. If only the charts fail, the results without them are moved into
// place, and Save says so and returns the error.
//
// The charts are drawn from the summary given to Report, or else from the
// summary.json write wrote (none if it wrote none), which lacks the
// in-memory latency quantile grid: the CDF is then drawn through the
// percentiles.
func (f *RunFlags) Save(ctx context.Context, stdout io.Writer, name string, start time.Time, suffix string, write func(dir string) error) error {
	st, err := StageDir(f.out, name, start, suffix)
	if err != nil {
		return err
	}
	defer st.Abort() // a no-op once committed
	dir := st.Dir()
	if err := write(dir); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := report.WriteBenchfmtFile(dir); err != nil {
		return err
	}
	if err := writeHistogramLogs(dir, f.summary); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	chartErr := f.writeCharts(dir)
	final, err := st.Commit(ctx)
	if err != nil {
		return err
	}
	if chartErr != nil {
		fmt.Fprintf(stdout, "\nresults (without charts): %s\n", final)
		return fmt.Errorf("%s: results written, but not their charts: %w", final, chartErr)
	}
	fmt.Fprintf(stdout, "\nresults: %s\n", final)
	return nil
}

// Report gives Save the run's summary as the engine returned it, with its
// latency quantile grid, to draw from, and other, if not nil, the same
// scenario on the other engine (bench run --compare-sim's simulation),
// which report.html then overlays. Call it before Save.
func (f *RunFlags) Report(s, other *report.Summary) {
	f.summary, f.other = s, other
}

// writeCharts draws the charts and report.html into dir, all or none;
// nothing if there is no summary to draw from, or with --no-plots (runs
// that only want the numbers: a sweep's points, CI, thousands of servers,
// where drawing costs more than simulating).
func (f *RunFlags) writeCharts(dir string) error {
	if f.noPlots {
		return nil
	}
	s := f.summary
	if s == nil {
		path := filepath.Join(dir, report.SummaryJSON)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		var err error
		if s, err = report.ReadSummary(path); err != nil {
			return err
		}
	}
	_, err := plots.WriteReport(dir, s, f.other)
	return err
}

// HistogramLogFile is the name of an algorithm's latency log:
// latency-<label>.hlog, the label made a file name by report.FileLabel.
func HistogramLogFile(label string) string {
	return "latency-" + report.FileLabel(label) + ".hlog"
}

// writeHistogramLogs writes, for each algorithm of s that has one, its
// latency histogram (report.Algorithm.Histogram) into dir as
// HistogramLogFile(label), in HdrHistogram's interval log format (version
// 1.3): one interval, the measured window, of values in ns, which
// HdrHistogram's tools read (HistogramLogProcessor,
// hdrhistogram.HistogramLogReader). All the files or none, each replaced
// in one step.
func writeHistogramLogs(dir string, s *report.Summary) error {
	if s == nil {
		return nil
	}
	var files []atomicfile.File
	for i := range s.Algorithms {
		a := &s.Algorithms[i]
		if a.Histogram == nil {
			continue
		}
		data, err := encodeHistogramLog(s, a)
		if err != nil {
			return fmt.Errorf("%s: %w", HistogramLogFile(a.Label), err)
		}
		files = append(files, atomicfile.File{Name: HistogramLogFile(a.Label), Data: data})
	}
	if len(files) == 0 {
		return nil
	}
	return atomicfile.WriteAll(dir, files)
}

// encodeHistogramLog is a's histogram as an interval log: the format's
// version, a comment saying what the values are, the legend, then the one
// interval line. It has no StartTime line: a simulated run has no wall-clock
// start, so the interval's times are seconds since the start of the run.
func encodeHistogramLog(s *report.Summary, a *report.Algorithm) ([]byte, error) {
	var buf bytes.Buffer
	w := hdrhistogram.NewHistogramLogWriter(&buf)
	// Writes to a bytes.Buffer do not fail; only the interval's encoding can.
	_ = w.OutputLogFormatVersion()
	_ = w.OutputComment(fmt.Sprintf("[fulcrum: scenario %q, algorithm %q, engine %s, seed %d; "+
		"latency in ns of the requests completed after warm-up; times in s since the start of the run]",
		s.Scenario, a.Label, s.Engine, s.Seed))
	_ = w.OutputLegend()
	if err := w.OutputIntervalHistogram(a.Histogram); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
