package metrics

import "github.com/fulcrum-lb/fulcrum/report"

// Affinity counts where each client's requests go, to tell how often a
// client lands on "its" server: sum over clients of the count on their most
// used server, over all counted requests. Memory is clients x servers
// counters; NewAffinity returns nil (and a nil Affinity counts nothing) past
// report.MaxAffinityCells.
type Affinity struct {
	servers int
	counts  []int32
	total   int64
}

// NewAffinity returns a counter for the given numbers of clients and
// servers, or nil if the table would be too large.
func NewAffinity(clients, servers int) *Affinity {
	if clients <= 0 || servers <= 0 || clients*servers > report.MaxAffinityCells {
		return nil
	}
	return &Affinity{servers: servers, counts: make([]int32, clients*servers)}
}

// Add counts one request of client c sent to server s.
func (a *Affinity) Add(c, s int) {
	if a == nil || c < 0 || s < 0 || s >= a.servers || c*a.servers+s >= len(a.counts) {
		return
	}
	a.counts[c*a.servers+s]++
	a.total++
}

// Value returns the affinity in [0, 1], or 0 when nothing was counted.
func (a *Affinity) Value() float64 {
	if a == nil || a.total == 0 {
		return 0
	}
	var sum int64
	for c := 0; c < len(a.counts); c += a.servers {
		var best int32
		for _, n := range a.counts[c : c+a.servers] {
			best = max(best, n)
		}
		sum += int64(best)
	}
	return float64(sum) / float64(a.total)
}
