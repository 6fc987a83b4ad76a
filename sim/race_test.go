//go:build race

package sim

// raceScale shrinks the statistical tests' runs under the race detector,
// which slows a single-goroutine simulation five to ten times and finds
// nothing in it that the runs' length would change: half the requests,
// and a standard error allowed sqrt(2) larger (checkMean, checkWait), so
// every tolerance stays 4 of the run's own standard errors.
const raceScale = 0.5
