// Package scenarios is Fulcrum's scenario schema (DESIGN.md §3): it reads a
// scenario file (YAML, or JSON, which is YAML), applies the defaults,
// validates it and hands the engines a read-only *Scenario. It also embeds
// the shipped scenarios (baseline.yaml, smoke.yaml, ...) so that a binary can
// run them by name.
//
// The loader decodes the file into a yaml.Node tree and walks it by hand, so
// that every problem is reported with its file, line and field path, as a
// user would look for it:
//
//	scenarios/x.yaml:12: servers[0].service.mean: "10" is not a duration (e.g. 10ms)
//
// All the problems of a file are reported at once (an Errors, sorted by line).
// Unknown keys are errors that list the keys allowed there. A value of null
// (`key:` with nothing after it) counts as absent, except for
// health_check.active and health_check.passive, which must be written `{}` to
// be enabled with their defaults. YAML anchors, aliases and merge keys (<<)
// work as usual; top-level keys that start with "x-" are ignored, a place to
// define anchors for the rest of the file.
//
// # Defaults
//
// Every field but name, arrivals (load or rate; states for mmpp, users for
// closed, file for trace), servers[].name, servers[].service (optional with
// servers[].urls: someone else's servers, urls.go), classes[].name and
// algorithms has a default:
//
//	seed                             1
//	requests, duration               requests 100000 if neither is given; 0 = no cap
//	warmup                           0s
//	arrivals.process                 poisson
//	arrivals.think                   {dist: constant, value: 0s} (closed only)
//	arrivals.speed                   1 (trace only)
//	arrivals.profile, arrivals.sine  absent = none
//	classes                          absent = one class of size 1
//	classes[].weight                 1
//	classes[].size                   1, unless the class has its own service
//	clients                          1000; a closed loop's is arrivals.users
//	servers[].count                  1; with urls, one server per URL
//	servers[].weight                 1
//	servers[].concurrency            1
//	servers[].queue_limit            0 (unbounded)
//	servers[].discipline             fifo
//	network                          {dist: constant, value: 0s}
//	balancers                        1
//	health_check.active              absent = disabled; {} = the defaults below
//	health_check.active.interval     2s
//	health_check.active.timeout      1s
//	health_check.active.rise         2
//	health_check.active.fall         3
//	health_check.passive             absent = disabled; {} = the defaults below
//	health_check.passive.consecutive_failures  5
//	health_check.passive.ejection    30s
//	timeout                          0s (none)
//	retries                          0
//	faults[].at                      0s
//	faults[].duration                0s (until the end of the run)
//	algorithms[].label               the algorithm's name
//
// # Limits
//
// Names (the scenario's, server groups', algorithm labels) are 1 to 64
// letters, digits, '_', '.', '-', '+' or '=', starting with a letter or a
// digit, so that they can name files and directories. A scenario has at most
// 100000 servers in all; mixtures nest at most 16 deep.
//
// # Engines
//
// DESIGN.md §7's traffic features (mmpp, profile, sine, closed, trace,
// classes) are in the schema before the engines implement them. An engine
// calls Scenario.Unsupported, or Scenario.Features and Scenario.ErrorAt, to
// refuse what it does not implement with an error at the file's line, rather
// than ignore it.
//
// scenarios/README.md documents every field.
package scenarios
