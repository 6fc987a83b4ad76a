package model_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// issued is one request a driven closed loop sent.
type issued struct {
	arr      traffic.Arrival
	from     time.Duration // when it was drawn: 0 for a first request, else the previous answer
	measured bool
}

// drive runs us as an engine would, in time order (ties: the order the
// requests were scheduled in), each request answered latency(u, k) after
// it was issued (k: the user's request number from 0), and returns what
// was issued, user by user.
func drive(t *testing.T, us *model.Users, latency func(u, k int) time.Duration) [][]issued {
	t.Helper()
	type pending struct {
		arr  traffic.Arrival
		from time.Duration
		seq  int
		send bool // a send; else an answer
		u    int
	}
	var q []pending
	seq := 0
	push := func(p pending) { p.seq = seq; seq++; q = append(q, p) }
	out := make([][]issued, us.Len())
	for u := range us.Len() {
		if arr, ok := us.Start(u); ok {
			push(pending{arr: arr, send: true, u: u})
		}
	}
	for steps := 0; len(q) > 0; steps++ {
		if steps > 1e7 {
			t.Fatal("the closed loop never ended")
		}
		m := 0
		for i := range q {
			if q[i].arr.At < q[m].arr.At || (q[i].arr.At == q[m].arr.At && q[i].seq < q[m].seq) {
				m = i
			}
		}
		p := q[m]
		q = append(q[:m], q[m+1:]...)
		if !p.send {
			if arr, ok := us.Next(p.u, p.arr.At); ok {
				push(pending{arr: arr, from: p.arr.At, send: true, u: p.u})
			}
			continue
		}
		measured, ok := us.Issue(p.u, p.arr)
		if !ok {
			continue
		}
		out[p.u] = append(out[p.u], issued{arr: p.arr, from: p.from, measured: measured})
		push(pending{arr: traffic.Arrival{At: p.arr.At + latency(p.u, len(out[p.u])-1)}, u: p.u})
	}
	if !us.Done() {
		t.Error("every request answered, yet Done is false")
	}
	return out
}

func instant(u, k int) time.Duration { return 0 }

func closedScenario(t *testing.T, arrivals, extra string) *scenarios.Scenario {
	t.Helper()
	return parse(t, "arrivals: {process: closed, "+arrivals+"}\n", extra)
}

func newUsers(t *testing.T, sc *scenarios.Scenario) *model.Users {
	t.Helper()
	us, err := model.NewUsers(sc)
	if err != nil {
		t.Fatal(err)
	}
	return us
}

func TestUsersStoppingRule(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name             string
		arrivals, extra  string
		issued           int
		measured, warm   int64
		last             time.Duration // the last issue
		winStart, winEnd time.Duration
	}{
		// 3 users, 1ms think, answered at once: three requests at each ms.
		{"requests", "users: 3, think: {dist: constant, value: 1ms}", "requests: 10\n",
			10, 10, 0, 4 * ms, 0, 4 * ms},
		{"requests after warm-up", "users: 3, think: {dist: constant, value: 1ms}", "requests: 10\nwarmup: 2ms\n",
			13, 10, 3, 5 * ms, 2 * ms, 5 * ms},
		// A request due at the duration is not issued; the window runs to it.
		{"duration", "users: 3, think: {dist: constant, value: 1ms}", "duration: 5ms\n",
			12, 12, 0, 4 * ms, 0, 5 * ms},
		{"duration before the cap", "users: 3, think: {dist: constant, value: 1ms}", "duration: 5ms\nrequests: 100\n",
			12, 12, 0, 4 * ms, 0, 5 * ms},
		{"cap before the duration", "users: 3, think: {dist: constant, value: 1ms}", "duration: 5ms\nrequests: 4\n",
			4, 4, 0, 2 * ms, 0, 2 * ms},
		// Every first request is due after the duration: none is issued.
		{"nothing", "users: 3, think: {dist: constant, value: 10ms}", "duration: 5ms\n",
			0, 0, 0, 0, 0, 5 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us := newUsers(t, closedScenario(t, tc.arrivals, tc.extra))
			out := drive(t, us, instant)
			n, last := 0, time.Duration(0)
			for _, reqs := range out {
				n += len(reqs)
				for _, r := range reqs {
					last = max(last, r.arr.At)
				}
			}
			measured, warm := us.Counts()
			start, end := us.Window()
			if n != tc.issued || measured != tc.measured || warm != tc.warm || last != tc.last || start != tc.winStart || end != tc.winEnd {
				t.Errorf("issued %d (measured %d, warm-up %d), last at %v, window [%v, %v]; want %d (%d, %d), %v, [%v, %v]",
					n, measured, warm, last, start, end, tc.issued, tc.measured, tc.warm, tc.last, tc.winStart, tc.winEnd)
			}
		})
	}
}

// A user waits for its answer, whatever it takes, and thinks after it.
func TestUsersWaitForTheAnswerThenThink(t *testing.T) {
	us := newUsers(t, closedScenario(t, "users: 2, think: {dist: constant, value: 3ms}", "requests: 20\n"))
	out := drive(t, us, func(u, k int) time.Duration { return time.Duration(u+1) * 7 * time.Millisecond })
	for u, reqs := range out {
		for k := 1; k < len(reqs); k++ {
			want := reqs[k-1].arr.At + time.Duration(u+1)*7*time.Millisecond + 3*time.Millisecond
			if reqs[k].arr.At != want || reqs[k].from != want-3*time.Millisecond {
				t.Fatalf("user %d request %d at %v (drawn at %v), want %v", u, k, reqs[k].arr.At, reqs[k].from, want)
			}
		}
	}
	// User 0 runs at 10ms a cycle, user 1 at 17ms.
	if len(out[0]) <= len(out[1]) {
		t.Errorf("the faster user sent %d requests, the slower %d", len(out[0]), len(out[1]))
	}
}

// Common random numbers: user u's k-th request has the same think time,
// job size, balancer and class whatever the others do, so under any
// algorithm's latencies.
func TestUsersCommonRandomNumbers(t *testing.T) {
	const arr = "users: 20, think: {dist: exponential, mean: 5ms}"
	const extra = "requests: 4000\nbalancers: 3\nclasses:\n  - {name: a, weight: 3}\n  - {name: b, weight: 1, size: 4}\n"
	fast := drive(t, newUsers(t, closedScenario(t, arr, extra)), instant)
	slow := drive(t, newUsers(t, closedScenario(t, arr, extra)), func(u, k int) time.Duration {
		return time.Duration((u*7+k*13)%23) * time.Millisecond // answers in a very different order
	})
	seen := map[int]bool{}
	compared := 0
	for u := range fast {
		n := min(len(fast[u]), len(slow[u]))
		if n < 50 {
			t.Fatalf("user %d sent only %d requests in one of the runs", u, n)
		}
		for k := range n {
			a, b := fast[u][k], slow[u][k]
			if a.arr.At-a.from != b.arr.At-b.from || a.arr.U != b.arr.U || a.arr.Balancer != b.arr.Balancer || a.arr.Class != b.arr.Class {
				t.Fatalf("user %d request %d: think %v U %v bal %d class %d, and %v %v %d %d under other latencies",
					u, k, a.arr.At-a.from, a.arr.U, a.arr.Balancer, a.arr.Class, b.arr.At-b.from, b.arr.U, b.arr.Balancer, b.arr.Class)
			}
			if a.arr.Client != u || a.arr.Key != traffic.ClientKey(u) {
				t.Fatalf("user %d's request is from client %d (key %x)", u, a.arr.Client, a.arr.Key)
			}
			seen[a.arr.Balancer] = true
			compared++
		}
	}
	if len(seen) != 3 {
		t.Errorf("balancers drawn: %v, want 0, 1 and 2", seen)
	}
	// Distinct users draw distinct streams.
	if fast[0][0].arr.U == fast[1][0].arr.U {
		t.Error("users 0 and 1 drew the same first quantile")
	}
	t.Logf("%d requests compared", compared)
}

// The classes are drawn by weight (3:1 here): the fraction of class b is a
// binomial proportion, checked within 4 standard errors.
func TestUsersClassWeights(t *testing.T) {
	us := newUsers(t, closedScenario(t, "users: 10, think: {dist: exponential, mean: 1ms}",
		"requests: 40000\nclasses:\n  - {name: a, weight: 3}\n  - {name: b, weight: 1}\n"))
	var n, b float64
	for _, reqs := range drive(t, us, instant) {
		for _, r := range reqs {
			n++
			b += float64(r.arr.Class)
		}
	}
	p, want := b/n, 0.25
	se := math.Sqrt(want * (1 - want) / n)
	if math.Abs(p-want) > 4*se {
		t.Errorf("class b fraction %.4f, want %.4f ± %.4f", p, want, 4*se)
	}
}

// Each user's first request waits one think draw, so the users do not all
// arrive at t = 0 (unless the think time is constant 0s).
func TestUsersFirstRequestStaggered(t *testing.T) {
	const n = 200
	us := newUsers(t, closedScenario(t, "users: 200, think: {dist: exponential, mean: 100ms}", "requests: 1000\n"))
	var sum float64
	at := map[time.Duration]bool{}
	for u := range n {
		arr, ok := us.Start(u)
		if !ok || arr.At <= 0 {
			t.Fatalf("user %d: first request at %v (ok %v)", u, arr.At, ok)
		}
		at[arr.At] = true
		sum += arr.At.Seconds()
	}
	if len(at) != n {
		t.Errorf("%d distinct first times among %d users", len(at), n)
	}
	// Exponential: the mean of n draws has SE mean/sqrt(n).
	mean, se := sum/n, 0.1/math.Sqrt(n)
	if math.Abs(mean-0.1) > 4*se {
		t.Errorf("first requests at %.4fs on average, want the think mean 0.1s ± %.4f", mean, 4*se)
	}

	us = newUsers(t, closedScenario(t, "users: 5", "requests: 10\n")) // think defaults to constant 0s
	for u := range 5 {
		if arr, ok := us.Start(u); !ok || arr.At != 0 {
			t.Errorf("no think time: user %d's first request at %v (ok %v), want 0", u, arr.At, ok)
		}
	}
}

// Measured requests are those issued at or after the warm-up; Counts and
// Measured agree with what Issue said.
func TestUsersMeasuredCounting(t *testing.T) {
	us := newUsers(t, closedScenario(t, "users: 8, think: {dist: exponential, mean: 2ms}", "requests: 500\nwarmup: 30ms\n"))
	out := drive(t, us, func(u, k int) time.Duration { return time.Duration(u) * time.Millisecond })
	var measured, warm int64
	for _, reqs := range out {
		for _, r := range reqs {
			if r.measured != us.Measured(r.arr) || r.measured != (r.arr.At >= 30*time.Millisecond) {
				t.Fatalf("request at %v: Issue said measured %v, Measured %v", r.arr.At, r.measured, us.Measured(r.arr))
			}
			if r.measured {
				measured++
			} else {
				warm++
			}
		}
	}
	gotM, gotW := us.Counts()
	if measured != 500 || gotM != measured || gotW != warm || warm == 0 {
		t.Errorf("measured %d (Counts %d), warm-up %d (Counts %d); want 500 measured and some warm-up", measured, gotM, warm, gotW)
	}
}

func TestUsersRefusals(t *testing.T) {
	if _, err := model.NewUsers(parse(t, constant1k, "requests: 10\n")); err == nil {
		t.Error("NewUsers accepted an open loop")
	}
	sc := closedScenario(t, "users: 2", "requests: 10\n")
	if _, err := model.NewArrivals(sc); err == nil || !strings.Contains(err.Error(), "NewUsers") {
		t.Errorf("NewArrivals on a closed loop: %v, want a refusal naming NewUsers", err)
	}
	sc.Requests = 0
	if _, err := model.NewUsers(sc); err == nil {
		t.Error("NewUsers accepted a loop with neither requests nor duration")
	}
	if !model.Supports(scenarios.FeatureClosed) || !model.Supports(scenarios.FeatureTrace) {
		t.Error("closed loops and traces: want supported by both engines")
	}
	if err := sc.Unsupported("sim", model.Supports); err != nil {
		t.Errorf("the engines' check refuses a closed loop: %v", err)
	}
}

// A closed loop's expected length comes from its throughput bound, so a
// timeline sized by it does not get a window per millisecond.
func TestClosedExpectedLength(t *testing.T) {
	// 16 users, 40ms think, 10ms service on 4 servers: X <= 16/50ms = 320/s.
	sc := parse(t, "arrivals: {process: closed, users: 16, think: {dist: exponential, mean: 40ms}}\n"+
		"servers:\n  - {name: web, count: 4, service: {dist: exponential, mean: 10ms}}\n", "requests: 3200\nwarmup: 1s\n")
	if got, want := model.ExpectedLength(sc), 11*time.Second; got != want {
		t.Errorf("ExpectedLength %v, want %v", got, want)
	}
	if got, want := model.ExpectedArrivals(sc), int64(3200+320); got != want {
		t.Errorf("ExpectedArrivals %d, want %d", got, want)
	}
}
