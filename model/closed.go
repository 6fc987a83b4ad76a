package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// Users is a closed loop's population (DESIGN.md §7, arrivals.process:
// closed): sc.Arrivals.Users users, each sending a request, waiting for its
// answer (or its error: any final outcome), thinking for a draw of
// sc.Arrivals.Think, and sending again. User u is client u (its key is
// traffic.ClientKey(u)). An engine drives it:
//
//	arr, ok := Start(u)            // each user's first request, at arr.At
//	measured, ok := Issue(u, arr)  // when arr.At comes: send it, or the user is done
//	arr, ok = Next(u, answeredAt)  // when its answer (or error) is back: the next one
//
// Common random numbers: user u draws from its own PCG, seeded (sc.Seed,
// traffic.StreamID("users/u")), in a fixed order per request: think time,
// service quantile, balancer instance (when more than one), class (when
// there are classes, by cumulative weights as traffic.Stream draws them).
// User u's k-th request thus has the same think time before it, job size,
// class and balancer under every algorithm and in both engines, whatever
// the order users are served in; only its issue time depends on how fast
// the earlier ones were answered. The first request of each user also
// waits one think draw from t = 0, so that the users do not all arrive at
// once (with think constant 0s they do).
//
// The stopping rule is Arrivals's, applied in issue order: a request that
// would be issued at or after sc.Duration is not issued (Start and Next
// report false), and once sc.Requests measured requests (issued at or after
// the warm-up) have been issued, no more are (Issue reports false). A user
// whose request is refused is done; the loop is Done when every user is.
type Users struct {
	rngs      []*rand.Rand
	done      []bool
	active    int // users not done
	think     dist.Dist
	balancers int
	classCum  []float64

	requests int64
	duration time.Duration
	warmup   time.Duration

	measured int64 // requests issued at or after the warm-up
	warm     int64 // ... and before it
	capped   bool  // sc.Requests measured requests have been issued
	end      time.Duration
}

// NewUsers is sc's closed-loop population. sc must be a closed loop
// (arrivals.process: closed) with at least one user, and set requests or
// duration (else the run would not end).
func NewUsers(sc *scenarios.Scenario) (*Users, error) {
	a := sc.Arrivals
	if a.Process != "closed" {
		return nil, fmt.Errorf("model: scenario %s is not a closed loop (arrivals.process is %q)", sc.Name, a.Process)
	}
	if a.Users < 1 {
		return nil, fmt.Errorf("model: scenario %s: a closed loop needs at least 1 user, got %d", sc.Name, a.Users)
	}
	if sc.Requests <= 0 && sc.Duration <= 0 {
		return nil, fmt.Errorf("model: scenario %s sets neither requests nor duration; the run would not end", sc.Name)
	}
	think, err := thinkDist(a.Think)
	if err != nil {
		return nil, fmt.Errorf("model: scenario %s: arrivals.think: %w", sc.Name, err)
	}
	us := &Users{
		rngs:      make([]*rand.Rand, a.Users),
		done:      make([]bool, a.Users),
		active:    a.Users,
		think:     think,
		balancers: max(sc.Balancers, 1),
		requests:  sc.Requests,
		duration:  sc.Duration,
		warmup:    sc.Warmup,
	}
	for u := range us.rngs {
		us.rngs[u] = rand.New(rand.NewPCG(sc.Seed, traffic.StreamID(fmt.Sprintf("users/%d", u))))
	}
	if len(sc.Classes) > 0 {
		var sum float64
		for _, c := range sc.Classes {
			sum += c.Weight
			us.classCum = append(us.classCum, sum)
		}
	}
	return us, nil
}

// thinkDist is the think-time distribution; a Spec left zero (a scenario
// built in code, not parsed) is constant 0s, as the parser's default.
func thinkDist(sp dist.Spec) (dist.Dist, error) {
	if sp.Dist == "" {
		sp = dist.Spec{Dist: "constant"}
	}
	return dist.New(sp)
}

// Len is the number of users.
func (us *Users) Len() int { return len(us.rngs) }

// Start draws user u's first request: it is due one think draw after t = 0.
// It reports false (and the user is done) when that is at or after the
// duration.
func (us *Users) Start(u int) (arr traffic.Arrival, ok bool) { return us.draw(u, 0) }

// Next draws user u's request after the previous one was answered (or
// ended in error) at answeredAt: it is due one think draw later. It reports
// false (and the user is done) when that is at or after the duration, or
// when the request cap has already been reached.
func (us *Users) Next(u int, answeredAt time.Duration) (arr traffic.Arrival, ok bool) {
	return us.draw(u, answeredAt)
}

func (us *Users) draw(u int, from time.Duration) (traffic.Arrival, bool) {
	if us.done[u] {
		return traffic.Arrival{}, false
	}
	r := us.rngs[u]
	at := from + us.think.Quantile(r.Float64())
	arr := traffic.Arrival{At: at, U: r.Float64(), Client: u, Key: traffic.ClientKey(u)}
	if us.balancers > 1 {
		arr.Balancer = r.IntN(us.balancers)
	}
	if c := us.classCum; c != nil {
		x := r.Float64() * c[len(c)-1]
		arr.Class, _ = slices.BinarySearch(c, x)
		arr.Class = min(arr.Class, len(c)-1)
	}
	if us.capped || (us.duration > 0 && at >= us.duration) {
		us.retire(u)
		return traffic.Arrival{}, false
	}
	return arr, true
}

// Issue is user u sending arr (from Start or Next) at arr.At; engines call
// it in time order. It reports whether the request counts in the figures
// (issued at or after the warm-up), or ok false when the request cap was
// reached by earlier requests: arr is not sent and the user is done.
func (us *Users) Issue(u int, arr traffic.Arrival) (measured, ok bool) {
	if us.done[u] {
		return false, false
	}
	if us.capped {
		us.retire(u)
		return false, false
	}
	measured = arr.At >= us.warmup
	if !measured {
		us.warm++
		return false, true
	}
	us.measured++
	if us.requests > 0 && us.measured >= us.requests {
		us.capped, us.end = true, max(arr.At, us.warmup)
	}
	return true, true
}

func (us *Users) retire(u int) {
	if !us.done[u] {
		us.done[u] = true
		us.active--
	}
}

// Measured reports whether arrival arr counts in the figures: it is issued
// at or after the warm-up's end.
func (us *Users) Measured(arr traffic.Arrival) bool { return arr.At >= us.warmup }

// Counts are the requests issued so far: measured ones, and the warm-up's.
func (us *Users) Counts() (measured, warm int64) { return us.measured, us.warm }

// Capped reports whether the request cap has been reached: the measured
// window ended at the last measured issue.
func (us *Users) Capped() bool { return us.capped }

// Window is the measured window, from the start of the run: from the
// warm-up's end to the last measured issue once the request cap has been
// reached (Capped), else to the duration once every user is done. Before
// either, it is the warm-up's end. (Unlike Arrivals's, the window under a
// duration may end after the last issue: users thinking past it.)
func (us *Users) Window() (start, end time.Duration) {
	switch {
	case us.capped:
		return us.warmup, us.end
	case us.active == 0:
		return us.warmup, max(us.duration, us.warmup)
	}
	return us.warmup, us.warmup
}

// Done reports whether every user is done: no request will be issued any
// more.
func (us *Users) Done() bool { return us.active == 0 }

// closedRate is the throughput a closed loop of sc cannot exceed, for the
// estimates of a run's length: min(users / (think + mean service),
// capacity), with the mean service time the workers' average (total
// workers / capacity). 0 if it cannot tell.
func closedRate(sc *scenarios.Scenario) float64 {
	capacity := sc.Capacity()
	if !(capacity > 0) || sc.Arrivals.Users < 1 {
		return 0
	}
	workers := 0
	for _, g := range sc.Servers {
		workers += g.Count * g.Concurrency
	}
	var think float64
	if d, err := thinkDist(sc.Arrivals.Think); err == nil {
		think = d.Mean()
	}
	return min(float64(sc.Arrivals.Users)/(think+float64(workers)/capacity), capacity)
}

// ExpectedRate is the arrival rate that ExpectedArrivals and ExpectedLength
// assume: the open loop's, or a closed loop's bound (users / (think + mean
// service), at most the capacity). The real engine measures its rig at it.
func ExpectedRate(sc *scenarios.Scenario) float64 {
	switch sc.Arrivals.Process {
	case "closed":
		return closedRate(sc)
	case "trace":
		// The trace's own mean rate (0 if it cannot be read: the run
		// will say why).
		if info, err := ScanTrace(sc); err == nil && info.Span > 0 {
			return float64(info.Requests-1) / info.Span.Seconds()
		}
		return 0
	}
	return sc.ArrivalRate()
}
