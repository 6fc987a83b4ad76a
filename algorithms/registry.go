package algorithms

// The registry of strategies by the names scenario files use: the
// built-ins, a static table of Specs, and the strategies a program adds
// with Register before it runs anything.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Info describes an algorithm for listings (sim list).
type Info struct {
	Name    string // as written in scenario files, e.g. "p2c"
	Summary string // one line
	Params  []ParamInfo
}

// ParamInfo describes one parameter of an algorithm.
type ParamInfo struct {
	Name    string // as written in scenario files, e.g. "choices"
	Default string // the default value, formatted
	Doc     string // one line
}

// Spec declares a strategy: its name, its typed parameters and how to
// build it. The built-in strategies are Specs like any other; a program
// adds its own with Register, and then scenario files name it as they name
// p2c, in both engines:
//
//	var leastOfK = algorithms.Spec{
//		Name:    "least-of-k",
//		Summary: "fewest in flight among k random healthy backends",
//		Params:  []algorithms.Param{algorithms.Int{Name: "k", Default: 2, Min: 1, Doc: "backends sampled per pick"}},
//		New: func(p algorithms.Params, src rand.Source) (algorithms.Balancer, error) {
//			return newLeastOfK(p.Int("k"), src), nil
//		},
//	}
//
// The Balancer that New returns must keep the contract written on the
// Balancer type; the package algorithms/algotest checks it.
type Spec struct {
	Name    string  // kebab-case, as scenario files write it, e.g. "least-of-k"
	Summary string  // one line, for listings
	Params  []Param // typed parameters with defaults, ranges and docs; scenario files write their names

	// New builds a balancer from params decoded and checked against Params,
	// drawing all its randomness from src. A non-nil error fails the run
	// (a *ParamError names the parameter at fault).
	New func(p Params, src rand.Source) (Balancer, error)

	// Fits, if set, checks the params against the number of backends (> 0)
	// before a run (p2c: choices <= backends). Return a *ParamError naming
	// the parameter at fault, so a scenario's error points at its line; its
	// Algorithm is filled in. Any other error is reported against the
	// algorithm's name.
	Fits func(p Params, backends int) error
}

// kebab is the shape of an algorithm's name.
var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// check reports what is wrong with a Spec, if anything.
func (s Spec) check() error {
	var errs []error
	if !kebab.MatchString(s.Name) {
		what := fmt.Sprintf("name %q is not kebab-case", s.Name)
		if s.Name == "" {
			what = "empty name"
		}
		errs = append(errs, fmt.Errorf("%s: use lower-case words and digits joined by '-', as scenario files write it (e.g. \"least-of-k\")", what))
	}
	if s.New == nil {
		errs = append(errs, errors.New("nil New: a Spec must say how to build its balancer"))
	}
	if err := checkParams(s.Params); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Build decodes params (a scenario's, as New takes them) against the
// Spec and builds a balancer, without registering the Spec: for tests
// (algotest uses it) and for strategies that wrap another. Errors are
// those of New.
func (s Spec) Build(params map[string]any, src rand.Source) (Balancer, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("algorithms: Spec %q: %w", s.Name, err)
	}
	return s.build(params, src)
}

func (s Spec) build(params map[string]any, src rand.Source) (Balancer, error) {
	p, err := decodeParams(s.Name, s.Params, params)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, fmt.Errorf("algorithms: New(%q): nil rand.Source", s.Name)
	}
	b, err := s.New(p, src)
	switch {
	case err != nil:
		var pe *ParamError
		if errors.As(err, &pe) {
			pe.Algorithm = s.Name
			return nil, pe
		}
		return nil, fmt.Errorf("algorithms: %s: %w", s.Name, err)
	case b == nil:
		return nil, fmt.Errorf("algorithms: %s: New returned no balancer and no error", s.Name)
	}
	return b, nil
}

// fits runs the Spec's Fits, if any, on p.
func (s Spec) fits(p Params, backends int) error {
	if s.Fits == nil {
		return nil
	}
	err := s.Fits(p, backends)
	if err == nil {
		return nil
	}
	var pe *ParamError
	if errors.As(err, &pe) {
		pe.Algorithm = s.Name
		return pe
	}
	return fmt.Errorf("algorithms: %s: %w", s.Name, err)
}

// registered holds the strategies added with Register, in the order added.
var registered struct {
	mu    sync.RWMutex
	specs []Spec
}

// Register adds a strategy to the registry, so that New, Validate and List
// know it by s.Name, as they know the built-ins. Call it before anything
// builds balancers, typically first thing in main:
//
//	if err := algorithms.Register(leastOfK); err != nil {
//		log.Fatal(err)
//	}
//
// Register refuses an empty name or one that is not kebab-case, a name
// already registered or taken by a built-in, a nil New, and parameters that
// are declared twice, are not snake_case, are called name or label (which
// scenario files keep for themselves) or have a default their own range
// refuses. It is safe for concurrent use.
func Register(s Spec) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("algorithms: Register(%q): %w", s.Name, err)
	}
	if _, ok := findBuiltin(s.Name); ok {
		return fmt.Errorf("algorithms: Register(%q): a built-in algorithm has that name; choose another", s.Name)
	}
	s.Params = slices.Clone(s.Params)
	registered.mu.Lock()
	defer registered.mu.Unlock()
	if slices.ContainsFunc(registered.specs, func(r Spec) bool { return r.Name == s.Name }) {
		return fmt.Errorf("algorithms: Register(%q): already registered", s.Name)
	}
	registered.specs = append(registered.specs, s)
	return nil
}

// Unregister removes a strategy added with Register and reports whether
// there was one by that name; balancers built from it keep running. It is
// for tests that register a strategy:
//
//	t.Cleanup(func() { algorithms.Unregister("least-of-k") })
func Unregister(name string) bool {
	registered.mu.Lock()
	defer registered.mu.Unlock()
	i := slices.IndexFunc(registered.specs, func(s Spec) bool { return s.Name == name })
	if i < 0 {
		return false
	}
	registered.specs = slices.Delete(registered.specs, i, i+1)
	return true
}

// Lookup returns the Spec of the algorithm called name, built in or
// registered.
func Lookup(name string) (Spec, bool) {
	if s, ok := findBuiltin(name); ok {
		return s, true
	}
	registered.mu.RLock()
	defer registered.mu.RUnlock()
	i := slices.IndexFunc(registered.specs, func(s Spec) bool { return s.Name == name })
	if i < 0 {
		return Spec{}, false
	}
	s := registered.specs[i]
	s.Params = slices.Clone(s.Params)
	return s, true
}

func findBuiltin(name string) (Spec, bool) {
	bs := builtins()
	i := slices.IndexFunc(bs, func(s Spec) bool { return s.Name == name })
	if i < 0 {
		return Spec{}, false
	}
	return bs[i], true
}

// all returns every Spec, built in and registered, sorted by name.
func all() []Spec {
	specs := builtins()
	registered.mu.RLock()
	specs = append(specs, registered.specs...)
	registered.mu.RUnlock()
	slices.SortFunc(specs, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
	return specs
}

// New returns a new balancer running the algorithm called name with params,
// as decoded from a scenario file (every key but name and label), drawing
// its randomness from src. Use LockedSource(src) if the balancer will be
// used from several goroutines. An unknown name is an error listing the
// known ones; a bad parameter is a *ParamError.
func New(name string, params map[string]any, src rand.Source) (Balancer, error) {
	s, err := find(name)
	if err != nil {
		return nil, err
	}
	return s.build(params, src)
}

// Validate checks everything New checks and, when backends > 0, that the
// params suit that many backends (p2c: choices <= backends). A bad parameter
// is a *ParamError.
func Validate(name string, params map[string]any, backends int) error {
	s, err := find(name)
	if err != nil {
		return err
	}
	p, err := decodeParams(s.Name, s.Params, params)
	if err != nil {
		return err
	}
	if backends > 0 {
		return s.fits(p, backends)
	}
	return nil
}

// List describes every algorithm, built in and registered, sorted by name.
func List() []Info {
	specs := all()
	out := make([]Info, len(specs))
	for i, s := range specs {
		out[i] = Info{Name: s.Name, Summary: s.Summary}
		for _, p := range s.Params {
			out[i].Params = append(out[i].Params, p.Info())
		}
	}
	return out
}

// find returns the Spec called name, or an error listing the known names.
func find(name string) (Spec, error) {
	if s, ok := Lookup(name); ok {
		return s, nil
	}
	return Spec{}, fmt.Errorf("algorithms: unknown algorithm %q (known: %s)", name, strings.Join(names(all()), ", "))
}

func names(specs []Spec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Name
	}
	return out
}

// noParams adapts the constructor of an algorithm without parameters.
func noParams(f func(src rand.Source) Balancer) func(Params, rand.Source) (Balancer, error) {
	return func(_ Params, src rand.Source) (Balancer, error) { return f(src), nil }
}

// builtins returns the built-in strategies, sorted by name. It is a
// function, not a variable, because sticky's Spec looks its base up here:
// a variable would be an initialization cycle.
func builtins() []Spec {
	return []Spec{
		{
			Name:    "bounded-load-hash",
			Summary: "ring hash with bounded loads: next backend on the ring under ceil(c * average in flight) (Mirrokni et al. 2018)",
			Params:  []Param{boundedLoadFactor},
			New:     newBoundedLoadSpec,
		},
		{
			Name:    "ip-hash",
			Summary: "hash of the client key mod the listed backends; rehashes past unhealthy ones (nginx ip_hash)",
			New:     noParams(newIPHash),
		},
		{
			Name:    "join-idle-queue",
			Summary: "JIQ-Random: a backend that becomes idle joins one balancer's I-queue; pick from it, else at random (Lu et al. 2011)",
			New:     noParams(newJoinIdleQueue),
		},
		{
			Name:    "least-connections",
			Summary: "fewest requests in flight, ties broken uniformly at random",
			New:     noParams(newLeastConnections),
		},
		{
			Name:    "least-response-time",
			Summary: "lowest EWMA of latency, ties broken by fewest in flight, then uniformly at random",
			Params:  []Param{ewmaDecay, ewmaDefaultRTT},
			New:     newLeastResponseTimeSpec,
		},
		{
			Name:    "maglev",
			Summary: "Maglev lookup table over the healthy backends, keyed by the client key (Eisenbud et al., NSDI 2016)",
			Params:  []Param{maglevTableSize},
			New:     newMaglevSpec,
			Fits:    maglevFits,
		},
		{
			Name:    "p2c",
			Summary: "power of d choices: fewest in flight among d distinct random healthy backends",
			Params:  []Param{p2cChoices},
			New:     newP2CSpec,
			Fits:    p2cFits,
		},
		{
			Name:    "peak-ewma",
			Summary: "p2c over peak-EWMA latency x (in flight + 1), as Finagle and linkerd2-proxy do it",
			Params:  []Param{ewmaDecay, ewmaDefaultRTT},
			New:     newPeakEWMASpec,
		},
		{
			Name:    "prequal",
			Summary: "probe pool with the hot/cold rule: lowest-latency cold probe, else lowest-RIF hot one (Wydrowski et al., NSDI 2024)",
			Params:  []Param{prequalProbes, prequalPool, prequalMaxAge, prequalReuse, prequalQRIF},
			New:     newPrequalSpec,
		},
		{
			Name:    "random",
			Summary: "uniformly random healthy backend",
			New:     noParams(newRandom),
		},
		{
			Name:    "ring-hash",
			Summary: "consistent hashing on a ring of virtual nodes, skipping unhealthy backends (Karger et al. 1997, Envoy ring_hash)",
			Params:  []Param{ringHashVnodes},
			New:     newRingHashSpec,
		},
		{
			Name:    "round-robin",
			Summary: "cycle over the healthy backends from a random start",
			New:     noParams(newRoundRobin),
		},
		{
			Name:    "sticky",
			Summary: "session affinity: a client key stays on the backend its base algorithm first picked while it is healthy",
			Params:  []Param{stickyBase(), stickyMaxSessions},
			New:     newStickySpec,
			Fits:    stickyFits,
		},
		{
			Name:    "weighted-least-connections",
			Summary: "lowest (in-flight+1)/weight, ties broken uniformly at random",
			Params:  []Param{slowStartWindow},
			New:     newWeightedLeastConnectionsSpec,
		},
		{
			Name:    "weighted-random",
			Summary: "random healthy backend with probability weight / total healthy weight",
			Params:  []Param{slowStartWindow},
			New:     newWeightedRandomSpec,
		},
		{
			Name:    "weighted-round-robin",
			Summary: "smooth weighted round-robin as nginx does it (5,1,1 -> a a b a c a a)",
			Params:  []Param{slowStartWindow},
			New:     newWeightedRoundRobinSpec,
		},
	}
}

var p2cChoices = Int{
	Name: "choices", Default: 2, Min: 1,
	Doc: "d, distinct healthy backends sampled per pick; 1 is random, all of them is least-connections",
}

func newP2CSpec(p Params, src rand.Source) (Balancer, error) {
	return newP2C(src, p.Int(p2cChoices.Name)), nil
}

func p2cFits(p Params, backends int) error {
	if c := p.Int(p2cChoices.Name); c > backends {
		return &ParamError{Param: p2cChoices.Name,
			Err: fmt.Errorf("must be <= the number of backends (%d), got %d", backends, c)}
	}
	return nil
}
