package algotest

// The property harness: drive a balancer through a scripted load, keeping
// the script's own count of what is in flight where, and check a property
// of every pick against it.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// A Script is a load to drive a balancer through, step by step, e.g.
//
//	algotest.Script{
//		algotest.SetBackends(algotest.Backends(3)...),
//		algotest.Picks(6),
//		algotest.Finish(0),
//		algotest.Picks(1),
//	}
type Script []Step

// Step is one step of a Script; SetBackends, Picks, Finish, FinishAny,
// FinishAll and Advance make them.
type Step struct {
	kind     stepKind
	n        int
	backends []algorithms.Backend
	d        time.Duration
}

type stepKind int

const (
	stepUpdate stepKind = iota
	stepPicks
	stepFinish
	stepFinishAny
	stepFinishAll
	stepAdvance
)

// SetBackends calls Update with bs (copied).
func SetBackends(bs ...algorithms.Backend) Step {
	return Step{kind: stepUpdate, backends: slices.Clone(bs)}
}

// Picks makes n picks in a row, each Started at once and left in flight,
// with keys drawn from the script's seeded stream (0..63).
func Picks(n int) Step { return Step{kind: stepPicks, n: n} }

// Finish ends the oldest request in flight to backend id (none: no-op).
func Finish(id int) Step { return Step{kind: stepFinish, n: id} }

// FinishAny ends one request in flight, chosen at random by the script's
// seeded stream (none: no-op).
func FinishAny() Step { return Step{kind: stepFinishAny} }

// FinishAll ends every request in flight, oldest first.
func FinishAll() Step { return Step{kind: stepFinishAll} }

// Advance moves the script's clock forward by d (>= 0).
func Advance(d time.Duration) Step { return Step{kind: stepAdvance, d: d} }

// RandomLoad returns a script of n steps over backends IDs 0..5: about half
// of them picks, most of the rest finishes of random requests in flight,
// and 3% updates that change which backends are listed and healthy (at
// times none), with the clock moving 0-2ms a step. The same seed gives the
// same script; it ends with FinishAll.
func RandomLoad(seed uint64, n int) Script {
	r := rand.New(rand.NewPCG(seed, 0x10ad))
	s := Script{SetBackends(Backends(6)...)}
	for range n {
		s = append(s, Advance(time.Duration(r.IntN(3))*time.Millisecond))
		switch x := r.IntN(100); {
		case x < 3:
			var bs []algorithms.Backend
			for _, b := range Backends(6) {
				if r.IntN(5) > 0 {
					b.Healthy = r.IntN(10) < 7
					bs = append(bs, b)
				}
			}
			s = append(s, SetBackends(bs...))
		case x < 55:
			s = append(s, Picks(1))
		default:
			s = append(s, FinishAny())
		}
	}
	return append(s, FinishAll())
}

// State is what a property sees after each pick. Its slices belong to the
// harness and change after the property returns: copy what must be kept.
type State struct {
	Step     int                  // index of the step in the script
	Now      time.Duration        // the script's clock
	Backends []algorithms.Backend // the set last given to Update, in its order
	// InFlight holds the requests in flight by backend ID just before the
	// pick, as the script counts them (picks minus finishes), whatever the
	// balancer believes; IDs beyond its end have none.
	InFlight []int64
	Key      uint64 // the request's key
	Picked   int    // the backend picked, or -1 for ErrNoBackend
}

// Property drives b through script, checking after every pick that it
// keeps the contract (a healthy listed backend, or ErrNoBackend exactly
// when none is) and that check(state) returns nil. It reports the first
// violation with the step, the time and the set, and stops there.
func Property(t testing.TB, b algorithms.Balancer, script Script, check func(State) error) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 0x5c1))
	var (
		now      time.Duration
		set      []algorithms.Backend
		inflight []int64
		open     []pending // oldest first
	)
	finish := func(k int) {
		p := open[k]
		open = slices.Delete(open, k, k+1)
		inflight[p.id]--
		b.Finished(p.id, now, now-p.start, true)
	}
	for i, st := range script {
		switch st.kind {
		case stepUpdate:
			set = slices.Clone(st.backends)
			for _, be := range set {
				for len(inflight) <= be.ID {
					inflight = append(inflight, 0)
				}
			}
			b.Update(now, set)
		case stepAdvance:
			if st.d < 0 {
				t.Fatalf("algotest: script step %d: Advance(%v): time cannot go backwards", i, st.d)
				return
			}
			now += st.d
		case stepFinish:
			if k := slices.IndexFunc(open, func(p pending) bool { return p.id == st.n }); k >= 0 {
				finish(k)
			}
		case stepFinishAny:
			if len(open) > 0 {
				finish(r.IntN(len(open)))
			}
		case stepFinishAll:
			for len(open) > 0 {
				finish(0)
			}
		case stepPicks:
			for range st.n {
				key := r.Uint64() % 64
				id, err := b.Pick(algorithms.Request{Now: now, Key: key})
				none := !slices.ContainsFunc(set, func(b algorithms.Backend) bool { return b.Healthy })
				where := fmt.Sprintf("script step %d, t=%v, key %d", i, now, key)
				switch {
				case none && err != algorithms.ErrNoBackend:
					t.Errorf("%s: no backend is healthy (%s), but Pick returned backend %d and error %v; it must return algorithms.ErrNoBackend", where, describeSet(set), id, err)
					return
				case none:
					id = -1
				case err != nil:
					t.Errorf("%s: Pick returned %v, but a backend is healthy (%s)", where, err, describeSet(set))
					return
				default:
					if why := whyIneligible(id, set); why != "" {
						t.Errorf("%s: %s", where, why)
						return
					}
				}
				if err := check(State{Step: i, Now: now, Backends: set, InFlight: inflight, Key: key, Picked: id}); err != nil {
					t.Errorf("%s: %v (in flight by backend ID, as the script counts: %v; %s)", where, err, inflight, describeSet(set))
					return
				}
				if id >= 0 {
					b.Started(id, now)
					inflight[id]++
					open = append(open, pending{id, now})
				}
			}
		}
	}
}

// LeastLoaded is the defining property of least-connections: a pick never
// goes to a backend with more requests in flight than the least loaded
// healthy backend plus slack (0: always one of the least loaded). The
// counts are the script's own, so a strategy that miscounts fails it.
func LeastLoaded(slack int) func(State) error {
	return func(s State) error {
		if s.Picked < 0 {
			return nil
		}
		count := func(id int) int64 {
			if id < len(s.InFlight) {
				return s.InFlight[id]
			}
			return 0
		}
		least := -1
		for _, b := range s.Backends {
			if b.Healthy && (least < 0 || count(b.ID) < count(least)) {
				least = b.ID
			}
		}
		if got, min := count(s.Picked), count(least); got > min+int64(slack) {
			return fmt.Errorf("picked backend %d with %d requests in flight, but backend %d had %d (least-loaded allows at most the minimum + %d)",
				s.Picked, got, least, min, slack)
		}
		return nil
	}
}
