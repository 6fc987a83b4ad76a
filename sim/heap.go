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
	evFaultStart                   // fault a begins
	evFaultEnd                     // fault a ends
	evHealthTick                   // balancer a probes every server
	evProbeResult                  // balancer a learns server b's probe outcome (c = 1 if healthy)
	evEjectionEnd                  // balancer a's passive ejection of server b ends (c = ejection generation)
	evWarmupEnd                    // the measured window starts
)

// event is one scheduled happening. It is small and pointer-free so the heap
// is a flat slice the garbage collector never scans.
type event struct {
	at   time.Duration
	seq  uint64
	a, b int32
	c    uint32
	kind eventKind
}

func (e *event) before(f *event) bool {
	return e.at < f.at || (e.at == f.at && e.seq < f.seq)
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
}

const arity = 4

// push schedules an event. Scheduling in the past is a bug in the engine, not
// something to clamp: it panics.
func (q *eventQueue) push(at time.Duration, kind eventKind, a, b int32, c uint32) {
	if at < q.now {
		panic(fmt.Sprintf("sim: event %d scheduled at %v, before now %v", kind, at, q.now))
	}
	q.seq++
	e := event{at: at, seq: q.seq, a: a, b: b, c: c, kind: kind}
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

// nextSeq hands out a sequence number for something ordered with events but
// kept outside the heap (the next arrival).
func (q *eventQueue) nextSeq() uint64 {
	q.seq++
	return q.seq
}

func (q *eventQueue) len() int { return len(q.h) }

// top returns the earliest event without removing it; the queue must not be empty.
func (q *eventQueue) top() *event { return &q.h[0] }

// pop removes and returns the earliest event and advances the clock to it.
func (q *eventQueue) pop() event {
	h := q.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	i := 0
	for {
		first := arity*i + 1
		if first >= n {
			break
		}
		m := first
		end := first + arity
		if end > n {
			end = n
		}
		for c := first + 1; c < end; c++ {
			if h[c].before(&h[m]) {
				m = c
			}
		}
		if !h[m].before(&last) {
			break
		}
		h[i] = h[m]
		i = m
	}
	if n > 0 {
		h[i] = last
	}
	q.h = h
	q.now = top.at
	return top
}
