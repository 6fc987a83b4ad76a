package algorithms

// The static registry of algorithms by the names scenario files use.

import (
	"fmt"
	"math/rand/v2"
	"strings"
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

// config is an algorithm's decoded, validated params.
type config interface {
	// fits checks the params against the number of backends (> 0).
	fits(backends int) *ParamError
	// build returns a new balancer drawing its randomness from src.
	build(src rand.Source) Balancer
}

// algorithm is one registry entry.
type algorithm struct {
	name    string
	summary string
	params  []param
	decode  func(p *paramReader) config
}

// noParams adapts the constructor of an algorithm without parameters.
type noParams func(src rand.Source) Balancer

func (f noParams) fits(int) *ParamError           { return nil }
func (f noParams) build(src rand.Source) Balancer { return f(src) }
func (f noParams) decode(*paramReader) config     { return f }

// registry lists the algorithms, sorted by name.
var registry = []algorithm{
	{
		name:    "bounded-load-hash",
		summary: "ring hash with bounded loads: next backend on the ring under ceil(c * average in flight) (Mirrokni et al. 2018)",
		params:  []param{boundedLoadFactor},
		decode:  decodeBoundedLoad,
	},
	{
		name:    "ip-hash",
		summary: "hash of the client key mod the listed backends; rehashes past unhealthy ones (nginx ip_hash)",
		decode:  noParams(newIPHash).decode,
	},
	{
		name:    "join-idle-queue",
		summary: "JIQ-Random: a backend that becomes idle joins one balancer's I-queue; pick from it, else at random (Lu et al. 2011)",
		decode:  noParams(newJoinIdleQueue).decode,
	},
	{
		name:    "least-connections",
		summary: "fewest requests in flight, ties broken uniformly at random",
		decode:  noParams(newLeastConnections).decode,
	},
	{
		name:    "least-response-time",
		summary: "lowest EWMA of latency, ties broken by fewest in flight, then uniformly at random",
		params:  []param{ewmaDecay, ewmaDefaultRTT},
		decode:  decodeLeastResponseTime,
	},
	{
		name:    "maglev",
		summary: "Maglev lookup table over the healthy backends, keyed by the client key (Eisenbud et al., NSDI 2016)",
		params:  []param{maglevTableSize},
		decode:  decodeMaglev,
	},
	{
		name:    "p2c",
		summary: "power of d choices: fewest in flight among d distinct random healthy backends",
		params:  []param{p2cChoices},
		decode:  decodeP2C,
	},
	{
		name:    "peak-ewma",
		summary: "p2c over peak-EWMA latency x (in flight + 1), as Finagle and linkerd2-proxy do it",
		params:  []param{ewmaDecay, ewmaDefaultRTT},
		decode:  decodePeakEWMA,
	},
	{
		name:    "prequal",
		summary: "probe pool with the hot/cold rule: lowest-latency cold probe, else lowest-RIF hot one (Wydrowski et al., NSDI 2024)",
		params:  []param{prequalProbes, prequalPool, prequalMaxAge, prequalReuse, prequalQRIF},
		decode:  decodePrequal,
	},
	{
		name:    "random",
		summary: "uniformly random healthy backend",
		decode:  noParams(newRandom).decode,
	},
	{
		name:    "ring-hash",
		summary: "consistent hashing on a ring of virtual nodes, skipping unhealthy backends (Karger et al. 1997, Envoy ring_hash)",
		params:  []param{ringHashVnodes},
		decode:  decodeRingHash,
	},
	{
		name:    "round-robin",
		summary: "cycle over the healthy backends from a random start",
		decode:  noParams(newRoundRobin).decode,
	},
	{
		name:    "sticky",
		summary: "session affinity: a client key stays on the backend its base algorithm first picked while it is healthy",
		params:  []param{stickyBase, stickyMaxSessions},
		decode:  decodeSticky,
	},
	{
		name:    "weighted-least-connections",
		summary: "lowest (in-flight+1)/weight, ties broken uniformly at random",
		params:  []param{slowStartWindow},
		decode:  decodeWeightedLeastConnections,
	},
	{
		name:    "weighted-random",
		summary: "random healthy backend with probability weight / total healthy weight",
		params:  []param{slowStartWindow},
		decode:  decodeWeightedRandom,
	},
	{
		name:    "weighted-round-robin",
		summary: "smooth weighted round-robin as nginx does it (5,1,1 -> a a b a c a a)",
		params:  []param{slowStartWindow},
		decode:  decodeWeightedRoundRobin,
	},
}

var p2cChoices = intParam{
	name: "choices", def: 2, min: 1,
	doc: "d, distinct healthy backends sampled per pick; 1 is random, all of them is least-connections",
}

type p2cConfig struct {
	choices int
}

func decodeP2C(p *paramReader) config {
	return p2cConfig{choices: p2cChoices.read(p)}
}

func (c p2cConfig) fits(backends int) *ParamError {
	if c.choices > backends {
		return &ParamError{Param: p2cChoices.name,
			Err: fmt.Errorf("must be <= the number of backends (%d), got %d", backends, c.choices)}
	}
	return nil
}

func (c p2cConfig) build(src rand.Source) Balancer { return newP2C(src, c.choices) }

// New returns a new balancer running the algorithm called name with params,
// as decoded from a scenario file (every key but name and label), drawing
// its randomness from src. Use LockedSource(src) if the balancer will be
// used from several goroutines. An unknown name is an error listing the
// known ones; a bad parameter is a *ParamError.
func New(name string, params map[string]any, src rand.Source) (Balancer, error) {
	cfg, err := decode(name, params)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, fmt.Errorf("algorithms: New(%q): nil rand.Source", name)
	}
	return cfg.build(src), nil
}

// Validate checks everything New checks and, when backends > 0, that the
// params suit that many backends (p2c: choices <= backends). A bad parameter
// is a *ParamError.
func Validate(name string, params map[string]any, backends int) error {
	cfg, err := decode(name, params)
	if err != nil {
		return err
	}
	if backends > 0 {
		if pe := cfg.fits(backends); pe != nil {
			pe.Algorithm = name
			return pe
		}
	}
	return nil
}

// List describes every algorithm, sorted by name.
func List() []Info {
	out := make([]Info, len(registry))
	for i, a := range registry {
		out[i] = Info{Name: a.name, Summary: a.summary}
		for _, p := range a.params {
			out[i].Params = append(out[i].Params, p.info())
		}
	}
	return out
}

func decode(name string, params map[string]any) (config, error) {
	for _, a := range registry {
		if a.name == name {
			p := &paramReader{alg: name, params: params}
			cfg := a.decode(p)
			if err := p.done(); err != nil {
				return nil, err
			}
			return cfg, nil
		}
	}
	names := make([]string, len(registry))
	for i, a := range registry {
		names[i] = a.name
	}
	return nil, fmt.Errorf("algorithms: unknown algorithm %q (known: %s)", name, strings.Join(names, ", "))
}
