package model_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/model"
)

// A healthOp is one call on a Health and what it should report.
type healthOp struct {
	call    string // probe, attempt, end
	server  int
	ok      bool          // probe, attempt: the verdict
	now     time.Duration // attempt, end
	changed bool          // the call's report
	ejected bool          // attempt's second result
	healthy bool          // Healthy(server) after the call
	until   time.Duration // attempt with ejected: EjectedUntil after it
}

func probe(i int, ok, changed, healthy bool) healthOp {
	return healthOp{call: "probe", server: i, ok: ok, changed: changed, healthy: healthy}
}

func attempt(i int, ok bool, now time.Duration, changed, ejected, healthy bool) healthOp {
	return healthOp{call: "attempt", server: i, ok: ok, now: now, changed: changed, ejected: ejected, healthy: healthy}
}

func ejectionEnd(i int, now time.Duration, changed, healthy bool) healthOp {
	return healthOp{call: "end", server: i, now: now, changed: changed, healthy: healthy}
}

func TestHealth(t *testing.T) {
	s := time.Second
	active := model.HealthRules{Rise: 2, Fall: 3}
	passive := model.HealthRules{ConsecutiveFailures: 3, Ejection: 30 * s}
	both := model.HealthRules{Rise: 2, Fall: 1, ConsecutiveFailures: 2, Ejection: 10 * s}
	for _, tc := range []struct {
		name  string
		rules model.HealthRules
		n     int
		ops   []healthOp
	}{
		{"fall needs consecutive failures", active, 1, []healthOp{
			probe(0, false, false, true),
			probe(0, false, false, true),
			probe(0, true, false, true), // resets the count
			probe(0, false, false, true),
			probe(0, false, false, true),
			probe(0, false, true, false), // the third in a row
			probe(0, false, false, false),
		}},
		{"rise needs consecutive successes", active, 1, []healthOp{
			probe(0, false, false, true),
			probe(0, false, false, true),
			probe(0, false, true, false),
			probe(0, true, false, false),
			probe(0, false, false, false), // resets the count
			probe(0, true, false, false),
			probe(0, true, true, true), // the second in a row
			probe(0, true, false, true),
			// A clean slate: Fall failures again to go down.
			probe(0, false, false, true),
			probe(0, false, false, true),
			probe(0, false, true, false),
		}},
		{"rise and fall of 1", model.HealthRules{Rise: 1, Fall: 1}, 1, []healthOp{
			probe(0, true, false, true),
			probe(0, false, true, false),
			probe(0, false, false, false),
			probe(0, true, true, true),
		}},
		{"servers are independent", active, 2, []healthOp{
			probe(1, false, false, true),
			probe(0, false, false, true),
			probe(1, false, false, true),
			probe(0, true, false, true),
			probe(1, false, true, false),
			probe(0, false, false, true),
			probe(0, false, false, true),
			probe(1, true, false, false),
			probe(0, false, true, false),
			probe(1, true, true, true),
		}},
		{"passive ejection", passive, 1, []healthOp{
			attempt(0, false, 1*s, false, false, true),
			attempt(0, false, 2*s, false, false, true),
			attempt(0, true, 3*s, false, false, true), // resets the count
			attempt(0, false, 4*s, false, false, true),
			attempt(0, false, 5*s, false, false, true),
			{call: "attempt", server: 0, now: 6 * s, changed: true, ejected: true, healthy: false, until: 36 * s},
			// More failures while ejected neither eject again nor move the end.
			{call: "attempt", server: 0, now: 7 * s, healthy: false, until: 36 * s},
			{call: "attempt", server: 0, now: 8 * s, healthy: false, until: 36 * s},
			{call: "attempt", server: 0, now: 9 * s, healthy: false, until: 36 * s},
			attempt(0, true, 10*s, false, false, false), // a late success does not lift it
			ejectionEnd(0, 35*s, false, false),          // not yet
			ejectionEnd(0, 36*s, true, true),
			ejectionEnd(0, 37*s, false, true), // nothing left to lift
			// The count starts again from 0.
			attempt(0, false, 40*s, false, false, true),
			attempt(0, false, 41*s, false, false, true),
			{call: "attempt", server: 0, now: 42 * s, changed: true, ejected: true, healthy: false, until: 72 * s},
			ejectionEnd(0, 72*s, true, true),
		}},
		{"stale ejection end", passive, 1, []healthOp{
			attempt(0, false, 0, false, false, true),
			attempt(0, false, 0, false, false, true),
			{call: "attempt", server: 0, now: 0, changed: true, ejected: true, healthy: false, until: 30 * s},
			ejectionEnd(0, 30*s, true, true),
			attempt(0, false, 40*s, false, false, true),
			attempt(0, false, 40*s, false, false, true),
			{call: "attempt", server: 0, now: 40 * s, changed: true, ejected: true, healthy: false, until: 70 * s},
			// A call left over from the first ejection, handled late.
			ejectionEnd(0, 45*s, false, false),
			ejectionEnd(0, 69*s, false, false),
			ejectionEnd(0, 70*s, true, true),
		}},
		{"two servers eject apart", passive, 2, []healthOp{
			attempt(1, false, 0, false, false, true),
			attempt(0, false, 0, false, false, true),
			attempt(1, false, 0, false, false, true),
			attempt(0, false, 0, false, false, true),
			{call: "attempt", server: 1, now: 5 * s, changed: true, ejected: true, healthy: false, until: 35 * s},
			ejectionEnd(0, 35*s, false, true), // server 0 was never ejected
			attempt(0, false, 36*s, true, true, false),
			ejectionEnd(1, 35*s, true, true),
		}},
		{"zero ejection", model.HealthRules{ConsecutiveFailures: 1}, 1, []healthOp{
			{call: "attempt", server: 0, now: 5 * s, changed: true, ejected: true, healthy: false, until: 5 * s},
			ejectionEnd(0, 5*s, true, true),
		}},
		{"ejected, then down by probes", both, 1, []healthOp{
			attempt(0, false, 1*s, false, false, true),
			{call: "attempt", server: 0, now: 1 * s, changed: true, ejected: true, healthy: false, until: 11 * s},
			probe(0, false, false, false), // down as well: no change
			ejectionEnd(0, 11*s, false, false),
			probe(0, true, false, false),
			probe(0, true, true, true),
		}},
		{"down by probes, then ejected", both, 1, []healthOp{
			probe(0, false, true, false),
			attempt(0, false, 1*s, false, false, false), // an attempt in flight fails
			{call: "attempt", server: 0, now: 2 * s, ejected: true, healthy: false, until: 12 * s},
			probe(0, true, false, false),
			probe(0, true, false, false), // up again, but still ejected
			probe(0, true, false, false),
			ejectionEnd(0, 12*s, true, true),
		}},
		{"ejected and down, ejection ends first", both, 1, []healthOp{
			attempt(0, false, 0, false, false, true),
			{call: "attempt", server: 0, now: 0, changed: true, ejected: true, healthy: false, until: 10 * s},
			probe(0, false, false, false),
			probe(0, true, false, false),
			ejectionEnd(0, 10*s, false, false),
			probe(0, true, true, true),
		}},
		{"rise back resets the passive count", model.HealthRules{Rise: 2, Fall: 1, ConsecutiveFailures: 3, Ejection: 10 * s}, 1, []healthOp{
			attempt(0, false, 1*s, false, false, true),
			attempt(0, false, 2*s, false, false, true),
			probe(0, false, true, false),
			probe(0, true, false, false),
			probe(0, true, true, true),
			attempt(0, false, 3*s, false, false, true), // 1, not 3
			attempt(0, false, 4*s, false, false, true),
			{call: "attempt", server: 0, now: 5 * s, changed: true, ejected: true, healthy: false, until: 15 * s},
		}},
		{"going down keeps the passive count", model.HealthRules{Rise: 1, Fall: 1, ConsecutiveFailures: 3, Ejection: 10 * s}, 1, []healthOp{
			attempt(0, false, 1*s, false, false, true),
			attempt(0, false, 2*s, false, false, true),
			probe(0, false, true, false),
			{call: "attempt", server: 0, now: 3 * s, ejected: true, healthy: false, until: 13 * s},
		}},
		{"passive off", active, 1, []healthOp{
			attempt(0, false, 1*s, false, false, true),
			attempt(0, false, 2*s, false, false, true),
			attempt(0, false, 3*s, false, false, true),
			attempt(0, false, 4*s, false, false, true),
			ejectionEnd(0, time.Hour, false, true),
			probe(0, false, false, true),
		}},
		{"active off", passive, 1, []healthOp{
			attempt(0, false, 1*s, false, false, true),
			attempt(0, false, 1*s, false, false, true),
			{call: "attempt", server: 0, now: 1 * s, changed: true, ejected: true, healthy: false, until: 31 * s},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := model.NewHealth(tc.n, tc.rules)
			if want := tc.rules.ConsecutiveFailures > 0; h.Passive() != want {
				t.Errorf("Passive = %v, want %v", h.Passive(), want)
			}
			for i := range tc.n {
				if !h.Healthy(i) || h.EjectedUntil(i) != 0 {
					t.Errorf("new: Healthy(%d) = %v, EjectedUntil = %v", i, h.Healthy(i), h.EjectedUntil(i))
				}
			}
			for k, op := range tc.ops {
				var changed, ejected bool
				was := h.Healthy(op.server)
				switch op.call {
				case "probe":
					changed = h.Probe(op.server, op.ok)
				case "attempt":
					changed, ejected = h.Attempt(op.server, op.ok, op.now)
				case "end":
					changed = h.EjectionEnd(op.server, op.now)
				}
				where := fmt.Sprintf("op %d %s(%d, ok=%v, now=%v)", k, op.call, op.server, op.ok, op.now)
				if changed != op.changed || ejected != op.ejected {
					t.Errorf("%s = changed %v, ejected %v; want %v, %v", where, changed, ejected, op.changed, op.ejected)
				}
				if changed != (was != h.Healthy(op.server)) {
					t.Errorf("%s: changed %v, but Healthy went %v -> %v", where, changed, was, h.Healthy(op.server))
				}
				if h.Healthy(op.server) != op.healthy {
					t.Errorf("%s: Healthy = %v, want %v", where, h.Healthy(op.server), op.healthy)
				}
				if op.until != 0 && h.EjectedUntil(op.server) != op.until {
					t.Errorf("%s: EjectedUntil = %v, want %v", where, h.EjectedUntil(op.server), op.until)
				}
			}
		})
	}
}
