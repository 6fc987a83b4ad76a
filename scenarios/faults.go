package scenarios

import (
	"math"
	"strconv"
)

// Fault kinds, as scenario files write them.
const (
	FaultCrash    = "crash"    // the server refuses connections and drops what it holds
	FaultSlowdown = "slowdown" // service times are multiplied by Factor
	FaultErrors   = "errors"   // arrivals are answered 500 with Probability
	FaultRestart  = "restart"  // a rolling restart: Batch servers at a time drain, are down for Down, rejoin
)

// Describe names a fault's start or end on a run's timeline, the same in
// both engines: "crash", "recover", "slowdown x4", "end slowdown",
// "errors 0.5", "end errors".
func (f Fault) Describe(end bool) string {
	switch {
	case f.Kind == FaultCrash && end:
		return "recover"
	case end:
		return "end " + f.Kind
	case f.Kind == FaultSlowdown:
		return "slowdown x" + strconv.FormatFloat(f.Factor, 'g', -1, 64)
	case f.Kind == FaultErrors:
		return "errors " + strconv.FormatFloat(f.Probability, 'g', -1, 64)
	}
	return f.Kind
}

// FaultLevels combines the slowdown and errors faults in force on one
// server, where inForce(i) says whether faults[i] is active and targets it:
//
//	slowdown = prod of the active factors
//	errors   = 1 - prod(1 - p) over the active error faults
//
// Recomputing from the set in force (rather than dividing out a factor when
// it ends) keeps the figures exact however faults overlap.
func FaultLevels(faults []Fault, inForce func(i int) bool) (slow, errP float64) {
	slow, pass := 1.0, 1.0
	for i, f := range faults {
		if !inForce(i) {
			continue
		}
		switch f.Kind {
		case FaultSlowdown:
			slow *= f.Factor
		case FaultErrors:
			pass *= 1 - f.Probability
		}
	}
	errP = 1 - pass
	if math.Abs(errP) < 1e-15 {
		errP = 0
	}
	return slow, errP
}
