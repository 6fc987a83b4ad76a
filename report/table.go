package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes s as an aligned table for a terminal: a title line, then
// one row per algorithm with its request counts, errors (all causes),
// throughput in req/s, latency in milliseconds and Jain's fairness index.
// Latencies and throughput have three significant digits.
//
//	baseline: engine sim, seed 1, latency in ms
//	label        requests  completed  errors  req/s  mean   p50   p90   p99  p99.9   jain
//	round-robin    200000     200000       0   2000  12.1  9.80  24.0  61.2   90.3  1.000
func WriteTable(w io.Writer, s *Summary) error {
	fmt.Fprintf(w, "%s: engine %s, seed %d, latency in ms\n", s.Scenario, s.Engine, s.Seed)

	// tabwriter right-aligns every column or none; pad the labels ourselves
	// so that the first column reads left-aligned.
	width := len("label")
	for _, a := range s.Algorithms {
		width = max(width, len(a.Label))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...string) {
		cells[0] = fmt.Sprintf("%-*s", width, cells[0])
		// The last cell ends in a tab too, so that tabwriter aligns it.
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	row("label", "requests", "completed", "errors", "req/s", "mean", "p50", "p90", "p99", "p99.9", "jain")
	for _, a := range s.Algorithms {
		errs := a.Errors.Rejected + a.Errors.Failed + a.Errors.Timeout
		l := a.Latency
		row(a.Label, itoa(a.Requests), itoa(a.Completed), itoa(errs),
			sig3(a.ThroughputRPS),
			sig3(l.Mean), sig3(l.P50), sig3(l.P90), sig3(l.P99), sig3(l.P999),
			strconv.FormatFloat(a.Fairness.Jain, 'f', 3, 64))
	}
	return tw.Flush()
}

// sig3 formats x rounded to three significant digits, without an exponent:
// 0.0123, 9.80, 24.0, 612, 1230, 130000.
func sig3(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 0):
		return strconv.FormatFloat(x, 'f', -1, 64)
	case x == 0:
		return "0"
	}
	// 'e' rounds the mantissa to three digits and carries into the exponent
	// (9.996 -> 1.00e+01), so the exponent is that of the rounded value.
	e := strconv.FormatFloat(x, 'e', 2, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	r, _ := strconv.ParseFloat(e, 64)
	return strconv.FormatFloat(r, 'f', max(0, 2-exp), 64)
}
