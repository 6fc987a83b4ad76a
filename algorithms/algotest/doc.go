// Package algotest is the test kit for load-balancing strategies written
// against package algorithms, built in or brought by a researcher, in the
// spirit of net/http/httptest: what Fulcrum's own strategies pass, usable
// from any module's tests.
//
//   - Conformance drives a strategy as both engines do and checks the
//     contract written on algorithms.Balancer (DESIGN.md §2): picks are
//     healthy listed backends, ErrNoBackend exactly when none is, in-flight
//     counts follow Pick and Finished, time only moves forward, the same
//     seed gives the same picks, counters survive Update, Update does not
//     keep its argument, concurrent use is safe (run with -race), Pick does
//     not allocate, and a backend whose requests have all finished is not
//     shunned.
//   - CheckPurity walks a package's syntax tree for what a strategy may not
//     do: read the clock, sleep or set timers, start goroutines, do I/O,
//     print, use package-level randomness, register itself in init.
//   - Property drives a strategy through a scripted load and checks a
//     property of every pick against the script's own bookkeeping;
//     LeastLoaded is one ready-made property.
//
// A strategy's tests typically read:
//
//	func TestConformance(t *testing.T) { algotest.Conformance(t, leastOfK) }
//	func TestPurity(t *testing.T)      { algotest.CheckPurity(t, ".") }
//
// Every check reports what is wrong in the strategy's terms ("picked
// backend 3, which is unhealthy"), with the time and the backend set.
package algotest
