// Package realproxy is Fulcrum's real engine (DESIGN.md §1, §4): it measures
// a scenario's algorithms on real HTTP, with the same arrivals, job sizes and
// result files as the simulator.
//
// Run measures each algorithm in turn, never two at once (they would share
// the machine's cores): it starts a fresh group of emulated backends
// (realproxy/backend) and a fresh reverse proxy (realproxy/proxy) running the
// algorithm, all in this process on 127.0.0.1, and drives the proxy with
// vegeta as a library. The load is open-loop and replays the scenario's
// seeded arrival stream (traffic.Stream) exactly: a vegeta.Pacer waits until
// each precomputed arrival time, and the Targeter sends arrival k's job size
// (X-Fulcrum-Quantile) and client (X-Fulcrum-Client) with it, so every
// algorithm, simulated or real, faces the same requests (common random
// numbers). Each response is classified by its status and headers, and the
// figures are filled in exactly as the simulator fills them (sim's
// engine.result), so the two summaries compare field by field.
//
// The subpackages are the parts: backend (servers with c workers, a FIFO
// queue and a sampled service time; faults) and proxy (the balancer, health
// checks, timeouts and retries). The command that runs all this is
// cmd/bench.
package realproxy
