package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes s as an aligned table for a terminal: a title line, then
// one row per algorithm with its request counts, errors (all causes),
// throughput in req/s, latency in milliseconds and Jain's fairness index.
// Latencies and throughput have three significant digits. Traffic that is
// not plain (TrafficPlain) is named on a line under the title
// (TrafficShape), and per-class figures follow in a second table
// (writeClassTable).
//
//	baseline: engine sim, seed 1, latency in ms
//	label        requests  completed  errors  req/s  mean   p50   p90   p99  p99.9   jain
//	round-robin    200000     200000       0   2000  12.1  9.80  24.0  61.2   90.3  1.000
//
// A run of several seeds (Summary.Seeds) shows mean, p99 and jain as their
// mean over the seeds ± the 95% confidence half-width (Algorithm.CI), to
// the mean's last digit; the other columns are the first seed's run.
//
//	baseline: engine sim, seeds 1-3, latency in ms (mean, p99, jain: mean ± 95% CI over seeds)
//	label        requests  completed  errors  req/s        mean   p50   p90         p99  p99.9           jain
//	round-robin    200000     200000       0   2000  12.1 ± 0.2  9.80  24.0  61.2 ± 0.9   90.3  1.000 ± 0.000
func WriteTable(w io.Writer, s *Summary) error {
	if len(s.Seeds) >= 2 {
		fmt.Fprintf(w, "%s: engine %s, %s, latency in ms (mean, p99, jain: mean ± 95%% CI over seeds)\n",
			s.Scenario, s.Engine, seedsText(s.Seeds))
	} else {
		fmt.Fprintf(w, "%s: engine %s, seed %d, latency in ms\n", s.Scenario, s.Engine, s.Seed)
	}
	if line := shapedTraffic(s.ScenarioResolved); line != "" {
		fmt.Fprintln(w, line)
	}

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
	row(tableHeader()...)
	for i := range s.Algorithms {
		row(tableRow(&s.Algorithms[i], true)...)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeClassTable(w, s); err != nil {
		return err
	}
	return writeTriesTable(w, s)
}

// writeClassTable writes, when some algorithm has per-class figures
// (Algorithm.Classes), a blank line and a second table: one row per
// algorithm and class, with the class's counts and latency figures as the
// main table has them.
//
//	per class: latency in ms
//	label        class  requests  completed  errors  mean   p50   p90   p99  p99.9
//	round-robin  light    180000     180000       0  4.10  2.90  9.10  21.0   30.2
//	round-robin  heavy     20000      19990      10  81.0  70.2   160   301    402
func writeClassTable(w io.Writer, s *Summary) error {
	rows := classRows(s)
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nper class: latency in ms\n")
	header := classHeader()
	// As above: the label and class columns read left-aligned.
	widths := []int{len(header[0]), len(header[1])}
	for _, r := range rows {
		widths[0], widths[1] = max(widths[0], len(r[0])), max(widths[1], len(r[1]))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells []string) {
		cells = append([]string(nil), cells...)
		for i, wd := range widths {
			cells[i] = fmt.Sprintf("%-*s", wd, cells[i])
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	row(header)
	for _, r := range rows {
		row(r)
	}
	return tw.Flush()
}

// classFigures are the figure columns of the per-class tables (terminal
// and report.html), after the counts.
var classFigures = FiguresNamed("mean", "p50", "p90", "p99", "p999")

// classHeader is the header row of the per-class tables.
func classHeader() []string {
	h := []string{"label", "class", "requests", "completed", "errors"}
	for _, f := range classFigures {
		h = append(h, f.Title)
	}
	return h
}

// classRows are the rows of the per-class tables: each algorithm's classes
// in order, latencies to three significant digits. None when no algorithm
// has classes.
func classRows(s *Summary) [][]string {
	var out [][]string
	for i := range s.Algorithms {
		a := &s.Algorithms[i]
		for _, c := range a.Classes {
			r := []string{a.Label, c.Name, itoa(c.Requests), itoa(c.Completed), itoa(c.Errors.Total())}
			// The figures read an Algorithm: lend them the class's latency.
			k := Algorithm{Latency: c.Latency}
			for _, f := range classFigures {
				r = append(r, Sig3(f.Value(&k)))
			}
			out = append(out, r)
		}
	}
	return out
}

// tableCI are the figures the table shows as mean ± 95% CI in a run of
// several seeds; the title line names them.
var tableCI = map[string]bool{"mean": true, "p99": true, "jain": true}

// tableHeader is the header row of the terminal table and report.html.
func tableHeader() []string {
	h := []string{"label", "requests", "completed", "errors"}
	for _, f := range tableFigures {
		h = append(h, f.Title)
	}
	return h
}

// tableRow is a's row of the terminal table and report.html: its counts,
// then tableFigures, ratios (Jain's index) to three decimals and the
// others to three significant digits. With ci, the figures of tableCI
// that Algorithm.CI holds (a run of several seeds) show as their mean ±
// 95% CI over the seeds.
func tableRow(a *Algorithm, ci bool) []string {
	r := []string{a.Label, itoa(a.Requests), itoa(a.Completed), itoa(a.Errors.Total())}
	for _, f := range tableFigures {
		format := Sig3
		if f.Unit == UnitRatio {
			format = func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
		}
		if ci && tableCI[f.Name] {
			r = append(r, withCI(a.CI, f.Key, f.Value(a), format))
		} else {
			r = append(r, format(f.Value(a)))
		}
	}
	return r
}

// withCI formats figure name as "mean ± ci95" from ci where it is there,
// the half-width with as many decimals as format gives the mean, else x
// alone.
func withCI(ci map[string]Stat, name string, x float64, format func(float64) string) string {
	st, ok := ci[name]
	if !ok {
		return format(x)
	}
	m := format(st.Mean)
	decimals := 0
	if i := strings.IndexByte(m, '.'); i >= 0 {
		decimals = len(m) - i - 1
	}
	return m + " ± " + strconv.FormatFloat(st.CI95, 'f', decimals, 64)
}

// seedsText is "seeds 1-3" for consecutive seeds, else "seeds 1, 7, 9".
func seedsText(seeds []uint64) string {
	consecutive := true
	for i := 1; i < len(seeds); i++ {
		consecutive = consecutive && seeds[i] == seeds[i-1]+1
	}
	if consecutive && len(seeds) >= 2 {
		return fmt.Sprintf("seeds %d-%d", seeds[0], seeds[len(seeds)-1])
	}
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = strconv.FormatUint(s, 10)
	}
	return "seeds " + strings.Join(parts, ", ")
}
