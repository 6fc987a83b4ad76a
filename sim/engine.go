package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// attempt states at the server.
const (
	atInFlight  uint8 = iota // on the wire to the server
	atQueued                 // waiting for a worker
	atInService              // being served
	atAnswered               // the answer is on its way back
)

// attempt is one try of a request at one server. It lives until its answer
// has reached the balancer, even when the balancer gave up on it (orphan).
type attempt struct {
	req     int32
	server  int32
	gen     uint32 // bumped when the slot is freed; events carry it to spot stale ones
	state   uint8
	result  model.Outcome
	orphan  bool // the balancer timed out or cancelled it; the answer is to be dropped
	waited  bool
	hedge   bool          // a hedged attempt (hedge.go)
	class   uint16        // the request's class (copied, as u)
	u       float64       // the job's service quantile (copied: the request may be gone)
	sized   bool          // a traced job: its size is size, not drawn by u (copied, as u)
	size    time.Duration // measured on a server whose mean is ref (0: unscaled)
	ref     time.Duration
	sent    time.Duration
	reached time.Duration
}

// request is one arrival at the balancer tier, across its attempts.
type request struct {
	arrival  time.Duration
	key      uint64
	client   int32
	u        float64
	bal      int32
	tries    int32
	class    uint16
	measured bool
	sized    bool // a traced job of size size on a server of mean ref (serviceTime)
	size     time.Duration
	ref      time.Duration

	// Hedging and retry budgets (hedge.go). gen is bumped when the slot is
	// freed, so a hedge timer can tell its request from a later one; tried
	// and atts keep their storage across requests in the slot.
	gen      uint32
	inflight int32   // attempts the balancer still waits for
	tried    []int32 // servers tried, when hedging
	atts     []int32 // attempts in flight, when hedging
	tally    model.Tries
}

// server is one simulated server.
type server struct {
	conc       int
	queueLimit int
	dist       dist.Dist
	busy       int
	queue      ring
	crashed    bool    // a crash fault is in force (model.FaultSchedule counts them)
	slow       float64 // product of active slowdown factors
	meanNS     float64 // the mean of dist, in ns (a traced job's scale)
	errP       float64 // chance an arrival is answered 500
	draining   bool    // it left the pool and holds held attempts (membership.go)
	off        bool    // not listening: not yet joined, or drained (membership.go)
	held       int32

	// busy worker-time integral, in worker-nanoseconds
	busyInt    int64
	lastChange time.Duration
	busyStart  int64 // integral at the start of the measured window
	busyEnd    int64 // ... and at its end

	ps *psServer // processor sharing's state (ps.go); nil for FIFO
}

// balancerState is one balancer instance and its view of server health.
type balancerState struct {
	b      algorithms.Balancer
	view   []algorithms.Backend
	health *model.Health

	prober algorithms.Prober      // b, if it is one (probes.go)
	idler  algorithms.IdleTracker // b, if it is one

	hedge  *model.HedgeDelay // nil without hedging
	budget *model.Budget     // nil without a retry budget
}

// engine simulates one algorithm on one scenario.
type engine struct {
	sc      *scenarios.Scenario
	q       eventQueue
	servers []server
	bals    []balancerState
	faults  *model.FaultSchedule
	steps   []model.FaultStep
	members *model.Membership // nil: every server in the pool throughout (membership.go)
	// memberAt is the time of the membership step on the event queue,
	// while memberPending.
	memberAt      time.Duration
	memberPending bool

	attempts   pool[attempt]
	reqs       pool[request]
	live       int // requests not yet finished
	maxRetries int32
	timeout    time.Duration
	maxHedges  int32 // 0: no hedging
	cancel     bool  // cancelled and timed-out attempts leave their server (cancelAttempt)

	net      dist.Dist
	netConst bool
	netDelay time.Duration // when netConst
	netRng   *rand.Rand
	faultRng *rand.Rand
	sig      *signals  // probes and idle announcements; nil unless used (probes.go)
	load     *loadFeed // load information other than the balancers' own live counts; nil unless used (loadinfo.go)

	arrivals    *model.Arrivals // open loops; nil for a closed one
	cl          *closedLoop     // a closed loop's users (closed.go); nil for an open one
	next        traffic.Arrival
	nextSeq     uint64
	arriving    bool
	windowStart time.Duration
	windowEnd   time.Duration
	// windowPending: the window's end is an event still to come (a
	// duration past the last arrival).
	windowPending bool

	classes []model.ClassService // by class; nil without classes
	rec     *model.Recorder      // the figures
	alg     int                  // the algorithm's index in the scenario

	progress func(int64)
	sinceRep int64

	// failed is a strategy's failure (a Pick error other than
	// algorithms.ErrNoBackend): it ends the run.
	failed error

	names []string
}

// nowMS is the simulated time in ms, as events give it.
func (e *engine) nowMS() float64 { return float64(e.q.now) / 1e6 }

func newEngine(sc *scenarios.Scenario, algIndex int, progress func(int64)) (*engine, error) {
	list := sc.ServerList()
	if len(list) == 0 {
		return nil, errors.New("sim: scenario has no servers")
	}
	classes, err := model.ClassServices(sc)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	e := &engine{
		sc:         sc,
		servers:    make([]server, len(list)),
		faults:     model.NewFaultSchedule(sc),
		members:    model.NewMembership(sc),
		maxRetries: int32(sc.Retries),
		timeout:    sc.Timeout,
		cancel:     sc.Cancel,
		rec:        model.NewRecorder(sc),
		classes:    classes,
		alg:        algIndex,
		progress:   progress,
		netRng:     rand.New(rand.NewPCG(sc.Seed, traffic.StreamID("network"))),
		faultRng:   rand.New(rand.NewPCG(sc.Seed, traffic.StreamID("faults"))),
	}
	e.names = make([]string, len(list))
	for i, s := range list {
		e.names[i] = s.Name
		d, err := dist.New(s.Service)
		if err != nil {
			return nil, fmt.Errorf("sim: server %s: %w", s.Name, err)
		}
		e.servers[i] = server{conc: s.Concurrency, queueLimit: s.QueueLimit, dist: d, slow: 1, meanNS: d.Mean() * 1e9}
		if s.PS() {
			e.servers[i].ps = newPSServer(s.Concurrency)
		}
	}
	nd, err := dist.New(sc.Network)
	if err != nil {
		return nil, fmt.Errorf("sim: network: %w", err)
	}
	e.net = nd
	if sc.Network.Dist == "constant" {
		e.netConst, e.netDelay = true, sc.Network.Value
	}

	alg := sc.Algorithms[algIndex]
	nb := sc.Balancers
	if nb < 1 {
		nb = 1
	}
	view := make([]algorithms.Backend, len(list))
	for i, s := range list {
		view[i] = algorithms.Backend{ID: i, Name: s.Name, Weight: s.Weight, Healthy: true}
	}
	rules := healthRules(sc.HealthCheck)
	e.bals = make([]balancerState, nb)
	for j := range e.bals {
		src := rand.NewPCG(sc.Seed, traffic.StreamID(fmt.Sprintf("alg/%s/%d", alg.Label, j)))
		b, err := algorithms.New(alg.Name, alg.Params, src)
		if err != nil {
			e.close() // the instances built so far
			return nil, fmt.Errorf("sim: algorithm %s: %w", alg.Label, err)
		}
		if q, ok := b.(algorithms.Sequential); ok {
			q.SetSequential() // this engine's goroutine makes every call
		}
		bs := balancerState{
			b:      b,
			view:   append([]algorithms.Backend(nil), view...),
			health: model.NewHealth(len(list), rules),
			hedge:  model.NewHedgeDelay(sc.Hedge),
			budget: model.NewBudget(sc.RetryBudget),
		}
		if bs.hedge != nil {
			e.maxHedges = int32(sc.Hedge.Max)
		}
		b.Update(0, e.listed(bs.view))
		e.bals[j] = bs
	}

	e.initSignals()
	if e.members != nil {
		e.startMembership()
	}
	e.initLoad()

	e.steps = e.faults.Steps()
	for k, st := range e.steps {
		e.q.push(st.At, evFault, int32(k), 0)
	}
	if a := sc.HealthCheck.Active; a != nil {
		for j := range e.bals {
			e.q.push(0, evHealthTick, int32(j), 0)
		}
	}
	e.windowStart = sc.Warmup
	if sc.Warmup > 0 {
		e.q.push(sc.Warmup, evWarmupEnd, 0, 0)
	}

	if sc.Arrivals.Process == "closed" {
		if err := e.startUsers(); err != nil {
			e.close()
			return nil, fmt.Errorf("sim: %w", err)
		}
		return e, nil
	}
	e.arrivals, err = model.NewArrivals(sc)
	if err != nil {
		e.close()
		return nil, fmt.Errorf("sim: %w", err)
	}
	e.arriving = true
	e.advanceArrival()
	return e, nil
}

// advanceArrival draws the next arrival, or closes the arrival stream when the
// scenario's stopping rule says so.
func (e *engine) advanceArrival() {
	if e.arrivals.Next(&e.next) {
		e.nextSeq = e.q.nextSeq()
		return
	}
	e.arriving = false
	if err := e.arrivals.Err(); err != nil && e.failed == nil {
		e.failed = fmt.Errorf("sim: %w", err)
	}
	_, end := e.arrivals.Window()
	e.windowEnd = end
	if end <= e.q.now {
		e.closeWindow()
	} else {
		e.q.push(end, evWarmupEnd, 1, 0) // a = 1: the window's end
		e.windowPending = true
	}
}

// closeWindow reads the servers' busy time at the window's end.
func (e *engine) closeWindow() {
	e.windowPending = false
	for i := range e.servers {
		e.flushBusy(i)
		e.servers[i].busyEnd = e.servers[i].busyInt
	}
}

// run processes events until every arrival has been answered (a closed
// loop: until every user is done and nothing is in flight).
func (e *engine) run(ctx context.Context) error {
	var n int
	for {
		if n++; n&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if e.failed != nil {
			return e.failed
		}
		// The next arrival goes first if it is earlier than the earliest
		// event, or at the same time with a lower sequence number.
		if e.arriving {
			first := e.q.len() == 0
			if !first {
				top := e.q.top()
				first = e.next.At < top.at || (e.next.At == top.at && e.nextSeq < top.seq())
			}
			if first {
				e.q.now = e.next.At
				e.arrive()
				continue
			}
		}
		if !e.arriving && e.live == 0 {
			if e.windowPending {
				// The last answer came before the duration ended the
				// window: the servers are idle from here to its end.
				e.q.now = e.windowEnd
				e.closeWindow()
			}
			break
		}
		if e.q.len() == 0 {
			return errors.New("sim: event queue ran dry with requests in flight (engine bug)")
		}
		ev := e.q.pop()
		e.dispatch(&ev)
	}
	if e.progress != nil && e.sinceRep > 0 {
		e.progress(e.sinceRep)
	}
	return nil
}

func (e *engine) dispatch(ev *event) {
	gen := uint32(ev.b) // for the attempt events
	switch ev.kind() {
	case evServiceDone:
		e.serviceDone(ev.a, gen)
	case evReachServer:
		if a := &e.attempts.items[ev.a]; a.gen == gen {
			e.reachServer(ev.a)
		}
	case evResponse:
		if a := &e.attempts.items[ev.a]; a.gen == gen {
			e.response(ev.a)
		}
	case evTimeout:
		e.timeoutFired(ev.a, gen)
	case evFault:
		e.fault(int(ev.a))
	case evHealthTick:
		e.healthTick(int(ev.a))
	case evProbeResult:
		e.probeResult(int(ev.a), int(ev.b>>1), ev.b&1 == 1)
	case evEjectionEnd:
		e.ejectionEnd(int(ev.a), int(ev.b))
	case evProbeReach:
		e.probeReach(ev.a)
	case evProbeAnswer:
		e.probeAnswer(ev.a)
	case evIdle:
		e.idleArrive(int(ev.a), int(ev.b))
	case evWarmupEnd:
		if ev.a == 0 {
			for i := range e.servers {
				e.flushBusy(i)
				e.servers[i].busyStart = e.servers[i].busyInt
			}
		} else if ev.a == 1 {
			e.closeWindow()
		} else {
			e.closedWindowEnd()
		}
	case evUserSend:
		e.userSend(ev.a)
	case evMember:
		e.memberStep()
	case evLoadRefresh:
		e.loadRefresh()
	case evLoadVisible:
		e.loadVisible(int(ev.a))
	case evHedge:
		e.hedgeFired(ev.a, gen)
	case evPSDone:
		e.psDone(int(ev.a), gen)
	}
}

func (e *engine) arrive() {
	arr := &e.next // read before advanceArrival overwrites it
	measured := e.arrivals.Measured(*arr)
	if e.sinceRep++; e.sinceRep == 1<<14 && e.progress != nil {
		e.progress(e.sinceRep)
		e.sinceRep = 0
	}
	e.rec.Arrival(arr.At, measured)
	ri := e.reqs.alloc()
	// Field by field rather than reset(request{...}): the hottest store of
	// a run, and a composite literal is built on the stack and then copied.
	r := &e.reqs.items[ri]
	r.arrival, r.key, r.client, r.u, r.bal, r.class, r.measured = arr.At, arr.Key, int32(arr.Client), arr.U, int32(arr.Balancer), uint16(arr.Class), measured
	r.sized, r.size, r.ref = arr.Sized, arr.Size, arr.Ref
	r.tries, r.inflight, r.tally = 0, 0, model.Tries{}
	r.tried, r.atts = r.tried[:0], r.atts[:0]
	e.live++
	e.send(ri)
	e.advanceArrival()
}

// send makes one attempt of request ri: the balancer picks, and the request
// leaves for the server.
func (e *engine) send(ri int32) {
	r := &e.reqs.items[ri]
	now := e.q.now
	bs := &e.bals[r.bal]
	e.loadBeforePick(int(r.bal))
	id, err := bs.b.Pick(algorithms.Request{Now: now, Key: r.key})
	if err != nil {
		if e.failed == nil && !errors.Is(err, algorithms.ErrNoBackend) {
			e.failed = fmt.Errorf("sim: algorithm %s failed at %v: %w", e.sc.Algorithms[e.alg].Label, now, err)
		}
		e.finish(ri, model.NoBackend, false)
		return
	}
	first := r.tries == 0
	if !first {
		r.tally.RetriesSent++
	} else if bs.budget != nil {
		bs.budget.Deposit(now)
	}
	e.launch(ri, id, false)
	if first && e.maxHedges > 0 {
		e.armHedge(ri)
	}
}

// launch sends an attempt of request ri to server id, which the balancer
// picked: a first attempt, a retry, or a hedge.
func (e *engine) launch(ri int32, id int, hedge bool) {
	r := &e.reqs.items[ri]
	now := e.q.now
	bs := &e.bals[r.bal]
	r.tries++
	r.inflight++
	bs.b.Started(id, now)
	if e.load != nil {
		e.loadOwn(int(r.bal), id, 1)
	}
	if bs.prober != nil {
		e.sendProbes(int(r.bal), bs.prober)
	}
	ai := e.attempts.alloc()
	a := &e.attempts.items[ai]
	a.req, a.server, a.state, a.result, a.orphan, a.waited = ri, int32(id), atInFlight, model.OK, false, false
	a.u, a.class, a.sent, a.hedge = r.u, r.class, now, hedge
	a.sized, a.size, a.ref = r.sized, r.size, r.ref
	if hedge {
		a.u = model.HedgeQuantile(r.u, r.tally.HedgesSent)
	}
	if e.maxHedges > 0 {
		r.tried = append(r.tried, int32(id))
		r.atts = append(r.atts, ai)
	}
	if r.measured {
		e.rec.Attempt(id)
		if r.tries == 1 {
			e.rec.Affinity(int(r.client), id)
		}
	}
	if r.tries == 1 {
		e.rec.Routed(r.arrival, id)
	}
	if e.timeout > 0 {
		e.q.push(now+e.timeout, evTimeout, ai, int32(a.gen))
	}
	if d := e.netSample(); d > 0 {
		e.q.push(now+d, evReachServer, ai, int32(a.gen))
	} else {
		e.reachServer(ai)
	}
}

func (e *engine) netSample() time.Duration {
	if e.netConst { // inlined: a constant network costs no call
		return e.netDelay
	}
	return e.netDraw()
}

func (e *engine) netDraw() time.Duration { return e.net.Quantile(e.netRng.Float64()) }

func (e *engine) reachServer(ai int32) {
	a := &e.attempts.items[ai]
	if a.orphan && e.cancel {
		e.freeAttempt(ai) // cancelled on the way: the server never sees it
		return
	}
	s := &e.servers[a.server]
	a.reached = e.q.now
	switch {
	case s.crashed || s.off:
		e.answer(ai, model.Failed)
	case s.errP > 0 && e.faultRng.Float64() < s.errP:
		e.answer(ai, model.Failed)
	case s.ps != nil:
		e.psArrive(ai)
	case s.busy < s.conc:
		e.startService(ai)
	case s.queueLimit > 0 && s.queue.len() >= s.queueLimit:
		e.answer(ai, model.Rejected)
	default:
		a.state = atQueued
		s.queue.push(ai)
	}
	e.loadServerChanged()
}

func (e *engine) startService(ai int32) {
	a := &e.attempts.items[ai]
	si := a.server
	s := &e.servers[si]
	now := e.q.now
	e.flushBusy(int(si))
	s.busy++
	a.state = atInService
	a.waited = now > a.reached
	d := e.serviceTime(s, a)
	if s.slow != 1 {
		d = time.Duration(math.Round(float64(d) * s.slow))
	}
	e.q.push(now+d, evServiceDone, ai, int32(a.gen))
}

// serviceTime is attempt a's service time at server s, before slowdowns:
// a traced job's size (scaled from its group's mean to s's), or the
// server's draw for the job's quantile (times its class's size, or from
// its class's own distribution).
func (e *engine) serviceTime(s *server, a *attempt) time.Duration {
	if a.sized {
		if a.ref <= 0 {
			return a.size
		}
		return time.Duration(math.Round(float64(a.size) * s.meanNS / float64(a.ref)))
	}
	if e.classes == nil {
		return s.dist.Quantile(a.u)
	}
	return e.classes[a.class].Service(s.dist, a.u)
}

func (e *engine) serviceDone(ai int32, gen uint32) {
	a := &e.attempts.items[ai]
	if a.gen != gen || a.state != atInService {
		return // dropped by a crash
	}
	si := int(a.server)
	s := &e.servers[si]
	e.flushBusy(si)
	s.busy--
	reached := a.reached
	e.answer(ai, model.OK)
	if s.queue.len() > 0 {
		e.startService(s.queue.pop())
	}
	e.loadServerChanged()
	if e.sig != nil {
		e.served(si, e.q.now-reached)
	}
}

// answer sends the server's verdict on attempt ai back to its balancer.
func (e *engine) answer(ai int32, out model.Outcome) {
	a := &e.attempts.items[ai]
	a.state, a.result = atAnswered, out
	e.leftServer(int(a.server))
	if d := e.netSample(); d > 0 {
		e.q.push(e.q.now+d, evResponse, ai, int32(a.gen))
	} else {
		e.response(ai)
	}
}

// response delivers attempt ai's answer to its balancer.
func (e *engine) response(ai int32) {
	a := &e.attempts.items[ai]
	if a.orphan {
		e.freeAttempt(ai)
		return
	}
	ri, id, out := a.req, int(a.server), a.result
	now := e.q.now
	lat := now - a.sent
	r := &e.reqs.items[ri]
	bs := &e.bals[r.bal]
	ok := out == model.OK
	bs.b.Finished(id, now, lat, ok)
	if e.load != nil {
		e.loadOwn(int(r.bal), id, -1)
	}
	e.passive(int(r.bal), id, ok)
	if r.measured {
		e.rec.Answer(id, ok, lat)
	}
	waited, hedge := a.waited, a.hedge
	e.freeAttempt(ai)
	r.inflight--
	if e.maxHedges > 0 {
		e.attemptOver(ri, ai)
		if ok {
			bs.hedge.Observe(lat)
		}
	}
	if ok {
		if r.inflight > 0 {
			e.abandonOthers(ri)
		}
		r.tally.HedgeWon = hedge
		e.finish(ri, model.OK, waited)
		return
	}
	if r.inflight > 0 {
		return // a hedge is still out: its answer may yet do
	}
	e.retryOrFinish(ri, out)
}

func (e *engine) timeoutFired(ai int32, gen uint32) {
	a := &e.attempts.items[ai]
	if a.gen != gen || a.orphan {
		return
	}
	a.orphan = true
	ri, id := a.req, int(a.server)
	now := e.q.now
	r := &e.reqs.items[ri]
	bs := &e.bals[r.bal]
	bs.b.Finished(id, now, now-a.sent, false)
	if e.load != nil {
		e.loadOwn(int(r.bal), id, -1)
	}
	e.passive(int(r.bal), id, false)
	if r.measured {
		e.rec.Answer(id, false, 0)
	}
	r.inflight--
	if e.maxHedges > 0 {
		e.attemptOver(ri, ai)
	}
	if e.cancel {
		e.cancelAttempt(ai)
	}
	if r.inflight > 0 {
		return // a hedge is still out
	}
	e.retryOrFinish(ri, model.Timeout)
}

func (e *engine) retryOrFinish(ri int32, out model.Outcome) {
	r := &e.reqs.items[ri]
	if r.tries-int32(r.tally.HedgesSent) <= e.maxRetries {
		if b := e.bals[r.bal].budget; b != nil && !b.TryWithdraw(e.q.now) {
			r.tally.RetriesDenied++
			e.finish(ri, out, false)
			return
		}
		e.send(ri)
		return
	}
	e.finish(ri, out, false)
}

// finish records request ri's fate (waited: its last attempt queued) and
// frees it.
func (e *engine) finish(ri int32, out model.Outcome, waited bool) {
	r := &e.reqs.items[ri]
	e.rec.Done(r.arrival, r.measured, out, e.q.now-r.arrival, waited)
	if e.classes != nil {
		e.rec.ClassDone(int(r.class), r.measured, out, e.q.now-r.arrival)
	}
	e.rec.Tries(r.measured, r.tally)
	e.live--
	u := r.client
	r.gen++
	e.reqs.release(ri)
	if e.cl != nil {
		e.userAnswered(u)
	}
}

func (e *engine) flushBusy(si int) {
	s := &e.servers[si]
	now := e.q.now
	s.busyInt += int64(s.busy) * int64(now-s.lastChange)
	s.lastChange = now
}

func (e *engine) freeAttempt(ai int32) {
	e.attempts.items[ai].gen++
	e.attempts.release(ai)
}

// pool is a slice of reusable slots addressed by index, so that events can
// name them with an int32 and nothing is allocated per request once the pool
// has grown to the number in flight.
type pool[T any] struct {
	items []T
	free  []int32
}

func (p *pool[T]) alloc() int32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		return i
	}
	var zero T
	p.items = append(p.items, zero)
	return int32(len(p.items) - 1)
}

func (p *pool[T]) release(i int32) { p.free = append(p.free, i) }

// ring is a growable FIFO of attempt indices. Its size is a power of two so
// positions wrap with a mask, not a division.
type ring struct {
	buf        []int32
	head, size int
}

func (r *ring) len() int { return r.size }

func (r *ring) push(v int32) {
	if r.size == len(r.buf) {
		n := max(2*len(r.buf), 16)
		buf := make([]int32, n)
		mask := len(r.buf) - 1
		for i := 0; i < r.size; i++ {
			buf[i] = r.buf[(r.head+i)&mask]
		}
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.size)&(len(r.buf)-1)] = v
	r.size++
}

// remove takes v out of the queue, keeping the others' order; false if it
// is not there.
func (r *ring) remove(v int32) bool {
	mask := len(r.buf) - 1
	for i := 0; i < r.size; i++ {
		if r.buf[(r.head+i)&mask] == v {
			for j := i; j < r.size-1; j++ {
				r.buf[(r.head+j)&mask] = r.buf[(r.head+j+1)&mask]
			}
			r.size--
			return true
		}
	}
	return false
}

func (r *ring) pop() int32 {
	v := r.buf[r.head]
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.size--
	return v
}
