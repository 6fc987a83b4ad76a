package sweep

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fulcrum-lb/fulcrum/report"
)

// WriteTable writes sw for a terminal: for the mean and the p99 latency, a
// row per value with each algorithm's figure and its 95% half-width, then
// the theory curves' values ("inf" where the model is unstable). Values a
// shard does not hold are left out.
//
//	baseline: arrivals.load, seeds 1..3, latency in ms (mean over seeds ± 95% CI)
//
//	mean latency (ms)
//	arrivals.load   round-robin        random  ...  random (M/M/1 per server)
//	          0.5  12.6 ± 0.05     20.0 ± 0.2  ...                       20.0
func WriteTable(w io.Writer, sw *report.Sweep) error {
	seeds := "seed " + strconv.FormatUint(first(sw.Seeds), 10)
	if n := len(sw.Seeds); n > 1 {
		seeds = fmt.Sprintf("seeds %d..%d", sw.Seeds[0], sw.Seeds[n-1])
	}
	shard := ""
	if sw.Shard != "" {
		shard = ", shard " + sw.Shard
	}
	unit := ""
	if sw.Unit != "" {
		unit = " (" + sw.Unit + ")"
	}
	fmt.Fprintf(w, "%s: %s%s, %s%s, latency in ms (mean over seeds ± 95%% CI)\n", sw.Scenario, sw.Param, unit, seeds, shard)

	nl := len(sw.Labels)
	index := make(map[[2]int]report.SweepPoint, len(sw.Points))
	vidx := make(map[float64]int, len(sw.Values))
	for i, v := range sw.Values {
		vidx[v] = i
	}
	lidx := make(map[string]int, nl)
	for i, l := range sw.Labels {
		lidx[l] = i
	}
	for _, p := range sw.Points {
		index[[2]int{vidx[p.Value], lidx[p.Label]}] = p
	}
	var theory []report.TheoryCurve
	for _, c := range sw.Theory {
		if c.Figure == "mean_ms" && len(c.Values) == len(sw.Values) {
			theory = append(theory, c)
		}
	}

	type column struct{ Key, caption string }
	var figs []column
	for _, f := range report.SweepLatencyFigures {
		figs = append(figs, column{f.Key, f.Caption()})
	}
	if hasHerding(sw) {
		figs = append(figs, column{HerdingFigure, "herding index (1: even spread; N: all on one server)"})
	}
	for _, fig := range figs {
		fmt.Fprintf(w, "\n%s\n", fig.caption)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		head := []string{sw.Param}
		head = append(head, sw.Labels...)
		if fig.Key == "mean_ms" {
			for _, c := range theory {
				head = append(head, c.Label+" ("+c.Model+")")
			}
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(head, "\t"))
		for vi, v := range sw.Values {
			row := []string{strconv.FormatFloat(v, 'g', -1, 64)}
			have := false
			for li := range sw.Labels {
				p, ok := index[[2]int{vi, li}]
				if !ok {
					row = append(row, "-")
					continue
				}
				have = true
				st := p.Figures[fig.Key]
				row = append(row, report.Sig3(st.Mean)+" ± "+report.Sig(st.CI95, 2))
			}
			if !have {
				continue
			}
			if fig.Key == "mean_ms" {
				for _, c := range theory {
					if c.Values[vi] == Unstable {
						row = append(row, "inf")
					} else {
						row = append(row, report.Sig3(c.Values[vi]))
					}
				}
			}
			fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// hasHerding reports whether sw's points carry the herding index.
func hasHerding(sw *report.Sweep) bool {
	for _, p := range sw.Points {
		if _, ok := p.Figures[HerdingFigure]; ok {
			return true
		}
	}
	return false
}

func first(s []uint64) uint64 {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}
