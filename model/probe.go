package model

import "time"

// ProbeWeight is the weight of the newest sample in a server's response-time
// average, as its load probes report it (prequal): the simulator's servers
// and the real backends' /probe use the same.
const ProbeWeight = 0.2

// ProbeEWMA is a server's exponentially weighted average of its recent
// response times (queue + service), as load probes report it:
//
//	avg <- (1 - ProbeWeight) x avg + ProbeWeight x sample
//
// kept in whole nanoseconds; the first sample is taken whole. The zero
// value is ready to use.
type ProbeEWMA struct {
	avg  time.Duration
	seen bool
}

// Add folds in one response time.
func (e *ProbeEWMA) Add(d time.Duration) {
	if e.seen {
		e.avg = time.Duration((1-ProbeWeight)*float64(e.avg) + ProbeWeight*float64(d))
		return
	}
	e.avg, e.seen = d, true
}

// Value is the average, 0 before any sample.
func (e *ProbeEWMA) Value() time.Duration { return e.avg }
