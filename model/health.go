package model

import "time"

// HealthRules are the health checks one balancer applies (DESIGN.md §3):
// active probes with rise/fall hysteresis, and passive ejection.
type HealthRules struct {
	// Rise consecutive successful probes bring a down server back; Fall
	// consecutive failed ones take an up server down. Both >= 1 when
	// active checks are on; both 0 when they are off.
	Rise, Fall int
	// ConsecutiveFailures failed attempts in a row eject a server for
	// Ejection; 0 turns passive ejection off.
	ConsecutiveFailures int
	Ejection            time.Duration
}

// Health is one balancer's verdict on each of n servers: a server is
// eligible (Healthy) while its active checks hold it up and no passive
// ejection holds it out. Every server starts healthy. The engine feeds it
// probe verdicts (Probe), attempts' outcomes (Attempt) and the ends of
// ejections (EjectionEnd, at the time Attempt asked for), and tells its
// balancer whenever a method reports a change.
type Health struct {
	rules   HealthRules
	up      []bool  // the active checks' verdict
	rise    []int32 // consecutive successful probes while down
	fall    []int32 // consecutive failed probes while up
	consec  []int32 // consecutive failed attempts (passive)
	ejected []bool
	until   []time.Duration // when an ejection in force ends
}

// NewHealth is the verdict on n servers, all healthy, under rules.
func NewHealth(n int, rules HealthRules) *Health {
	h := &Health{
		rules:   rules,
		up:      make([]bool, n),
		rise:    make([]int32, n),
		fall:    make([]int32, n),
		consec:  make([]int32, n),
		ejected: make([]bool, n),
		until:   make([]time.Duration, n),
	}
	for i := range h.up {
		h.up[i] = true
	}
	return h
}

// Healthy reports whether server i is eligible.
func (h *Health) Healthy(i int) bool { return h.up[i] && !h.ejected[i] }

// Up reports server i's active-check state, whatever passive ejection
// says: false once Fall probes in a row have failed, until Rise succeed.
func (h *Health) Up(i int) bool { return h.up[i] }

// Passive reports whether attempts' outcomes matter (passive ejection is on).
func (h *Health) Passive() bool { return h.rules.ConsecutiveFailures > 0 }

// Probe applies one active probe's verdict on server i: Fall failures in a
// row take an up server down, Rise successes in a row bring a down one back,
// with a clean slate for passive ejection's count. It reports whether
// Healthy(i) changed.
func (h *Health) Probe(i int, ok bool) (changed bool) {
	was := h.Healthy(i)
	if h.up[i] {
		if ok {
			h.fall[i] = 0
			return false
		}
		if h.fall[i]++; int(h.fall[i]) >= h.rules.Fall {
			h.up[i], h.fall[i], h.rise[i] = false, 0, 0
		}
		return was != h.Healthy(i)
	}
	if !ok {
		h.rise[i] = 0
		return false
	}
	if h.rise[i]++; int(h.rise[i]) >= h.rules.Rise {
		h.up[i], h.rise[i], h.fall[i] = true, 0, 0
		h.consec[i] = 0
	}
	return was != h.Healthy(i)
}

// Attempt applies the outcome of one attempt on server i at now to passive
// ejection: ConsecutiveFailures failures in a row eject it until
// now + Ejection. ejected is true when this attempt ejected it: the engine
// then calls EjectionEnd(i, EjectedUntil(i)) at that time. changed reports
// whether Healthy(i) changed.
func (h *Health) Attempt(i int, ok bool, now time.Duration) (changed, ejected bool) {
	if h.rules.ConsecutiveFailures <= 0 {
		return false, false
	}
	if ok {
		h.consec[i] = 0
		return false, false
	}
	if h.consec[i]++; int(h.consec[i]) < h.rules.ConsecutiveFailures || h.ejected[i] {
		return false, false
	}
	was := h.Healthy(i)
	h.ejected[i] = true
	h.until[i] = now + h.rules.Ejection
	return was != h.Healthy(i), true
}

// EjectedUntil is when server i's ejection in force ends.
func (h *Health) EjectedUntil(i int) time.Duration { return h.until[i] }

// EjectionEnd lifts server i's ejection if its time is up at now. A call
// left over from an earlier ejection of the same server finds the current
// one not yet due and does nothing. It reports whether Healthy(i) changed.
func (h *Health) EjectionEnd(i int, now time.Duration) (changed bool) {
	if !h.ejected[i] || now < h.until[i] {
		return false
	}
	was := h.Healthy(i)
	h.ejected[i], h.consec[i] = false, 0
	return was != h.Healthy(i)
}
