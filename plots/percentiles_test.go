package plots

import (
	"bytes"
	"testing"

	"github.com/fulcrum-lb/fulcrum/report"
)

// A run of several seeds draws its intervals: error bars and "mean ± ci"
// on the percentile bars, "Jain mean ± ci" in the servers legend, and the
// seeds in both headings. An algorithm without CI is drawn as before.
func TestSeedsCI(t *testing.T) {
	s := edgeSummary(2, 3)
	s.Seeds = []uint64{7, 8, 9}
	s.Algorithms[0].CI = map[string]report.Stat{
		"p50_ms": {Mean: 2.04, CI95: 0.031, N: 3}, "p90_ms": {Mean: 5.1, CI95: 0.2, N: 3},
		"p99_ms": {Mean: 61.23, CI95: 0.94, N: 3}, "p999_ms": {Mean: 20.5, CI95: 1.5, N: 3},
		"jain": {Mean: 0.9972, CI95: 0.0011, N: 3},
	}
	pc, err := render(percentilesChart(s), false)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := render(serversChart(s), false)
	if err != nil {
		t.Fatal(err)
	}
	checkSVGs(t, []Chart{pc, sc}, false)
	for _, c := range []struct {
		chart Chart
		want  []string
	}{
		{pc, []string{"seeds 7-9, mean ± 95% CI", "p99 61.2 ± 0.9", "p50 2.04 ± 0.03", "p99 10.0<"}},
		{sc, []string{"seeds 7-9, bars seed 7", "Jain 0.997 ± 0.001", "Jain 1.000)"}},
	} {
		for _, w := range c.want {
			if !bytes.Contains(c.chart.SVG, []byte(w)) {
				t.Errorf("%s.svg lacks %q", c.chart.Name, w)
			}
		}
	}
}
