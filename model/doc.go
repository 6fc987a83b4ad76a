// Package model is the world both engines drive: what a scenario means,
// written once, with no clock, goroutine or socket of its own. The
// simulator (package sim) drives it with virtual time and events; the real
// engine (package realproxy) with wall time and HTTP. Whatever the two
// engines must agree on lives here, so that it cannot drift:
//
//   - Arrivals: the arrival schedule as an iterator, with the one stopping
//     rule (requests after warm-up, or duration) and the one estimate of a
//     run's length;
//   - Users: a closed loop's population (arrivals.process: closed), each
//     user with its own random stream (think time, job size, balancer,
//     class per request, the same under every algorithm), under the same
//     stopping rule applied in issue order; the first request of each
//     user waits one think draw from t = 0. Both engines drive it: the
//     simulator with events, the real engine with a goroutine per user;
//   - FaultSchedule: the faults of a scenario as a pure timeline of steps,
//     and what each step does to each server (crash, recover, new slowdown
//     and error levels);
//   - Health: one balancer's verdict on each server, from active probes
//     with rise/fall hysteresis and passive ejection after consecutive
//     failed attempts;
//   - Outcome: how a request or an attempt ended, as both engines count it;
//   - Recorder: the figures of one algorithm's run, fed attempt by attempt
//     and request by request (Add-style, as vegeta's Metrics), yielding
//     the report.Algorithm both engines write;
//   - ProbeEWMA: the load probes' latency average;
//   - Budget and HedgeDelay: a balancer's retry budget and hedge delay
//     (DESIGN.md §7), with the clock passed in; these two lock, since the
//     proxy's goroutines share its balancer's.
//   - PS: a processor-sharing server (servers[].discipline: ps), a virtual
//     clock and a heap of finish values, time passed in.
//
// Nothing here is safe for concurrent use: the simulator is one goroutine,
// and the real engine holds a lock around the pieces it shares.
package model
