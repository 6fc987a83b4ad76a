//go:build !linux

package backend

// newSleeper is a Go timer sleeper where no timerfd is wired up; the
// adaptive lead and the exact chaining of service periods still apply.
func newSleeper() sleeper { return newTimeSleeper() }
