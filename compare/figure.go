package compare

import (
	"strconv"
	"strings"

	"github.com/fulcrum-lb/fulcrum/report"
)

// A Figure is one of an algorithm's figures that a comparison looks at.
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

var figures = []Figure{
	latencyFigure("mean", "mean ms", func(l report.Latency) float64 { return l.Mean }, func(r *report.RepetitionFigures) float64 { return r.MeanMS }),
	latencyFigure("p50", "p50 ms", func(l report.Latency) float64 { return l.P50 }, func(r *report.RepetitionFigures) float64 { return r.P50MS }),
	latencyFigure("p90", "p90 ms", func(l report.Latency) float64 { return l.P90 }, func(r *report.RepetitionFigures) float64 { return r.P90MS }),
	latencyFigure("p99", "p99 ms", func(l report.Latency) float64 { return l.P99 }, func(r *report.RepetitionFigures) float64 { return r.P99MS }),
	latencyFigure("p999", "p99.9 ms", func(l report.Latency) float64 { return l.P999 }, func(r *report.RepetitionFigures) float64 { return r.P999MS }),
	latencyFigure("max", "max ms", func(l report.Latency) float64 { return l.Max }, nil),
	{
		Name: "throughput", Title: "req/s",
		value:      func(a *report.Algorithm) float64 { return a.ThroughputRPS },
		repetition: func(r *report.RepetitionFigures) float64 { return r.ThroughputRPS },
		format:     sig3,
	},
	{
		Name: "errors", Title: "error rate", HigherIsWorse: true,
		value:      ErrorRate,
		repetition: func(r *report.RepetitionFigures) float64 { return r.ErrorRate },
		format:     percent,
	},
	{
		Name: "jain", Title: "jain",
		value:      func(a *report.Algorithm) float64 { return a.Fairness.Jain },
		repetition: func(r *report.RepetitionFigures) float64 { return r.Jain },
		format:     func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) },
	},
}

func latencyFigure(name, title string, get func(report.Latency) float64, rep func(*report.RepetitionFigures) float64) Figure {
	return Figure{
		Name: name, Title: title, HigherIsWorse: true,
		value:      func(a *report.Algorithm) float64 { return get(a.Latency) },
		repetition: rep,
		format:     sig3,
	}
}

// ErrorRate is the "errors" figure: a's requests rejected, failed or timed
// out over its measured requests; 0 without requests.
func ErrorRate(a *report.Algorithm) float64 {
	if a.Requests <= 0 {
		return 0
	}
	e := a.Errors
	return float64(e.Rejected+e.Failed+e.Timeout) / float64(a.Requests)
}

// figureByName finds a figure by its name or an alias (p99.9, rps, req/s,
// error_rate); ok is false if there is none.
func figureByName(name string) (Figure, bool) {
	switch strings.ToLower(name) {
	case "p99.9":
		name = "p999"
	case "rps", "req/s", "throughput_rps":
		name = "throughput"
	case "error_rate", "error-rate":
		name = "errors"
	}
	for _, f := range figures {
		if f.Name == strings.ToLower(name) {
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

// sig3 formats x with three significant digits, without an exponent, as
// report's tables do: 0.0123, 9.80, 24.0, 612, 1230.
func sig3(x float64) string {
	if x == 0 {
		return "0"
	}
	e := strconv.FormatFloat(x, 'e', 2, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	r, _ := strconv.ParseFloat(e, 64)
	return strconv.FormatFloat(r, 'f', max(0, 2-exp), 64)
}

// percent formats a fraction as a percentage with three significant
// digits: 0.0123 -> 1.23%.
func percent(x float64) string { return sig3(100*x) + "%" }
