package sim

import (
	"fmt"
	"time"
)

// eventKind says what an event does when it fires.
type eventKind uint8

const (
	evServiceDone eventKind = iota // a worker of server b finished request a (attempt generation c)
	evReachServer                  // request a (generation c) arrives at server b after the network delay
	evResponse                     // the answer to request a (generation c) from server b reaches its balancer
	evTimeout                      // the attempt of request a with generation c times out
	evFault                        // step a of the fault schedule (model.FaultSchedule.Steps) is due
	evHealthTick                   // balancer a probes every server
	evProbeResult                  // balancer a learns server b's probe outcome (c = 1 if healthy)
	evEjectionEnd                  // balancer a's passive ejection of server b may be due to end
	evWarmupEnd                    // the measured window starts (a = 0), or ends (a = 1; a = 2: a closed loop's duration, closed.go)
	evProbeReach                   // load probe a (a slot in probes.go's pool) reaches its server
	evProbeAnswer                  // load probe a's answer reaches its balancer
	evIdle                         // balancer a learns that server b is idle (join-idle-queue)
	evUserSend                     // closed loop: user a's next request is due (closed.go)
	evMember                       // the membership schedule's next step is due (membership.go)
	evLoadRefresh                  // load information is snapshotted (loadinfo.go)
	evLoadVisible                  // balancer a's load snapshot becomes visible (loadinfo.go)
	evHedge                        // request a (generation b) may hedge now (hedge.go)
	evPSDone                       // processor-sharing server a's earliest job is done, if b is its generation (ps.go)
)

// event is one scheduled happening. It is 24 bytes and pointer-free, so the
// heap is a flat slice the garbage collector never scans and a sift moves
// little memory. The sequence number and the kind share one word, sequence
// in the high 56 bits, so comparing words compares sequence numbers.
type event struct {
	at      time.Duration
	seqKind uint64
	a, b    int32
}

func (e *event) kind() eventKind { return eventKind(e.seqKind) }
func (e *event) seq() uint64     { return e.seqKind >> 8 }

func (e *event) before(f *event) bool {
	return e.at < f.at || (e.at == f.at && e.seqKind < f.seqKind)
}

// eventQueue is a 4-ary min-heap ordered by (time, sequence number), typed so
// that push and pop neither allocate nor go through an interface
// (container/heap costs about twice as much and two allocations per cycle).
// Four children per node halve the depth of a binary heap, and the four
// children of a node share a cache line or two, so a pop, the hot operation,
// touches fewer lines.
type eventQueue struct {
	h   []event
	seq uint64
	now time.Duration
	// hole is set when the root has been popped but not yet removed: a push
	// that follows a pop (a server finishing one job and starting the next)
	// then drops its event into the root and sifts it down once, instead of
	// a sift-down to remove the root and a sift-up to insert.
	hole bool
}

const arity = 4

// push schedules an event. Scheduling in the past is a bug in the engine, not
// something to clamp: it panics.
func (q *eventQueue) push(at time.Duration, kind eventKind, a, b int32) {
	if at < q.now {
		panic(fmt.Sprintf("sim: event %d scheduled at %v, before now %v", kind, at, q.now))
	}
	q.seq++
	e := event{at: at, seqKind: q.seq<<8 | uint64(kind), a: a, b: b}
	if q.hole {
		q.hole = false
		q.siftDown(e)
		return
	}
	h := append(q.h, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / arity
		if !e.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
	q.h = h
}

// siftDown places e at the root and moves it down to where it belongs.
func (q *eventQueue) siftDown(e event) {
	h := q.h
	n := len(h)
	i := 0
	for {
		first := arity*i + 1
		if first >= n {
			break
		}
		m := first
		end := min(first+arity, n)
		for c := first + 1; c < end; c++ {
			if h[c].before(&h[m]) {
				m = c
			}
		}
		if !h[m].before(&e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}

// settle removes a popped root still in place.
func (q *eventQueue) settle() {
	if !q.hole {
		return
	}
	q.hole = false
	n := len(q.h) - 1
	last := q.h[n]
	q.h = q.h[:n]
	if n > 0 {
		q.siftDown(last)
	}
}

// nextSeq hands out a sequence number for something ordered with events but
// kept outside the heap (the next arrival).
func (q *eventQueue) nextSeq() uint64 {
	q.seq++
	return q.seq
}

func (q *eventQueue) len() int {
	if q.hole {
		return len(q.h) - 1
	}
	return len(q.h)
}

// top returns the earliest event without removing it; the queue must not be
// empty. With a hole at the root that is the least of the root's children,
// found without settling, so an arrival processed next can still fill the hole.
func (q *eventQueue) top() *event {
	if !q.hole {
		return &q.h[0]
	}
	h := q.h
	m := 1
	for c := 2; c < min(1+arity, len(h)); c++ {
		if h[c].before(&h[m]) {
			m = c
		}
	}
	return &h[m]
}

// pop removes and returns the earliest event and advances the clock to it.
func (q *eventQueue) pop() event {
	q.settle()
	top := q.h[0]
	q.hole = true
	q.now = top.at
	return top
}
