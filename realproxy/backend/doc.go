// Package backend runs the real engine's emulated backends: HTTP servers on
// loopback that behave like the simulator's servers (DESIGN.md §4, sim/doc.go),
// so that the proxy in front of them faces the system the simulator models.
//
// A server with concurrency c serves at most c requests at once; the others
// wait in a strict FIFO queue (an explicit list of waiters, each handed a
// worker in arrival order), and with a queue limit q a request that finds q
// waiting is answered 503 "queue full" at once. A request's service time is
// Quantile(u) of the server's distribution, u taken from the request's
// X-Fulcrum-Quantile header (common random numbers) or, without one, drawn
// from the server's own seeded stream, then multiplied by the slowdown factor
// in force when its service starts. An errors fault answers 500 on arrival,
// before queueing, taking no worker. A crash closes the listener and every
// connection, so queued and in-service requests see their connection reset
// and new ones are refused; Recover listens again on the same address with an
// empty queue. /health and /probe answer at once, never queued. A
// processor-sharing server (Config.PS) serves every request at once,
// each at min(1, c/n) of full speed, on model.PS (ps.go).
//
// # Time: exact service periods, precise wake-ups
//
// The simulator's servers are exact: a worker is busy for exactly the service
// time. A sleeping goroutine is not, and the error matters twice: every
// overshoot adds to its response's latency and, worse, stretches the worker's
// busy period, so the server's capacity shrinks and its load grows (5% of
// overshoot at load 0.9 is load 0.945, a different queue).
//
// Measured on the 2-core Linux VM this was written on (BenchmarkSleep in
// wait_linux_test.go; lateness past the deadline, for waits of 0.7-6.3ms by 4
// and 16 concurrent sleepers, alone and beside a 2000 req/s loopback HTTP
// load; CPU per wait, idle, at 4 / 16 sleepers):
//
//	                       p50 late      p90 late      p99 late      CPU/wait
//	time.Sleep             200-1050µs    400-1100µs    500-1600µs    10-24 / 3-6µs
//	nanosleep(2)           80-105µs      100-370µs     120-1300µs    36-113 / 18-57µs
//	timerfd                40-85µs       70-190µs      90-500µs      24-28 / 7-8µs
//	timerfd + lead (used)  -13..+4µs     13-60µs       40-500µs      23-28 / 7-12µs
//
// time.Sleep is this bad because Go's timers wake through the netpoller's
// epoll_wait, whose timeout counts whole milliseconds (runtime/
// netpoll_epoll.go): a 300µs sleep takes about 1ms, a 1.7ms one about 2.2ms.
// That also rules out sleeping until ~200µs before the deadline and then
// spinning with runtime.Gosched: the sleep itself ends up to a millisecond
// late, so the spin would cover a millisecond per request, a whole core at a
// thousand requests per second on a machine the proxy and the load generator
// share. A blocking nanosleep is precise but holds a thread and its P in a
// syscall; with many sleepers that starves other goroutines (the p99 above)
// and, mixed with Go timers, stalled them for milliseconds.
//
// So this package does three things (wait.go, wait_linux.go):
//
//  1. Service periods are chained on exact deadlines, not on wake-ups: a
//     worker's next request starts its service at max(its arrival, the end of
//     the previous request's service), whenever the goroutine actually woke.
//     A late wake-up delays that one response; it never costs the server
//     capacity, so queues, utilisation (Stats.Busy) and the X-Fulcrum-Service
//     and X-Fulcrum-Queue headers are the model's, exactly.
//  2. A worker sleeps on a Linux timerfd read through Go's netpoller: the
//     kernel's high-resolution timer makes it readable on time, the netpoller
//     wakes on the event (the millisecond rounding is only for its timeout),
//     no thread is held, and a crash interrupts it with a read deadline. The
//     timerfds are pooled per server (about one per worker). Elsewhere, or if
//     the kernel refuses one, a Go timer.
//  3. Each wake-up is aimed early by the server's running estimate of its own
//     lateness (an EWMA, 1/32 per sample, capped at 250µs), which centres
//     responses on their deadlines.
//
// The cost is three syscalls per request (arm, read, read again after the
// wake-up), a few microseconds of CPU more than time.Sleep and no busy-wait.
package backend
