package model

// Outcome is how an attempt or a request ended, as both engines count it
// (DECISIONS.md, "Engine semantics"):
//
//	OK         answered 2xx
//	Failed     refused or reset by a crashed server, answered 500, or
//	           anything else unexpected
//	Rejected   answered 503 by a server whose queue was full
//	Timeout    no answer within the scenario's timeout
//	NoBackend  the balancer had nothing to pick (ErrNoBackend; the proxy's
//	           own 503)
//
// Failed, Rejected and Timeout attempts are retried while retries remain;
// NoBackend is not. In summary.json, NoBackend counts as rejected.
type Outcome uint8

// The outcomes. OK is the zero value.
const (
	OK Outcome = iota
	Failed
	Rejected
	Timeout
	NoBackend
)

var outcomeNames = [...]string{OK: "ok", Failed: "failed", Rejected: "rejected", Timeout: "timeout", NoBackend: "no-backend"}

// String is the outcome's name, as traces write it (DESIGN.md §8), with
// "no-backend" for NoBackend.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "outcome?"
}

// Retryable reports whether an attempt that ended so may be tried again.
func (o Outcome) Retryable() bool { return o == Failed || o == Rejected || o == Timeout }
