package report

import "strings"

// FigureDef describes one of the figures an Algorithm reports, once for
// every reader: the terminal table, report.html, summary.bench.txt, a
// sweep (sweep.json, sweep.csv), a run of several seeds (Algorithm.CI) and
// a comparison (package compare) all take their names, keys, units,
// directions and values from Figures, so that a figure cannot mean one
// thing in one file and another in the next.
//
// A figure has several names because the files have grown several
// vocabularies; FigureByName accepts each of them.
type FigureDef struct {
	// Name is the short name thresholds and command lines use: "p99",
	// "errors", "throughput".
	Name string
	// Key is the figure's key in sweep.json and sweep.csv, in
	// Algorithm.CI (ci95) and in RepetitionFigures: "p99_ms",
	// "error_rate", "throughput_rps".
	Key string
	// Title heads the figure's column in a table: "p99", "p99.9",
	// "req/s", "error rate".
	Title string
	// BenchUnit is the figure's unit in summary.bench.txt ("p99-ms",
	// "req/s", "error-rate"), empty where the file does not carry it.
	BenchUnit string
	Unit      Unit
	Better    Better
	// Value is the figure of a whole run.
	Value func(a *Algorithm) float64
	// Repetition is the figure of one repetition of a real run; nil where
	// RepetitionFigures does not record it.
	Repetition func(r *RepetitionFigures) float64
	// aliases are further names FigureByName accepts.
	aliases []string
}

// Unit is what a figure is measured in.
type Unit string

// The units of Figures.
const (
	UnitMS       Unit = "ms"       // a latency in milliseconds
	UnitRPS      Unit = "req/s"    // completed requests per second
	UnitFraction Unit = "fraction" // a share of requests, 0..1 (0.01 = 1%)
	UnitRatio    Unit = "ratio"    // a dimensionless index (Jain's, max/mean, CoV)
)

// Better is the way a figure improves.
type Better int

// The directions of Better.
const (
	LowerIsBetter  Better = iota // latency, errors, unevenness
	HigherIsBetter               // throughput, Jain's index
)

// Figures lists every figure in a fixed order: latency (mean, p50, p90,
// p99, p99.9, max), throughput, fairness (Jain's index, max over mean,
// coefficient of variation), the error rate and the probability of
// queueing. Each output picks its own, in its own column order, with
// FiguresNamed. Do not modify the slice.
var Figures = []FigureDef{
	latencyFigure("mean", "mean", func(l *Latency) float64 { return l.Mean }, func(r *RepetitionFigures) float64 { return r.MeanMS }),
	latencyFigure("p50", "p50", func(l *Latency) float64 { return l.P50 }, func(r *RepetitionFigures) float64 { return r.P50MS }),
	latencyFigure("p90", "p90", func(l *Latency) float64 { return l.P90 }, func(r *RepetitionFigures) float64 { return r.P90MS }),
	latencyFigure("p99", "p99", func(l *Latency) float64 { return l.P99 }, func(r *RepetitionFigures) float64 { return r.P99MS }),
	latencyFigure("p999", "p99.9", func(l *Latency) float64 { return l.P999 }, func(r *RepetitionFigures) float64 { return r.P999MS }),
	func() FigureDef {
		// summary.bench.txt has no max: one slow request is not a sample
		// benchstat should average.
		f := latencyFigure("max", "max", func(l *Latency) float64 { return l.Max }, nil)
		f.BenchUnit = ""
		return f
	}(),
	{
		Name: "throughput", Key: "throughput_rps", Title: "req/s", BenchUnit: "req/s",
		Unit: UnitRPS, Better: HigherIsBetter,
		Value:      func(a *Algorithm) float64 { return a.ThroughputRPS },
		Repetition: func(r *RepetitionFigures) float64 { return r.ThroughputRPS },
		aliases:    []string{"rps"},
	},
	{
		Name: "jain", Key: "jain", Title: "jain", BenchUnit: "jain",
		Unit: UnitRatio, Better: HigherIsBetter,
		Value:      func(a *Algorithm) float64 { return a.Fairness.Jain },
		Repetition: func(r *RepetitionFigures) float64 { return r.Jain },
	},
	{
		Name: "max_over_mean", Key: "max_over_mean", Title: "max/mean",
		Unit: UnitRatio, Better: LowerIsBetter,
		Value: func(a *Algorithm) float64 { return a.Fairness.MaxOverMean },
	},
	{
		Name: "cov", Key: "cov", Title: "cov",
		Unit: UnitRatio, Better: LowerIsBetter,
		Value: func(a *Algorithm) float64 { return a.Fairness.CoV },
	},
	{
		Name: "errors", Key: "error_rate", Title: "error rate", BenchUnit: "error-rate",
		Unit: UnitFraction, Better: LowerIsBetter,
		Value:      ErrorRate,
		Repetition: func(r *RepetitionFigures) float64 { return r.ErrorRate },
	},
	{
		Name: "wait_probability", Key: "wait_probability", Title: "wait prob",
		Unit: UnitFraction, Better: LowerIsBetter,
		Value: func(a *Algorithm) float64 { return a.WaitProbability },
	},
}

// latencyFigure is a latency figure in ms named name ("p999"), headed
// title ("p99.9"), keyed name_ms.
func latencyFigure(name, title string, get func(*Latency) float64, rep func(*RepetitionFigures) float64) FigureDef {
	f := FigureDef{
		Name: name, Key: name + "_ms", Title: title, BenchUnit: name + "-ms",
		Unit: UnitMS, Better: LowerIsBetter,
		Value:      func(a *Algorithm) float64 { return get(&a.Latency) },
		Repetition: rep,
	}
	if title != name {
		f.aliases = []string{title} // p99.9
	}
	return f
}

// ErrorRate is a's requests rejected, failed or timed out (all causes)
// over its measured requests: 0.01 is 1%. It is 0 when there were no
// requests, so that an idle algorithm reads as error-free, not as NaN
// (which JSON cannot hold).
func ErrorRate(a *Algorithm) float64 {
	if a.Requests <= 0 {
		return 0
	}
	return float64(a.Errors.Total()) / float64(a.Requests)
}

// Total is the number of requests that did not complete, every cause
// together.
func (e Errors) Total() int64 { return e.Rejected + e.Failed + e.Timeout }

// FigureByName finds a figure by any of its names, case aside: its Name
// ("p99", "errors", "throughput"), its Key ("p99_ms", "error_rate",
// "throughput_rps"), its Title ("p99.9", "req/s", "error rate"), its
// BenchUnit ("p999-ms", "error-rate") or an alias ("rps"). ok is false
// if no figure has that name.
func FigureByName(name string) (f FigureDef, ok bool) {
	for _, f := range Figures {
		if f.hasName(name) {
			return f, true
		}
	}
	return FigureDef{}, false
}

func (f *FigureDef) hasName(name string) bool {
	for _, n := range f.names() {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// names are every name f answers to, Name first.
func (f *FigureDef) names() []string {
	out := []string{f.Name, f.Key, f.Title}
	if f.BenchUnit != "" {
		out = append(out, f.BenchUnit)
	}
	return append(out, f.aliases...)
}

// FiguresNamed returns the figures of the given names (any name
// FigureByName accepts), in that order. It panics on an unknown name: the
// lists are written in the code, so a bad one is a bug.
func FiguresNamed(names ...string) []FigureDef {
	out := make([]FigureDef, len(names))
	for i, n := range names {
		f, ok := FigureByName(n)
		if !ok {
			panic("report: no figure " + n)
		}
		out[i] = f
	}
	return out
}

// Keys returns the Key of each of fs, in order.
func Keys(fs []FigureDef) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Key
	}
	return out
}

// SweepFigures are the figures of every SweepPoint, in the order of
// sweep.csv's columns.
var SweepFigures = FiguresNamed("mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms",
	"throughput_rps", "jain", "error_rate", "wait_probability")

// SeedFigures are the figures a run of several seeds aggregates over them
// (Algorithm.CI): SweepFigures and the fairness's max over mean and CoV.
var SeedFigures = FiguresNamed("mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms",
	"throughput_rps", "jain", "max_over_mean", "cov", "error_rate", "wait_probability")

// SweepLatencyFigures are the figures a sweep's table (sweep.WriteTable)
// and chart (plots.Sweep) show against the swept parameter, in order.
var SweepLatencyFigures = FiguresNamed("mean", "p99")

// Caption names f with its unit, for a table's section or a chart's axis:
// "mean latency (ms)", "throughput (req/s)"; dimensionless figures are
// their Title.
func (f *FigureDef) Caption() string {
	switch f.Unit {
	case UnitMS:
		return f.Title + " latency (ms)"
	case UnitRPS:
		return "throughput (req/s)"
	}
	return f.Title
}

// benchFigures are summary.bench.txt's figures, in the order of a result
// line.
var benchFigures = FiguresNamed("mean", "p50", "p90", "p99", "p999", "throughput", "errors", "jain")

// tableFigures are the figure columns of the terminal table and
// report.html, after the counts of requests, completions and errors.
var tableFigures = FiguresNamed("throughput", "mean", "p50", "p90", "p99", "p999", "jain")
