// Package sim is Fulcrum's discrete-event simulator: servers with worker
// pools and FIFO queues, service times drawn from the scenario's
// distributions, network delays, crashes, slowdowns, error bursts, active and
// passive health checks, timeouts and retries, in front of which the
// algorithms package's balancers pick, exactly as they do in the real proxy.
//
// The engine is a single goroutine per algorithm ordering events by (time,
// sequence number) in a typed heap, so the same scenario and seed give the
// same bytes. Every algorithm faces the same traffic: arrival times, clients
// and job sizes (service quantiles) come from the traffic package's seeded
// stream; each balancer instance draws from its own stream; faults and
// network jitter from theirs. Memory is bounded by the number of requests in
// flight, not the number simulated: latencies go into an HDR histogram and a
// batch-means accumulator, never into a list.
//
// Model decisions (DESIGN.md §4 holds the shared ones):
//   - latency is from arrival at the balancer to the response's return there,
//     over every attempt;
//   - a crashed server refuses new connections (the attempt fails one round
//     trip later) and drops what it was queueing or serving (each fails one
//     network delay later, as a reset connection does);
//   - an errors fault answers 500 on arrival, before queueing, taking no worker;
//   - a slowdown multiplies the service time of requests that start service
//     while it lasts (on a processor-sharing server, discipline: ps, it
//     changes the pace of the requests in service while it lasts: ps.go);
//   - an active health probe sees the server as it is when the probe is sent
//     and its verdict reaches the balancer one round trip later, or at the
//     probe timeout if the round trip is longer; probes are not queued behind
//     requests (the backend answers /health at once);
//   - failed, timed-out and 503-rejected attempts are retried while retries
//     remain (the balancer picks again; it may pick the same server);
//     ErrNoBackend is not retried;
//   - a timed-out attempt keeps its server busy until it is served, as real
//     servers do not know the client gave up.
//   - load probes (algorithms.Prober: prequal) go to the targets the
//     balancer names after each pick, reach the server one network delay
//     later, are answered at once (not queued) with the requests in flight
//     there and an EWMA (model.ProbeEWMA) of its recent queue + service times,
//     and the answer takes one more network delay; a crashed server does
//     not answer;
//   - a server that becomes idle (nothing in service or queued, and at
//     t = 0) announces it to one balancer instance chosen uniformly, one
//     network delay away (algorithms.IdleTracker: join-idle-queue);
//     probes and announcements draw their delays from their own streams,
//     so requests see the same network jitter under every algorithm;
//   - a closed loop (arrivals.process: closed) is driven by model.Users:
//     each user's next request is an event one think draw after its
//     previous one finished, whatever the outcome (closed.go); the run ends
//     when every user is done and nothing is in flight.
package sim
