package compare

import (
	"strconv"
	"strings"

	"github.com/fulcrum-lb/fulcrum/report"
)

// A Figure is one of an algorithm's figures that a comparison looks at:
// report's definition of it (report.Figures), with how the comparison
// table heads and writes it.
type Figure struct {
	Name  string // as --threshold names it: "p99"
	Title string // as the table heads it: "p99 ms"
	// HigherIsWorse tells which way is a regression: up for latency and
	// errors, down for throughput and fairness.
	HigherIsWorse bool
	value         func(a *report.Algorithm) float64
	// repetition is the figure in one repetition of a real run, nil if
	// repetitions do not record it (then it is judged on the threshold
	// alone).
	repetition func(r *report.RepetitionFigures) float64
	format     func(x float64) string
}

// Figures lists, in table order, every figure a comparison looks at:
//
//	mean, p50, p90, p99, p999, max  latency in ms; higher is worse
//	throughput                      completed requests per second; lower is worse
//	errors                          the error rate: requests rejected, failed or
//	                                timed out (all causes) over measured requests,
//	                                a fraction (0.01 = 1%); higher is worse
//	jain                            Jain's fairness index, 1/n .. 1; lower is worse
//
// A comparison reports every figure; only those with a threshold can fail it.
// Real runs keep every figure but max per repetition.
func Figures() []Figure { return append([]Figure(nil), figures...) }

var figures = func() []Figure {
	defs := report.FiguresNamed("mean", "p50", "p90", "p99", "p999", "max", "throughput", "errors", "jain")
	out := make([]Figure, len(defs))
	for i, d := range defs {
		f := Figure{
			Name: d.Name, Title: d.Title, HigherIsWorse: d.Better == report.LowerIsBetter,
			value: d.Value, repetition: d.Repetition, format: report.Sig3,
		}
		switch d.Unit {
		case report.UnitMS:
			f.Title += " ms"
		case report.UnitFraction:
			f.format = percent
		case report.UnitRatio:
			// Jain's index moves in the third decimal between runs that
			// differ; a fourth shows by how much.
			f.format = func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
		}
		out[i] = f
	}
	return out
}()

// figureByName finds one of figures by any name report.FigureByName
// accepts (p99, p99_ms, p99.9, rps, req/s, error_rate, error-rate); ok is
// false if there is none or if a comparison does not look at it.
func figureByName(name string) (Figure, bool) {
	d, ok := report.FigureByName(name)
	if !ok {
		return Figure{}, false
	}
	for _, f := range figures {
		if f.Name == d.Name {
			return f, true
		}
	}
	return Figure{}, false
}

func figureNames() string {
	names := make([]string, len(figures))
	for i, f := range figures {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// percent formats a fraction as a percentage with three significant
// digits: 0.0123 -> 1.23%.
func percent(x float64) string { return report.Sig3(100*x) + "%" }
