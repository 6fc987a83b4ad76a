package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fulcrum-lb/fulcrum/report"
)

// writeServerSplit prints, for a run over someone else's servers
// (servers[].urls), each algorithm's split over the servers as the
// proxy counted it: requests, their share, the mean latency of the
// successful ones and the errors; utilisation where it is known ("-"
// for someone else's servers, which do not tell their busy time).
func writeServerSplit(w io.Writer, s *report.Summary) {
	fmt.Fprintf(w, "\nper server (the proxy's accounting; utilisation unknown for servers given by urls):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "algorithm\tserver\trequests\tshare\tmean ms\terrors\tutil\t")
	for _, a := range s.Algorithms {
		for _, sv := range a.Servers {
			share := 0.0
			if a.Requests > 0 {
				share = 100 * float64(sv.Requests) / float64(a.Requests)
			}
			util := "-"
			if sv.UtilizationKnown() {
				util = fmt.Sprintf("%.0f%%", 100*sv.Utilization)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\t%.2f\t%d\t%s\t\n", a.Label, sv.Name, sv.Requests, share, sv.Latency.Mean, sv.Errors, util)
		}
	}
	tw.Flush()
}
