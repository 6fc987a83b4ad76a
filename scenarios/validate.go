package scenarios

import (
	"errors"
	"fmt"
	"math"
	"path"
	"reflect"
	"regexp"
	"strings"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/dist"
)

// maxServers bounds the servers of a scenario, all groups together.
const maxServers = 100000

// namePattern is what the scenario's, server groups' and algorithm labels'
// names look like: they name files, directories and plot series.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+=-]{0,63}$`)

const nameRule = "use 1 to 64 letters, digits, '_', '.', '-', '+' or '=', starting with a letter or a digit"

// Validate checks s as Parse does once the file is decoded: required fields,
// ranges, distributions, algorithms and their parameters, fault targets.
// Use it after changing a loaded scenario (a command line's --requests);
// messages point into the file s was loaded from. The error is an Errors.
func (s *Scenario) Validate() error {
	v := &validator{s: s, file: s.File, lines: s.lines}
	v.run()
	if len(v.errs) > 0 {
		return sortErrors(v.errs)
	}
	return nil
}

// validator checks a decoded Scenario. Problems go to errs with the line of
// their path, found in lines; those at, under or above a path in bad (a
// value the decoder could not read) are consequences and are dropped.
type validator struct {
	s     *Scenario
	file  string
	lines map[string]int
	bad   []string
	errs  Errors
}

func (v *validator) errorf(p, format string, args ...any) {
	if v.isBad(p) {
		return
	}
	v.errs = append(v.errs, &Error{File: v.file, Line: v.line(p), Path: p, Msg: fmt.Sprintf(format, args...)})
}

// line is the line of p, or of its closest ancestor written in the file.
func (v *validator) line(p string) int {
	for {
		if l, ok := v.lines[p]; ok {
			return l
		}
		if p == "" {
			return 0
		}
		p = parent(p)
	}
}

// given reports whether the file set p.
func (v *validator) given(p string) bool {
	_, ok := v.lines[p]
	return ok
}

// parent is "a.b" for "a.b.c" and "a.b[2]", "" for "a".
func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// under reports whether p is a field or item inside anc.
func under(p, anc string) bool {
	return anc != "" && len(p) > len(anc) && strings.HasPrefix(p, anc) && (p[len(anc)] == '.' || p[len(anc)] == '[')
}

func (v *validator) isBad(p string) bool {
	for _, b := range v.bad {
		if b == p || under(p, b) || under(b, p) {
			return true
		}
	}
	return false
}

func (v *validator) run() {
	s := v.s
	v.name("name", s.Name, "scenario")
	v.stopping()
	v.arrivals()
	if s.Clients < 1 {
		v.errorf("clients", "must be at least 1, got %d", s.Clients)
	}
	total := v.servers()
	v.classes()
	if s.Arrivals.Load > 0 && s.Arrivals.Rate == 0 && total > 0 && !v.isBad("servers") && len(v.errs) == 0 && s.unfitted() < 0 {
		if r := s.ArrivalRate(); math.IsInf(r, 0) || !(r > 0) {
			v.errorf("arrivals.load", "gives an arrival rate of %g req/s; use a load that gives a finite, positive rate", r)
		}
	}
	v.spec("network", s.Network)
	if s.Balancers < 1 {
		v.errorf("balancers", "must be at least 1, got %d", s.Balancers)
	}
	v.healthCheck()
	if s.Timeout < 0 {
		v.errorf("timeout", "must not be negative, got %v (0 means no timeout)", s.Timeout)
	}
	if s.Retries < 0 {
		v.errorf("retries", "must not be negative, got %d", s.Retries)
	}
	v.resilience()
	v.faults(total)
	v.loadInfo()
	v.algorithms(total)
	v.foreign(total) // urls.go
}

func (v *validator) name(p, name, what string) {
	switch {
	case name == "":
		v.errorf(p, "required: the %s's name", what)
	case !namePattern.MatchString(name):
		v.errorf(p, "%s is not a valid %s name: %s", quote(name), what, nameRule)
	}
}

// stopping checks requests, duration and warmup.
func (v *validator) stopping() {
	s := v.s
	if s.Requests < 0 {
		v.errorf("requests", "must not be negative, got %d", s.Requests)
	}
	if s.Duration < 0 {
		v.errorf("duration", "must not be negative, got %v", s.Duration)
	}
	if s.Requests == 0 && s.Duration == 0 && s.Arrivals.Process != "trace" { // a trace ends with its file
		p := "requests"
		if !v.given(p) && v.given("duration") {
			p = "duration"
		}
		v.errorf(p, "no stopping rule: set requests (measured arrivals), duration (run time), or both")
	}
	switch {
	case s.Warmup < 0:
		v.errorf("warmup", "must not be negative, got %v", s.Warmup)
	case s.Duration > 0 && s.Warmup >= s.Duration:
		v.errorf("warmup", "%v is not shorter than duration %v: nothing would be measured", s.Warmup, s.Duration)
	}
}

// openProcesses are the arrival processes paced by a load or a rate.
var openProcesses = []string{"poisson", "constant", "mmpp"}

const processes = "poisson, constant, mmpp, closed or trace"

func (v *validator) arrivals() {
	a := v.s.Arrivals
	known := true
	switch a.Process {
	case "poisson", "constant", "mmpp", "closed", "trace":
	case "bursty":
		v.errorf("arrivals.process", "%q is not supported; for bursts use mmpp (a Markov-modulated Poisson process, arrivals.states) or arrivals.profile", a.Process)
		known = false
	default:
		v.errorf("arrivals.process", "unknown arrival process %s; use %s", quote(a.Process), processes)
		known = false
	}
	closed, trace := a.Process == "closed", a.Process == "trace"
	loadSet := a.Load != 0 || v.given("arrivals.load")
	rateSet := a.Rate != 0 || v.given("arrivals.rate")
	usersSet := a.Users != 0 || v.given("arrivals.users")

	// Keys that belong to one process only.
	if known {
		only := func(key string, set bool, process string) bool {
			if set && a.Process != process {
				v.errorf("arrivals."+key, "applies only to process %s, not %s; remove it or set process: %s", process, a.Process, process)
				return false
			}
			return set
		}
		if only("states", a.States != nil || v.given("arrivals.states"), "mmpp") || a.Process == "mmpp" {
			v.states()
		}
		if only("users", usersSet, "closed") || closed {
			v.users(loadSet, rateSet)
		}
		if only("think", a.hasThink() || v.given("arrivals.think"), "closed") {
			v.spec("arrivals.think", a.Think)
		}
		fileSet := only("file", a.File != "" || v.given("arrivals.file"), "trace")
		speedSet := only("speed", a.Speed != 0 || v.given("arrivals.speed"), "trace")
		if trace {
			switch {
			case !fileSet:
				v.errorf("arrivals.file", "required for process trace: the trace file, relative to the scenario file, e.g. file: traces/prod.csv")
			case a.File == "":
				v.errorf("arrivals.file", "must not be empty: the trace file, relative to the scenario file, e.g. file: traces/prod.csv")
			}
			if speedSet && !(a.Speed > 0) {
				v.errorf("arrivals.speed", "must be > 0 (2 replays twice as fast), got %g", a.Speed)
			}
		}
		for _, key := range []string{"profile", "sine"} {
			set := v.given("arrivals." + key)
			if key == "profile" {
				set = set || a.Profile != nil
			} else {
				set = set || a.Sine != nil
			}
			if !set {
				continue
			}
			switch {
			case closed:
				v.errorf("arrivals."+key, "applies only to open-loop processes (%s), not closed: a closed loop's users set its pace", strings.Join(openProcesses, ", "))
			case trace:
				v.errorf("arrivals."+key, "applies only to open-loop processes (%s), not trace: a trace replays its own times (speed scales them)", strings.Join(openProcesses, ", "))
			case key == "profile":
				v.profile()
			default:
				v.sine()
			}
		}
	}
	if known && (closed || trace) {
		if !closed || !usersSet {
			why := "a closed loop takes users (and think), not load or rate: its users set the pace"
			if trace {
				why = "a trace's arrivals come from its file, not from a load or a rate (speed scales them)"
			}
			if loadSet {
				v.errorf("arrivals.load", "%s; remove arrivals.load", why)
			}
			if rateSet {
				v.errorf("arrivals.rate", "%s; remove arrivals.rate", why)
			}
		}
		return
	}

	const which = "set exactly one of load (a fraction of the servers' capacity, e.g. 0.7) or rate (requests per second)"
	if loadSet && !(a.Load > 0) {
		v.errorf("arrivals.load", "must be > 0 (a fraction of the servers' capacity, e.g. 0.7), got %g", a.Load)
	}
	if rateSet && !(a.Rate > 0) {
		v.errorf("arrivals.rate", "must be > 0 (requests per second), got %g", a.Rate)
	}
	switch {
	case loadSet && rateSet:
		v.errorf("arrivals", "both load and rate are set; %s", which)
	case !loadSet && !rateSet:
		v.errorf("arrivals", "neither load nor rate is set; %s", which)
	}
}

// states checks an mmpp process's states.
func (v *validator) states() {
	st := v.s.Arrivals.States
	const p = "arrivals.states"
	if len(st) < 2 {
		got := "none"
		if len(st) == 1 {
			got = "one"
		}
		v.errorf(p, "process mmpp needs at least 2 states, got %s; e.g. states: [{factor: 4, mean_sojourn: 1s}, {factor: 0.25, mean_sojourn: 4s}]", got)
		return
	}
	positive, negative := false, false
	for i, x := range st {
		sp := index(p, i)
		if !(x.Factor >= 0) {
			v.errorf(join(sp, "factor"), "must be >= 0 (0 turns the traffic off in this state), got %g", x.Factor)
			negative = true
		}
		positive = positive || x.Factor > 0
		if x.MeanSojourn <= 0 {
			v.errorf(join(sp, "mean_sojourn"), "must be > 0 (the state's mean duration), got %v", x.MeanSojourn)
		}
	}
	if !positive && !negative {
		v.errorf(p, "every state's factor is 0: there would be no traffic; give at least one state a factor > 0")
	}
}

// users checks a closed loop's population, and that it has no load or rate.
func (v *validator) users(loadSet, rateSet bool) {
	a := v.s.Arrivals
	const p = "arrivals.users"
	switch {
	case a.Users == 0 && !v.given(p):
		v.errorf(p, "required for process closed: the number of users, each sending a request, waiting for its answer and thinking, e.g. users: 50")
		return
	case a.Users < 1:
		v.errorf(p, "must be at least 1, got %d", a.Users)
	}
	switch {
	case loadSet:
		v.errorf(p, "closed-loop users set no load or rate; remove arrivals.load")
	case rateSet:
		v.errorf(p, "closed-loop users set no load or rate; remove arrivals.rate")
	}
	if v.given("clients") {
		v.errorf("clients", "a closed loop has one client per user (user u is client u); remove clients")
	}
}

// profile checks arrivals.profile: times from 0 that never go back, at most
// two points at one instant, factors >= 0, not all 0, and a last factor
// above 0 when only requests can end the run.
func (v *validator) profile() {
	s := v.s
	pts := s.Arrivals.Profile
	const p = "arrivals.profile"
	if len(pts) == 0 {
		v.errorf(p, "needs at least one point, e.g. profile: [{at: 0s, factor: 1}, {at: 60s, factor: 3}]; remove it for none")
		return
	}
	positive, negative := false, false
	for i, pt := range pts {
		ip := index(p, i)
		if !(pt.Factor >= 0) {
			v.errorf(join(ip, "factor"), "must be >= 0, got %g", pt.Factor)
			negative = true
		}
		positive = positive || pt.Factor > 0
		switch {
		case pt.At < 0:
			v.errorf(join(ip, "at"), "must not be negative, got %v (times are from the start of the run)", pt.At)
		case i > 0 && pt.At < pts[i-1].At:
			v.errorf(join(ip, "at"), "%v is before the previous point's %v: a profile's times must not go backwards", pt.At, pts[i-1].At)
		case i > 1 && pt.At == pts[i-1].At && pt.At == pts[i-2].At:
			v.errorf(join(ip, "at"), "a third point at %v: at most two points share an instant (a step from the first's factor to the second's)", pt.At)
		}
	}
	last := pts[len(pts)-1]
	switch {
	case negative:
	case !positive:
		v.errorf(p, "every factor is 0: there would be no traffic; give a point a factor > 0")
	case last.Factor == 0 && s.Duration == 0:
		v.errorf(join(index(p, len(pts)-1), "factor"), "the last factor, 0, holds for ever, so the run might never reach its requests; set duration, or end the profile with a factor > 0")
	}
}

// sine checks arrivals.sine.
func (v *validator) sine() {
	sn := v.s.Arrivals.Sine
	if sn == nil {
		return
	}
	if sn.Period <= 0 {
		v.errorf("arrivals.sine.period", "must be > 0, got %v", sn.Period)
	}
	if !(sn.Amplitude >= 0 && sn.Amplitude < 1) {
		v.errorf("arrivals.sine.amplitude", "must be >= 0 and < 1 (at 1 or more the rate would reach 0 or go negative), got %g", sn.Amplitude)
	}
}

// classes checks the request classes.
func (v *validator) classes() {
	cs := v.s.Classes
	if cs == nil && !v.given("classes") {
		return
	}
	if len(cs) == 0 {
		v.errorf("classes", "needs at least one class, e.g. classes: [{name: api, weight: 9}, {name: report, weight: 1, size: 20}]; remove it for none")
		return
	}
	seen := map[string]int{}
	for i, c := range cs {
		p := index("classes", i)
		v.name(join(p, "name"), c.Name, "class")
		if j, dup := seen[c.Name]; dup && c.Name != "" {
			v.errorf(join(p, "name"), "duplicate class name %q (also classes[%d])", c.Name, j)
		} else {
			seen[c.Name] = i
		}
		if !(c.Weight > 0) || math.IsInf(c.Weight, 0) {
			v.errorf(join(p, "weight"), "must be > 0 (classes are drawn with probability weight / sum of weights), got %g", c.Weight)
		}
		sp := join(p, "service")
		if c.HasService() || v.given(sp) {
			if c.Size != 0 || v.given(join(p, "size")) {
				v.errorf(join(p, "size"), "size and service are both set; a class takes size (a multiple of its server's service time) or its own service distribution, not both")
			}
			if v.spec(sp, c.Service) {
				if d, err := dist.New(c.Service); err == nil && !(d.Mean() > 0) {
					v.errorf(sp, "the mean service time is 0: a class needs a positive mean, so that the servers have a capacity")
				}
			}
		} else if !(c.Size > 0) || math.IsInf(c.Size, 0) {
			v.errorf(join(p, "size"), "must be > 0 (a multiple of its server's service time), got %g", c.Size)
		}
	}
}

// servers checks the server groups and returns how many servers there are.
func (v *validator) servers() int {
	s := v.s
	if len(s.Servers) == 0 {
		v.errorf("servers", "required: at least one server group, e.g. servers: [{name: web, count: 8, service: {dist: exponential, mean: 10ms}}]")
		return 0
	}
	seen := map[string]int{}
	seenURLs := map[string]string{}
	total := 0
	for i, g := range s.Servers {
		p := index("servers", i)
		v.name(join(p, "name"), g.Name, "server group")
		if j, dup := seen[g.Name]; dup && g.Name != "" {
			v.errorf(join(p, "name"), "duplicate server group name %q (also servers[%d]); its servers would share names", g.Name, j)
		} else {
			seen[g.Name] = i
		}
		hasURLs := g.URLs != nil || v.given(join(p, "urls"))
		if hasURLs {
			v.groupURLs(p, g, seenURLs) // urls.go
		}
		switch {
		case hasURLs && (len(g.URLs) > maxServers || total+len(g.URLs) > maxServers):
			v.errorf(join(p, "urls"), "too many servers: at most %d in a scenario", maxServers)
			total = maxServers + 1
		case hasURLs:
			total += len(g.URLs)
		case g.Count < 1:
			v.errorf(join(p, "count"), "must be at least 1, got %d", g.Count)
		case g.Count > maxServers || total+g.Count > maxServers:
			v.errorf(join(p, "count"), "too many servers: at most %d in a scenario", maxServers)
			total = maxServers + 1
		default:
			total += g.Count
		}
		if !(g.Weight > 0) || math.IsInf(g.Weight, 0) {
			v.errorf(join(p, "weight"), "must be > 0, got %g", g.Weight)
		}
		if g.Concurrency < 1 {
			v.errorf(join(p, "concurrency"), "must be at least 1, got %d", g.Concurrency)
		}
		if g.QueueLimit < 0 {
			v.errorf(join(p, "queue_limit"), "must not be negative, got %d (0 means unbounded)", g.QueueLimit)
		}
		switch dp := join(p, "discipline"); {
		case g.Discipline == DisciplineFIFO || g.Discipline == DisciplinePS:
		case g.Discipline == "" && !v.given(dp): // the default, fifo
		default:
			v.errorf(dp, "%s is not a discipline: %s", quote(g.Discipline), disciplines)
		}
		v.membership(p, g)
		sp := join(p, "service")
		if reflect.ValueOf(g.Service).IsZero() {
			if !hasURLs { // someone else's servers need no model (urls.go)
				v.errorf(sp, "required: the service-time distribution, e.g. service: {dist: exponential, mean: 10ms}")
			}
		} else if v.spec(sp, g.Service) {
			if d, err := dist.New(g.Service); err == nil && !(d.Mean() > 0) {
				v.errorf(sp, "the mean service time is 0: a server needs a positive mean to have a capacity")
			}
		}
	}
	return total
}

// spec checks a distribution at p and reports whether it is valid.
func (v *validator) spec(p string, s dist.Spec) bool {
	err := s.Validate()
	if err == nil {
		return true
	}
	var fe *dist.FieldError
	if errors.As(err, &fe) {
		v.errorf(p+"."+fe.Field, "%v", fe.Err)
	} else {
		v.errorf(p, "%v", err)
	}
	return false
}

func (v *validator) healthCheck() {
	if a := v.s.HealthCheck.Active; a != nil {
		const p = "health_check.active"
		if a.Interval <= 0 {
			v.errorf(p+".interval", "must be > 0, got %v", a.Interval)
		}
		if a.Timeout <= 0 {
			v.errorf(p+".timeout", "must be > 0, got %v", a.Timeout)
		}
		if a.Rise < 1 {
			v.errorf(p+".rise", "must be at least 1, got %d", a.Rise)
		}
		if a.Fall < 1 {
			v.errorf(p+".fall", "must be at least 1, got %d", a.Fall)
		}
	}
	if ps := v.s.HealthCheck.Passive; ps != nil {
		const p = "health_check.passive"
		if ps.ConsecutiveFailures < 1 {
			v.errorf(p+".consecutive_failures", "must be at least 1, got %d", ps.ConsecutiveFailures)
		}
		if ps.Ejection <= 0 {
			v.errorf(p+".ejection", "must be > 0, got %v", ps.Ejection)
		}
	}
}

func (v *validator) faults(total int) {
	s := v.s
	for i, f := range s.Faults {
		p := index("faults", i)
		switch {
		case f.At < 0:
			v.errorf(join(p, "at"), "must not be negative, got %v", f.At)
		case s.Duration > 0 && f.At >= s.Duration:
			v.errorf(join(p, "at"), "%v is not before the end of the run (duration %v): the fault would never happen", f.At, s.Duration)
		}
		if f.Duration < 0 {
			v.errorf(join(p, "duration"), "must not be negative, got %v (0 means until the end of the run)", f.Duration)
		}
		switch {
		case f.MTBF < 0:
			v.errorf(join(p, "mtbf"), "must be above 0 (the mean time between failures, e.g. 60s), got %v", f.MTBF)
		case f.MTTR < 0:
			v.errorf(join(p, "mttr"), "must be above 0 (the mean time to repair, e.g. 5s), got %v", f.MTTR)
		case (f.MTBF > 0) != (f.MTTR > 0):
			missing := "mttr"
			if f.MTTR > 0 {
				missing = "mtbf"
			}
			v.errorf(join(p, missing), "a random fault needs both mtbf and mttr (e.g. {mtbf: 60s, mttr: 5s})")
		}
		kindOK := true
		switch f.Kind {
		case "crash", "slowdown", "errors", FaultRestart:
		case "":
			v.errorf(join(p, "kind"), "required: crash, slowdown, errors or restart")
			kindOK = false
		default:
			v.errorf(join(p, "kind"), "unknown fault kind %s; use crash, slowdown, errors or restart", quote(f.Kind))
			kindOK = false
		}
		if kindOK {
			v.restart(p, f)
		}
		if kindOK {
			if f.Kind == "slowdown" {
				if !(f.Factor > 0) {
					v.errorf(join(p, "factor"), "a slowdown needs factor > 0 (its service-time multiplier, e.g. factor: 4), got %g", f.Factor)
				}
			} else if f.Factor != 0 {
				v.errorf(join(p, "factor"), "applies only to slowdown faults, not %s", f.Kind)
			}
			if f.Kind == "errors" {
				if !(f.Probability > 0 && f.Probability <= 1) {
					v.errorf(join(p, "probability"), "an errors fault needs probability in (0, 1] (the chance a request is answered 500, e.g. 0.5), got %g", f.Probability)
				}
			} else if f.Probability != 0 {
				v.errorf(join(p, "probability"), "applies only to errors faults, not %s", f.Kind)
			}
		}
		tp := join(p, "target")
		if f.Target == "" {
			v.errorf(tp, "required: a server name or a glob over server names, e.g. web-3 or \"web-*\"")
			continue
		}
		if _, err := path.Match(f.Target, ""); err != nil {
			v.errorf(tp, "%s is not a valid glob pattern (path.Match syntax: *, ?, [a-z], \\)", quote(f.Target))
			continue
		}
		if total < 1 || total > maxServers || v.isBad("servers") {
			continue
		}
		if len(s.FaultTargets(i)) == 0 {
			v.errorf(tp, "%s matches no server; the servers are %s", quote(f.Target), v.serverRanges())
		}
	}
}

// serverRanges lists the server names briefly: "web-0..web-7, db-0".
func (v *validator) serverRanges() string {
	var parts []string
	for _, g := range v.s.Servers {
		switch {
		case g.Count == 1:
			parts = append(parts, g.Name+"-0")
		case g.Count > 1:
			parts = append(parts, fmt.Sprintf("%s-0..%s-%d", g.Name, g.Name, g.Count-1))
		}
	}
	return strings.Join(parts, ", ")
}

func (v *validator) algorithms(total int) {
	s := v.s
	if len(s.Algorithms) == 0 {
		v.errorf("algorithms", "required: at least one algorithm, e.g. algorithms: [round-robin, least-connections, {name: p2c, choices: 2}]")
		return
	}
	// Parameters that depend on the number of servers (p2c's choices) are
	// checked only when that number is known.
	backends := total
	if backends > maxServers || v.isBad("servers") {
		backends = 0
	}
	labels := map[string]int{}
	for i, a := range s.Algorithms {
		p := index("algorithms", i)
		namePath, labelPath := p, p
		if v.given(join(p, "name")) {
			namePath = join(p, "name")
		}
		if v.given(join(p, "label")) {
			labelPath = join(p, "label")
		}
		if a.Name == "" {
			v.errorf(join(p, "name"), "required: the algorithm's name, e.g. {name: p2c, choices: 2}")
			continue
		}
		if err := algorithms.Validate(a.Name, a.Params, backends); err != nil {
			var pe *algorithms.ParamError
			if errors.As(err, &pe) {
				v.errorf(join(p, pe.Param), "%v", pe.Err)
			} else {
				v.errorf(namePath, "%s", strings.TrimPrefix(err.Error(), "algorithms: "))
			}
		}
		if !namePattern.MatchString(a.Label) {
			v.errorf(labelPath, "%s is not a valid label: %s", quote(a.Label), nameRule)
			continue
		}
		if j, dup := labels[a.Label]; dup {
			v.errorf(labelPath, "duplicate label %q (also algorithms[%d]); give one of them its own, e.g. {name: %s, label: %s-2}",
				a.Label, j, a.Name, a.Label)
		} else {
			labels[a.Label] = i
		}
	}
}

// membership checks a server group's join and leave (DESIGN.md §7) at p.
func (v *validator) membership(p string, g ServerGroup) {
	s := v.s
	switch {
	case g.Join < 0:
		v.errorf(join(p, "join"), "must not be negative, got %v (0s: a member from the start)", g.Join)
	case s.Duration > 0 && g.Join >= s.Duration:
		v.errorf(join(p, "join"), "%v is not before the end of the run (duration %v): the group would never join", g.Join, s.Duration)
	}
	switch {
	case g.Leave < 0:
		v.errorf(join(p, "leave"), "must not be negative, got %v (0s, the default, means never)", g.Leave)
	case g.Leave > 0 && g.Leave <= g.Join:
		v.errorf(join(p, "leave"), "%v is not after join (%v): a group leaves after it joins", g.Leave, g.Join)
	}
}

// restart checks the keys that belong to a restart fault, and that other
// faults do not use them, at p.
func (v *validator) restart(p string, f Fault) {
	if f.Kind != FaultRestart {
		if f.Batch != 0 {
			v.errorf(join(p, "batch"), "applies only to restart faults, not %s", f.Kind)
		}
		if f.Down != 0 {
			v.errorf(join(p, "down"), "applies only to restart faults, not %s", f.Kind)
		}
		return
	}
	if f.Batch < 1 {
		v.errorf(join(p, "batch"), "must be at least 1 (servers restarted at a time), got %d", f.Batch)
	}
	if f.Down < 0 {
		v.errorf(join(p, "down"), "must not be negative, got %v (how long each server is down after its drain; 0s rejoins at once)", f.Down)
	}
	if f.Duration != 0 {
		v.errorf(join(p, "duration"), "does not apply to a restart: it lasts as long as its batches take (batch, down)")
	}
	if f.MTBF != 0 || f.MTTR != 0 {
		key := "mtbf"
		if f.MTBF == 0 {
			key = "mttr"
		}
		v.errorf(join(p, key), "does not apply to a restart: a rolling restart is scheduled, not random")
	}
}
