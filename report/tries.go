package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// writeTriesTable writes, when some algorithm has hedges or retries
// figures (a scenario with hedge or retry_budget), a blank line and a table
// of them, with the attempts per request they make:
//
//	hedges and retries (measured requests)
//	label        hedges   won  denied  retries  denied  attempts/req
//	round-robin    2527  1878       0        0       0         1.126
func writeTriesTable(w io.Writer, s *Summary) error {
	has := false
	for _, a := range s.Algorithms {
		has = has || a.Hedges != nil || a.Retries != nil
	}
	if !has {
		return nil
	}
	fmt.Fprintf(w, "\nhedges and retries (measured requests)\n")
	width := len("label")
	for _, a := range s.Algorithms {
		width = max(width, len(a.Label))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...string) {
		cells[0] = fmt.Sprintf("%-*s", width, cells[0])
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	row("label", "hedges", "won", "denied", "retries", "denied", "attempts/req")
	n := func(x int64) string { return strconv.FormatInt(x, 10) }
	for _, a := range s.Algorithms {
		var h Hedges
		var r Retries
		if a.Hedges != nil {
			h = *a.Hedges
		}
		if a.Retries != nil {
			r = *a.Retries
		}
		per := "-"
		if a.Requests > 0 {
			per = strconv.FormatFloat(1+float64(h.Sent+r.Sent)/float64(a.Requests), 'f', 3, 64)
		}
		row(a.Label, n(h.Sent), n(h.Won), n(h.DeniedByBudget), n(r.Sent), n(r.DeniedByBudget), per)
	}
	return tw.Flush()
}
