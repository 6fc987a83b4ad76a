package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// head is a valid scenario of four lines; cases append to it from line 5.
const head = `name: t
arrivals: {load: 0.5}
servers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]
algorithms: [round-robin]
`

// errorCases are bad inputs and the exact messages Parse gives for them,
// one per line. FuzzParse seeds from them too.
var errorCases = []struct {
	name, in, want string
}{
	// The file as a whole.
	{"empty", "", `x.yaml: the file is empty; a scenario needs at least name, arrivals, servers and algorithms`},
	{"comments only", "# nothing\n\n", `x.yaml: the file is empty; a scenario needs at least name, arrivals, servers and algorithms`},
	{"null document", "~\n", `x.yaml:1: the document is empty; a scenario needs at least name, arrivals, servers and algorithms`},
	{"list document", "- name: t\n", `x.yaml:1: expected a scenario (a mapping), got a list`},
	{"scalar document", "baseline\n", `x.yaml:1: expected a scenario (a mapping), got "baseline"`},
	{"two documents", head + "---\n" + head, `x.yaml:5: a second YAML document; a scenario file holds exactly one (remove the --- separator)`},
	{"syntax", head + "faults: [{at: 1s\n", `x.yaml:5: YAML syntax: did not find expected ',' or '}'`},
	{"syntax at the end", "name: [t\n", `x.yaml:1: YAML syntax: did not find expected ',' or ']'`},
	{"syntax in a block", head + "health_check:\n  active: {}\n passive: {}\n", `x.yaml:7: YAML syntax: did not find expected key`},
	{"unknown anchor", head + "network: *net\n", `x.yaml:5: YAML syntax: unknown anchor 'net' referenced; define it with &net before using it`},
	{"syntax first line", "name: a: b\n", `x.yaml:1: YAML syntax: mapping values are not allowed in this context`},
	{"tab indent", head + "health_check:\n\tactive: {}\n", `x.yaml:6: YAML syntax: found character that cannot start any token (a tab: indent with spaces)`},
	{"bad utf-8", head + "description: \xff\n", `x.yaml:5: YAML syntax: invalid leading UTF-8 octet`},
	{"too complex", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\n" + "x-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" +
		"x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n" +
		"x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
		"algorithms: [{name: p2c, p: *f}]\n",
		`x.yaml: too complex: more than 262144 YAML nodes once aliases are expanded`},

	// Keys.
	{"unknown key", head + "sede: 2\n", `x.yaml:5: sede: unknown key (did you mean "seed"?); allowed here: name, description, seed, requests, duration, warmup, arrivals, classes, clients, servers, network, balancers, health_check, timeout, retries, hedge, cancel, retry_budget, faults, load_info, algorithms`},
	{"unknown nested key", "name: t\narrivals: {load: 0.5}\nservers:\n  - name: web\n    cuont: 4\n    service: {dist: exponential, mean: 10ms}\nalgorithms: [round-robin]\n",
		`x.yaml:5: servers[0].cuont: unknown key (did you mean "count"?); allowed here: name, count, weight, concurrency, queue_limit, discipline, service, join, leave, urls`},
	{"duplicate key", head + "seed: 1\nseed: 2\n", `x.yaml:6: seed: duplicate key (first at line 5)`},
	{"extension keys", head + "x-notes: {anything: [goes]}\nx: 1\n", `x.yaml:6: x: unknown key; allowed here: name, description, seed, requests, duration, warmup, arrivals, classes, clients, servers, network, balancers, health_check, timeout, retries, hedge, cancel, retry_budget, faults, load_info, algorithms`},
	{"required fields", "description: nothing else\n", strings.Join([]string{
		`x.yaml:1: name: required: the scenario's name`,
		`x.yaml:1: arrivals: neither load nor rate is set; set exactly one of load (a fraction of the servers' capacity, e.g. 0.7) or rate (requests per second)`,
		`x.yaml:1: servers: required: at least one server group, e.g. servers: [{name: web, count: 8, service: {dist: exponential, mean: 10ms}}]`,
		`x.yaml:1: algorithms: required: at least one algorithm, e.g. algorithms: [round-robin, least-connections, {name: p2c, choices: 2}]`,
	}, "\n")},

	// Types and values.
	{"servers not a list", "name: t\narrivals: {load: 0.5}\nservers: {name: web}\nalgorithms: [round-robin]\n", `x.yaml:3: servers: expected a list of server groups, got a mapping`},
	{"server not a mapping", "name: t\narrivals: {load: 0.5}\nservers: [web]\nalgorithms: [round-robin]\n", `x.yaml:3: servers[0]: expected a server group (a mapping), got "web"`},
	{"name not a string", "name: [t]\narrivals: {load: 0.5}\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n", `x.yaml:1: name: expected a string, got a list`},
	{"not an integer", head + "clients: many\n", `x.yaml:5: clients: "many" is not an integer`},
	{"fraction for integer", head + "balancers: 1.5\n", `x.yaml:5: balancers: "1.5" is not an integer`},
	{"integer out of range", head + "requests: 99999999999999999999\n", `x.yaml:5: requests: "99999999999999999999" is out of range`},
	{"negative seed", head + "seed: -1\n", `x.yaml:5: seed: "-1" is not a non-negative integer`},
	{"not a number", "name: t\narrivals: {load: high}\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n", `x.yaml:2: arrivals.load: "high" is not a number`},
	{"not finite", "name: t\narrivals: {rate: .inf}\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n", `x.yaml:2: arrivals.rate: ".inf" is not a finite number`},
	{"bad name", "name: my scenario\narrivals: {load: 0.5}\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n",
		`x.yaml:1: name: "my scenario" is not a valid scenario name: use 1 to 64 letters, digits, '_', '.', '-', '+' or '=', starting with a letter or a digit`},

	// Durations.
	{"duration without unit", "name: t\narrivals: {load: 0.5}\nservers:\n  - name: web\n    service: {dist: exponential, mean: \"10\"}\nalgorithms: [round-robin]\n", `x.yaml:5: servers[0].service.mean: "10" is not a duration (e.g. 10ms)`},
	{"bare number duration", head + "warmup: 5\n", `x.yaml:5: warmup: "5" is not a duration (e.g. 10ms)`},
	{"unknown unit", head + "timeout: 2sec\n", `x.yaml:5: timeout: "2sec" is not a duration (e.g. 10ms); units are ns, us, ms, s, m, h`},
	{"negative duration", head + "timeout: -1s\n", `x.yaml:5: timeout: must not be negative, got -1s (0 means no timeout)`},

	// Counts.
	{"zero and negative counts", "name: t\narrivals: {load: 0.5}\nservers:\n  - {name: web, count: 0, concurrency: 0, queue_limit: -1, weight: 0, service: {dist: exponential, mean: 10ms}}\nalgorithms: [round-robin]\nclients: 0\nbalancers: 0\nretries: -1\n", strings.Join([]string{
		`x.yaml:4: servers[0].count: must be at least 1, got 0`,
		`x.yaml:4: servers[0].weight: must be > 0, got 0`,
		`x.yaml:4: servers[0].concurrency: must be at least 1, got 0`,
		`x.yaml:4: servers[0].queue_limit: must not be negative, got -1 (0 means unbounded)`,
		`x.yaml:6: clients: must be at least 1, got 0`,
		`x.yaml:7: balancers: must be at least 1, got 0`,
		`x.yaml:8: retries: must not be negative, got -1`,
	}, "\n")},
	{"too many servers", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 100001, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n", `x.yaml:3: servers[0].count: too many servers: at most 100000 in a scenario`},
	{"duplicate group", "name: t\narrivals: {load: 0.5}\nservers:\n  - {name: web, service: {dist: exponential, mean: 10ms}}\n  - {name: web, service: {dist: exponential, mean: 20ms}}\nalgorithms: [round-robin]\n",
		`x.yaml:5: servers[1].name: duplicate server group name "web" (also servers[0]); its servers would share names`},

	// Stopping.
	{"no stopping rule", head + "requests: 0\n", `x.yaml:5: requests: no stopping rule: set requests (measured arrivals), duration (run time), or both`},
	{"warmup too long", head + "duration: 10s\nwarmup: 10s\n", `x.yaml:6: warmup: 10s is not shorter than duration 10s: nothing would be measured`},

	// Arrivals.
	{"load and rate", "name: t\narrivals: {load: 0.5, rate: 100}\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n",
		`x.yaml:2: arrivals: both load and rate are set; set exactly one of load (a fraction of the servers' capacity, e.g. 0.7) or rate (requests per second)`},
	{"neither load nor rate", "name: t\narrivals: {process: poisson}\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n",
		`x.yaml:2: arrivals: neither load nor rate is set; set exactly one of load (a fraction of the servers' capacity, e.g. 0.7) or rate (requests per second)`},
	{"zero load", "name: t\narrivals: {load: 0}\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n",
		`x.yaml:2: arrivals.load: must be > 0 (a fraction of the servers' capacity, e.g. 0.7), got 0`},
	{"unknown process", "name: t\narrivals: {process: uniform, rate: 10}\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n",
		`x.yaml:2: arrivals.process: unknown arrival process "uniform"; use poisson, constant, mmpp, closed or trace`},
	{"reserved process", "name: t\narrivals:\n  process: bursty\n  rate: 10\nservers: [{name: web, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [round-robin]\n",
		`x.yaml:3: arrivals.process: "bursty" is not supported; for bursts use mmpp (a Markov-modulated Poisson process, arrivals.states) or arrivals.profile`},

	// Distributions.
	{"service missing", "name: t\narrivals: {load: 0.5}\nservers:\n  - name: web\nalgorithms: [round-robin]\n",
		`x.yaml:4: servers[0].service: required: the service-time distribution, e.g. service: {dist: exponential, mean: 10ms}`},
	{"unknown distribution", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, service: {dist: normal, mean: 10ms}}]\nalgorithms: [round-robin]\n",
		`x.yaml:3: servers[0].service.dist: unknown distribution "normal"; one of constant, exponential, gamma, lognormal, mixture, pareto, uniform, weibull`},
	{"distribution param", "name: t\narrivals: {load: 0.5}\nservers:\n  - name: web\n    service:\n      dist: pareto\n      mean: 10ms\n      alpha: 1\nalgorithms: [round-robin]\n",
		`x.yaml:8: servers[0].service.alpha: pareto needs alpha > 1 for a finite mean, got 1`},
	{"distribution param missing", head + "network: {dist: lognormal, mean: 1ms}\n",
		`x.yaml:5: network.cv: lognormal needs cv > 0 (standard deviation over mean, e.g. cv: 2), got 0`},
	{"mixture component", "name: t\narrivals: {load: 0.5}\nservers:\n  - name: web\n    service:\n      dist: mixture\n      of:\n        - {weight: 0.9, dist: exponential, mean: 1ms}\n        - {weight: 0.1, dist: constant, value: 50ms, cv: 2}\nalgorithms: [round-robin]\n",
		`x.yaml:9: servers[0].service.of[1].cv: cv does not apply to constant (it takes value)`},
	{"zero service time", "name: t\narrivals: {rate: 10}\nservers: [{name: web, service: {dist: constant, value: 0s}}]\nalgorithms: [round-robin]\n",
		`x.yaml:3: servers[0].service: the mean service time is 0: a server needs a positive mean to have a capacity`},

	// Algorithms.
	{"unknown algorithm", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms:\n  - round-robin\n  - least-conn\n",
		`x.yaml:6: algorithms[1]: unknown algorithm "least-conn" (known: ` + knownAlgorithms + ")"},
	{"unknown algorithm in mapping", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms:\n  - name: p3c\n    label: x\n",
		`x.yaml:5: algorithms[0].name: unknown algorithm "p3c" (known: ` + knownAlgorithms + ")"},
	{"algorithm without name", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms:\n  - label: x\n",
		`x.yaml:5: algorithms[0].name: required: the algorithm's name, e.g. {name: p2c, choices: 2}`},
	{"bad param", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms:\n  - name: p2c\n    choices: 0\n",
		`x.yaml:6: algorithms[0].choices: must be an integer >= 1, got 0`},
	{"unknown param", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms:\n  - {name: p2c, choise: 3}\n",
		`x.yaml:5: algorithms[0].choise: unknown parameter (known: choices)`},
	{"param for the server count", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms: [{name: p2c, choices: 5}]\n",
		`x.yaml:4: algorithms[0].choices: must be <= the number of backends (4), got 5`},
	{"duplicate label", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms:\n  - p2c\n  - {name: p2c, choices: 3}\n",
		`x.yaml:6: algorithms[1]: duplicate label "p2c" (also algorithms[0]); give one of them its own, e.g. {name: p2c, label: p2c-2}`},
	{"bad label", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms:\n  - {name: p2c, label: p2c/3}\n",
		`x.yaml:5: algorithms[0].label: "p2c/3" is not a valid label: use 1 to 64 letters, digits, '_', '.', '-', '+' or '=', starting with a letter or a digit`},
	{"param alias cycle", "name: t\narrivals: {load: 0.5}\nservers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]\nalgorithms:\n  - {name: p2c, x: &a [*a]}\n",
		`x.yaml:5: algorithms[0].x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 16 deep (an alias inside its own anchor?)`},

	// Health checks.
	{"active without braces", head + "health_check:\n  active:\n",
		`x.yaml:6: health_check.active: empty: write active: {} for the defaults (interval 2s, timeout 1s, rise 2, fall 3), or remove it to disable active checks`},
	{"health check values", head + "health_check:\n  active: {interval: 0s, rise: 0}\n  passive: {consecutive_failures: 0, ejection: -1s}\n", strings.Join([]string{
		`x.yaml:6: health_check.active.interval: must be > 0, got 0s`,
		`x.yaml:6: health_check.active.rise: must be at least 1, got 0`,
		`x.yaml:7: health_check.passive.consecutive_failures: must be at least 1, got 0`,
		`x.yaml:7: health_check.passive.ejection: must be > 0, got -1s`,
	}, "\n")},

	// Faults.
	{"fault target matches nothing", head + "faults:\n  - {at: 1s, target: \"db-*\", kind: crash}\n",
		`x.yaml:6: faults[0].target: "db-*" matches no server; the servers are web-0..web-3`},
	{"fault target bad glob", head + "faults:\n  - {at: 1s, target: \"web-[\", kind: crash}\n",
		`x.yaml:6: faults[0].target: "web-[" is not a valid glob pattern (path.Match syntax: *, ?, [a-z], \)`},
	{"fault kinds", head + "duration: 60s\nfaults:\n" +
		"  - {at: 1s, target: web-0, kind: melt}\n" +
		"  - {at: 1s, target: web-0, kind: slowdown}\n" +
		"  - {at: 1s, target: web-0, kind: errors, probability: 1.5}\n" +
		"  - {at: 1s, target: web-0, kind: errors}\n" +
		"  - {at: 1s, target: web-0, kind: crash, factor: 2}\n" +
		"  - {at: 60s, target: web-0}\n", strings.Join([]string{
		`x.yaml:7: faults[0].kind: unknown fault kind "melt"; use crash, slowdown, errors or restart`,
		`x.yaml:8: faults[1].factor: a slowdown needs factor > 0 (its service-time multiplier, e.g. factor: 4), got 0`,
		`x.yaml:9: faults[2].probability: an errors fault needs probability in (0, 1] (the chance a request is answered 500, e.g. 0.5), got 1.5`,
		`x.yaml:10: faults[3].probability: an errors fault needs probability in (0, 1] (the chance a request is answered 500, e.g. 0.5), got 0`,
		`x.yaml:11: faults[4].factor: applies only to slowdown faults, not crash`,
		`x.yaml:12: faults[5].at: 1m0s is not before the end of the run (duration 1m0s): the fault would never happen`,
		`x.yaml:12: faults[5].kind: required: crash, slowdown, errors or restart`,
	}, "\n")},

	{"random faults", head + "faults:\n" +
		"  - {target: web-0, kind: crash, mtbf: 60s}\n" +
		"  - {target: web-1, kind: crash, mttr: 5s}\n" +
		"  - {target: web-2, kind: crash, mtbf: -1s, mttr: 5s}\n", strings.Join([]string{
		`x.yaml:6: faults[0].mttr: a random fault needs both mtbf and mttr (e.g. {mtbf: 60s, mttr: 5s})`,
		`x.yaml:7: faults[1].mtbf: a random fault needs both mtbf and mttr (e.g. {mtbf: 60s, mttr: 5s})`,
		`x.yaml:8: faults[2].mtbf: must be above 0 (the mean time between failures, e.g. 60s), got -1s`,
	}, "\n")},

	// Several problems, sorted by line, consequences left out.
	{"several", "name: t\nseed: x\narrivals: {load: 0.5}\nservers:\n  - name: web\n    count: two\n    service: {dist: exponential, mean: 10}\nalgorithms: [round-robin, {name: p2c, choices: 9}]\nfaults: [{target: web-9, kind: crash}]\n", strings.Join([]string{
		`x.yaml:2: seed: "x" is not a non-negative integer`,
		`x.yaml:6: servers[0].count: "two" is not an integer`,
		`x.yaml:7: servers[0].service.mean: "10" is not a duration (e.g. 10ms)`,
	}, "\n")},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("no error; loaded %+v", s)
			}
			if s != nil {
				t.Errorf("a scenario as well as an error")
			}
			if tc.want == "" {
				return
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not a non-empty Errors", err)
			}
			var e *Error
			if !errors.As(err, &e) || e != es[0] {
				t.Errorf("errors.As(*Error) does not find the first problem")
			}
			for i := 1; i < len(es); i++ {
				if es[i].Line < es[i-1].Line {
					t.Errorf("not sorted by line: %d after %d", es[i].Line, es[i-1].Line)
				}
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Path: "servers[0].count", Msg: "bad"}, "a.yaml:3: servers[0].count: bad"},
		{Error{File: "a.yaml", Msg: "empty"}, "a.yaml: empty"},
		{Error{Line: 2, Msg: "x"}, "<scenario>:2: x"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%#v: got %q, want %q", tc.e, got, tc.want)
		}
	}
}

// knownAlgorithms is the list an unknown-algorithm error names: the
// registry's, so adding an algorithm does not break these tests.
var knownAlgorithms = func() string {
	var names []string
	for _, a := range algorithms.List() {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}()
