//go:build !race

package sim

// raceScale is 1 without the race detector: the statistical tests run at
// full length (race_test.go).
const raceScale = 1.0
