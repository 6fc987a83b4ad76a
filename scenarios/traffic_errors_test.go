package scenarios

import "strings"

// arrHead is a valid scenario but for its arrivals, whose keys cases append
// from line 5.
const arrHead = `name: t
servers: [{name: web, count: 4, service: {dist: exponential, mean: 10ms}}]
algorithms: [round-robin]
arrivals:
`

// trafficErrorCases are the misuses of DESIGN.md §7's traffic keys and the
// exact messages Parse gives for them, one per line.
var trafficErrorCases = []struct {
	name, in, want string
}{
	// mmpp.
	{"mmpp without states", arrHead + "  process: mmpp\n  load: 0.5\n",
		`x.yaml:4: arrivals.states: process mmpp needs at least 2 states, got none; e.g. states: [{factor: 4, mean_sojourn: 1s}, {factor: 0.25, mean_sojourn: 4s}]`},
	{"mmpp one state", arrHead + "  process: mmpp\n  load: 0.5\n  states: [{factor: 2, mean_sojourn: 1s}]\n",
		`x.yaml:7: arrivals.states: process mmpp needs at least 2 states, got one; e.g. states: [{factor: 4, mean_sojourn: 1s}, {factor: 0.25, mean_sojourn: 4s}]`},
	{"mmpp state values", arrHead + "  process: mmpp\n  rate: 100\n  states:\n    - {factor: -1, mean_sojourn: 0s}\n    - {factor: 0, mean_sojourn: -1s}\n",
		strings.Join([]string{
			`x.yaml:8: arrivals.states[0].factor: must be >= 0 (0 turns the traffic off in this state), got -1`,
			`x.yaml:8: arrivals.states[0].mean_sojourn: must be > 0 (the state's mean duration), got 0s`,
			`x.yaml:9: arrivals.states[1].mean_sojourn: must be > 0 (the state's mean duration), got -1s`,
		}, "\n")},
	{"mmpp all off", arrHead + "  process: mmpp\n  rate: 100\n  states:\n    - {factor: 0, mean_sojourn: 1s}\n    - {factor: 0, mean_sojourn: 1s}\n",
		`x.yaml:7: arrivals.states: every state's factor is 0: there would be no traffic; give at least one state a factor > 0`},
	{"mmpp state key missing", arrHead + "  process: mmpp\n  rate: 100\n  states:\n    - {factor: 4}\n    - {factor: 1, mean_sojourn: 1s, sojourn: 2s}\n",
		strings.Join([]string{
			`x.yaml:8: arrivals.states[0].mean_sojourn: required: a state takes factor and mean_sojourn, e.g. {factor: 4, mean_sojourn: 1s}`,
			`x.yaml:9: arrivals.states[1].sojourn: unknown key; allowed here: factor, mean_sojourn`,
		}, "\n")},
	{"mmpp states not a list", arrHead + "  process: mmpp\n  rate: 100\n  states: {factor: 4}\n",
		`x.yaml:7: arrivals.states: expected a list of states such as {factor: 4, mean_sojourn: 1s}, got a mapping`},
	{"mmpp without load", arrHead + "  process: mmpp\n  states: [{factor: 4, mean_sojourn: 1s}, {factor: 1, mean_sojourn: 1s}]\n",
		`x.yaml:4: arrivals: neither load nor rate is set; set exactly one of load (a fraction of the servers' capacity, e.g. 0.7) or rate (requests per second)`},
	{"states without mmpp", arrHead + "  load: 0.5\n  states: [{factor: 4, mean_sojourn: 1s}, {factor: 1, mean_sojourn: 1s}]\n",
		`x.yaml:6: arrivals.states: applies only to process mmpp, not poisson; remove it or set process: mmpp`},

	// profile.
	{"profile backwards", arrHead + "  load: 0.5\n  profile:\n    - {at: 0s, factor: 1}\n    - {at: 30s, factor: 2}\n    - {at: 20s, factor: 1}\n",
		`x.yaml:9: arrivals.profile[2].at: 20s is before the previous point's 30s: a profile's times must not go backwards`},
	{"profile three at an instant", arrHead + "  load: 0.5\n  profile:\n    - {at: 0s, factor: 1}\n    - {at: 30s, factor: 1}\n    - {at: 30s, factor: 3}\n    - {at: 30s, factor: 2}\n",
		`x.yaml:10: arrivals.profile[3].at: a third point at 30s: at most two points share an instant (a step from the first's factor to the second's)`},
	{"profile values", arrHead + "  load: 0.5\n  profile:\n    - {at: -1s, factor: 1}\n    - {at: 10s, factor: -2}\n",
		strings.Join([]string{
			`x.yaml:7: arrivals.profile[0].at: must not be negative, got -1s (times are from the start of the run)`,
			`x.yaml:8: arrivals.profile[1].factor: must be >= 0, got -2`,
		}, "\n")},
	{"profile all zero", "duration: 60s\n" + arrHead + "  load: 0.5\n  profile: [{at: 0s, factor: 0}, {at: 10s, factor: 0}]\n",
		`x.yaml:7: arrivals.profile: every factor is 0: there would be no traffic; give a point a factor > 0`},
	{"profile ends at zero", arrHead + "  load: 0.5\n  profile: [{at: 0s, factor: 1}, {at: 10s, factor: 0}]\n",
		`x.yaml:6: arrivals.profile[1].factor: the last factor, 0, holds for ever, so the run might never reach its requests; set duration, or end the profile with a factor > 0`},
	{"profile empty", arrHead + "  load: 0.5\n  profile: []\n",
		`x.yaml:6: arrivals.profile: needs at least one point, e.g. profile: [{at: 0s, factor: 1}, {at: 60s, factor: 3}]; remove it for none`},
	{"profile point incomplete", arrHead + "  load: 0.5\n  profile:\n    - {at: 10s}\n    - {factor: 2}\n",
		strings.Join([]string{
			`x.yaml:7: arrivals.profile[0].factor: required: a point takes at and factor, e.g. {at: 30s, factor: 2}`,
			`x.yaml:8: arrivals.profile[1].at: required: a point takes at and factor, e.g. {at: 30s, factor: 2}`,
		}, "\n")},
	{"profile point not a mapping", arrHead + "  load: 0.5\n  profile: [1, 2]\n",
		strings.Join([]string{
			`x.yaml:6: arrivals.profile[0]: expected a point such as {at: 30s, factor: 2} (a mapping), got "1"`,
			`x.yaml:6: arrivals.profile[1]: expected a point such as {at: 30s, factor: 2} (a mapping), got "2"`,
		}, "\n")},

	// sine.
	{"sine amplitude 1", arrHead + "  load: 0.5\n  sine: {period: 60s, amplitude: 1}\n",
		`x.yaml:6: arrivals.sine.amplitude: must be >= 0 and < 1 (at 1 or more the rate would reach 0 or go negative), got 1`},
	{"sine values", arrHead + "  load: 0.5\n  sine:\n    period: 0s\n    amplitude: -0.5\n",
		strings.Join([]string{
			`x.yaml:7: arrivals.sine.period: must be > 0, got 0s`,
			`x.yaml:8: arrivals.sine.amplitude: must be >= 0 and < 1 (at 1 or more the rate would reach 0 or go negative), got -0.5`,
		}, "\n")},
	{"sine incomplete", arrHead + "  load: 0.5\n  sine: {period: 60s}\n",
		`x.yaml:6: arrivals.sine.amplitude: required: a sine takes period and amplitude, e.g. sine: {period: 60s, amplitude: 0.5}`},

	// closed.
	{"closed with load", arrHead + "  process: closed\n  load: 0.5\n  users: 50\n",
		`x.yaml:7: arrivals.users: closed-loop users set no load or rate; remove arrivals.load`},
	{"closed with rate", arrHead + "  process: closed\n  users: 50\n  rate: 100\n",
		`x.yaml:6: arrivals.users: closed-loop users set no load or rate; remove arrivals.rate`},
	{"closed without users", arrHead + "  process: closed\n",
		`x.yaml:4: arrivals.users: required for process closed: the number of users, each sending a request, waiting for its answer and thinking, e.g. users: 50`},
	{"closed without users, with load", arrHead + "  process: closed\n  load: 0.5\n",
		strings.Join([]string{
			`x.yaml:4: arrivals.users: required for process closed: the number of users, each sending a request, waiting for its answer and thinking, e.g. users: 50`,
			`x.yaml:6: arrivals.load: a closed loop takes users (and think), not load or rate: its users set the pace; remove arrivals.load`,
		}, "\n")},
	{"closed zero users", arrHead + "  process: closed\n  users: 0\n",
		`x.yaml:6: arrivals.users: must be at least 1, got 0`},
	{"closed bad think", arrHead + "  process: closed\n  users: 5\n  think: {dist: exponential}\n",
		`x.yaml:7: arrivals.think.mean: exponential needs mean > 0 (e.g. mean: 10ms)`},
	{"closed with clients", "clients: 10\n" + arrHead + "  process: closed\n  users: 5\n",
		`x.yaml:1: clients: a closed loop has one client per user (user u is client u); remove clients`},
	{"closed with profile and sine", arrHead + "  process: closed\n  users: 5\n  profile: [{at: 0s, factor: 1}]\n  sine: {period: 1s, amplitude: 0.1}\n",
		strings.Join([]string{
			`x.yaml:7: arrivals.profile: applies only to open-loop processes (poisson, constant, mmpp), not closed: a closed loop's users set its pace`,
			`x.yaml:8: arrivals.sine: applies only to open-loop processes (poisson, constant, mmpp), not closed: a closed loop's users set its pace`,
		}, "\n")},
	{"users and think without closed", arrHead + "  load: 0.5\n  users: 5\n  think: {dist: constant, value: 0s}\n",
		strings.Join([]string{
			`x.yaml:6: arrivals.users: applies only to process closed, not poisson; remove it or set process: closed`,
			`x.yaml:7: arrivals.think: applies only to process closed, not poisson; remove it or set process: closed`,
		}, "\n")},

	// trace.
	{"trace without file", arrHead + "  process: trace\n",
		`x.yaml:4: arrivals.file: required for process trace: the trace file, relative to the scenario file, e.g. file: traces/prod.csv`},
	{"trace values", arrHead + "  process: trace\n  file: \"\"\n  speed: 0\n",
		strings.Join([]string{
			`x.yaml:6: arrivals.file: must not be empty: the trace file, relative to the scenario file, e.g. file: traces/prod.csv`,
			`x.yaml:7: arrivals.speed: must be > 0 (2 replays twice as fast), got 0`,
		}, "\n")},
	{"trace with load", arrHead + "  process: trace\n  file: t.csv\n  load: 0.5\n",
		`x.yaml:7: arrivals.load: a trace's arrivals come from its file, not from a load or a rate (speed scales them); remove arrivals.load`},
	{"trace with profile", arrHead + "  process: trace\n  file: t.csv\n  profile: [{at: 0s, factor: 2}]\n",
		`x.yaml:7: arrivals.profile: applies only to open-loop processes (poisson, constant, mmpp), not trace: a trace replays its own times (speed scales them)`},
	{"file and speed without trace", arrHead + "  rate: 10\n  file: t.csv\n  speed: 2\n",
		strings.Join([]string{
			`x.yaml:6: arrivals.file: applies only to process trace, not poisson; remove it or set process: trace`,
			`x.yaml:7: arrivals.speed: applies only to process trace, not poisson; remove it or set process: trace`,
		}, "\n")},

	// classes.
	{"classes", head + "classes:\n  - {name: api, weight: 0}\n  - {name: api, size: -1}\n  - {name: up, size: 2, service: {dist: exponential, mean: 5ms}}\n  - {name: \"a b\"}\n  - {weight: 2}\n",
		strings.Join([]string{
			`x.yaml:6: classes[0].weight: must be > 0 (classes are drawn with probability weight / sum of weights), got 0`,
			`x.yaml:7: classes[1].name: duplicate class name "api" (also classes[0])`,
			`x.yaml:7: classes[1].size: must be > 0 (a multiple of its server's service time), got -1`,
			`x.yaml:8: classes[2].size: size and service are both set; a class takes size (a multiple of its server's service time) or its own service distribution, not both`,
			`x.yaml:9: classes[3].name: "a b" is not a valid class name: use 1 to 64 letters, digits, '_', '.', '-', '+' or '=', starting with a letter or a digit`,
			`x.yaml:10: classes[4].name: required: the class's name`,
		}, "\n")},
	{"class service", head + "classes:\n  - {name: x, service: {dist: constant, value: 0s}}\n  - {name: y, service: {dist: lognormal, mean: 5ms}}\n",
		strings.Join([]string{
			`x.yaml:6: classes[0].service: the mean service time is 0: a class needs a positive mean, so that the servers have a capacity`,
			`x.yaml:7: classes[1].service.cv: lognormal needs cv > 0 (standard deviation over mean, e.g. cv: 2), got 0`,
		}, "\n")},
	{"classes empty", head + "classes: []\n",
		`x.yaml:5: classes: needs at least one class, e.g. classes: [{name: api, weight: 9}, {name: report, weight: 1, size: 20}]; remove it for none`},
	{"classes not a list", head + "classes: {name: api}\n",
		`x.yaml:5: classes: expected a list of request classes such as {name: api, weight: 9}, got a mapping`},
	{"class unknown key", head + "classes: [{name: api, wieght: 2}]\n",
		`x.yaml:5: classes[0].wieght: unknown key (did you mean "weight"?); allowed here: name, weight, size, service`},
}

// TestParseErrors and FuzzParse go through errorCases.
func init() { errorCases = append(errorCases, trafficErrorCases...) }
