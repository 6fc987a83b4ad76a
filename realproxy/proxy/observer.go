package proxy

// What the proxy does, told as it happens to an Observer (Config.Observer),
// for metrics: the proxy knows nothing of how they are exported
// (realproxy/promexport exports them to Prometheus). Per-backend events go
// to a handle the observer returns once per backend, when the proxy first
// knows it, so that the hot path does no lookup by name.

import (
	"net/http"
	"time"
)

// Outcome is how one attempt on a backend ended.
type Outcome uint8

// The outcomes of an attempt, as the proxy tells them apart.
const (
	// OutcomeOK: the backend answered below 500 and the answer was
	// delivered (or the client stopped reading it).
	OutcomeOK Outcome = iota
	// OutcomeFailed: the backend answered 5xx other than 503, or its
	// answer broke off mid-body.
	OutcomeFailed
	// OutcomeRejected: the backend answered 503 (its queue was full, or
	// it is shedding load).
	OutcomeRejected
	// OutcomeTimeout: the attempt's timeout (Config.Timeout) passed, or
	// the transport gave up waiting (dial, ResponseHeaderTimeout).
	OutcomeTimeout
	// OutcomeError: no answer at all: the connection was refused, reset
	// or closed before a response.
	OutcomeError
	// OutcomeCancelled: the client went away, or the proxy abandoned the
	// attempt (a hedge or the first attempt that another one beat).
	OutcomeCancelled

	// NumOutcomes is the number of outcomes, for arrays indexed by them.
	NumOutcomes
)

var outcomeNames = [NumOutcomes]string{"ok", "failed", "rejected", "timeout", "error", "cancelled"}

// String is the outcome's name: ok, failed, rejected, timeout, error or
// cancelled.
func (o Outcome) String() string {
	if o < NumOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// statusOutcome is the outcome of an attempt the backend answered with
// status code.
func statusOutcome(code int) Outcome {
	switch {
	case code < http.StatusInternalServerError:
		return OutcomeOK
	case code == http.StatusServiceUnavailable:
		return OutcomeRejected
	}
	return OutcomeFailed
}

// Observer is told what the proxy does, for metrics. Its methods and its
// BackendObservers' are called on the requests' goroutines, concurrently,
// on the hot path: they must be cheap and must not block or call back into
// the Proxy.
type Observer interface {
	// Backend is called once for each backend the proxy comes to know,
	// before anything else is said of it: those of Config.Backends in New,
	// in ID order, then each one a discovery source adds. Its handle gets
	// that backend's events.
	Backend(id int, name string) BackendObserver
	// Request: a client request reached the balancing (once per request,
	// whatever its attempts).
	Request()
	// Answered: the proxy answered a request itself, with no backend's
	// answer: 503 (nothing eligible), 502 (the last attempt failed), 504
	// (it timed out) or 500 (the balancing strategy failed). Not called
	// when the client had gone away.
	Answered(status int)
	// Retried: a retry is to be sent (an attempt after a failed one).
	Retried()
	// Hedged: a hedge was sent; HedgeWon: a hedge's answer was the
	// request's.
	Hedged()
	HedgeWon()
	// BudgetRefused: the retry budget refused a retry, or a hedge.
	BudgetRefused(hedge bool)
}

// BackendObserver is an Observer's handle on one backend.
type BackendObserver interface {
	// Picked: the balancer picked the backend (also a pick handed back
	// unused, when a hedge looks for a backend the request has not tried).
	Picked()
	// Started: an attempt on the backend began (it is in flight); Done:
	// it ended, d after its pick. Every Started gets one Done.
	Started()
	Done(o Outcome, d time.Duration)
	// Health: the balancer's view of the backend changed (or was set, on
	// joining the set). Calls are serialised.
	Health(healthy bool)
	// Ejected: an active check took the backend down (passive false), or
	// passive ejection took it out (true), whatever it was before.
	Ejected(passive bool)
	// Member: the backend joined (true) or left the set the balancer
	// lists. Without a discovery source every backend is a member from
	// New on. Calls are serialised.
	Member(in bool)
}

// nopObserver is the Observer of a proxy configured with none, so that the
// hot path calls it without a test.
type nopObserver struct{}

func (nopObserver) Backend(int, string) BackendObserver { return nopObserver{} }
func (nopObserver) Request()                            {}
func (nopObserver) Answered(int)                        {}
func (nopObserver) Retried()                            {}
func (nopObserver) Hedged()                             {}
func (nopObserver) HedgeWon()                           {}
func (nopObserver) BudgetRefused(bool)                  {}
func (nopObserver) Picked()                             {}
func (nopObserver) Started()                            {}
func (nopObserver) Done(Outcome, time.Duration)         {}
func (nopObserver) Health(bool)                         {}
func (nopObserver) Ejected(bool)                        {}
func (nopObserver) Member(bool)                         {}
