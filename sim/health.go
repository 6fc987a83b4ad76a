package sim

import (
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// The health of servers as each balancer sees it is model.Health, shared
// with the real proxy; this file drives it with simulated probes and
// attempts and tells the balancer of each change.

// healthRules are the scenario's health checks as model.Health applies them.
func healthRules(hc scenarios.HealthCheck) model.HealthRules {
	var r model.HealthRules
	if a := hc.Active; a != nil {
		r.Rise, r.Fall = a.Rise, a.Fall
	}
	if p := hc.Passive; p != nil {
		r.ConsecutiveFailures, r.Ejection = p.ConsecutiveFailures, p.Ejection
	}
	return r
}

// healthTick sends balancer j's active probes to every server and schedules
// the next round. A probe sees the server as it is when sent; its verdict
// arrives one round trip later, or at the probe timeout if that comes first
// (then it is a failure whatever the server said).
func (e *engine) healthTick(j int) {
	hc := e.sc.HealthCheck.Active
	now := e.q.now
	for si := range e.servers {
		if e.members != nil && !e.members.Member(si) {
			continue // the balancers check the servers they list
		}
		ok := !e.servers[si].crashed
		rtt := e.netSample() + e.netSample()
		if hc.Timeout > 0 && rtt > hc.Timeout {
			ok, rtt = false, hc.Timeout
		}
		if rtt == 0 {
			e.probeResult(j, si, ok)
			continue
		}
		b := int32(2 * si)
		if ok {
			b++
		}
		e.q.push(now+rtt, evProbeResult, int32(j), b)
	}
	e.q.push(now+hc.Interval, evHealthTick, int32(j), 0)
}

// probeResult delivers one probe's verdict on server si to balancer j.
func (e *engine) probeResult(j, si int, ok bool) {
	if e.bals[j].health.Probe(si, ok) {
		e.publish(j, si)
	}
}

// passive tells balancer j's passive ejection how an attempt on server si
// ended.
func (e *engine) passive(j, si int, ok bool) {
	if h := e.bals[j].health; h.Passive() { // inlined: no call without passive checks
		e.passiveAttempt(j, si, ok)
	}
}

func (e *engine) passiveAttempt(j, si int, ok bool) {
	h := e.bals[j].health
	changed, ejected := h.Attempt(si, ok, e.q.now)
	if ejected {
		e.q.push(h.EjectedUntil(si), evEjectionEnd, int32(j), int32(si))
	}
	if changed {
		e.publish(j, si)
	}
}

// ejectionEnd lifts an ejection whose time is up (model.Health ignores one
// left over from an earlier ejection).
func (e *engine) ejectionEnd(j, si int) {
	if e.bals[j].health.EjectionEnd(si, e.q.now) {
		e.publish(j, si)
	}
}

// publish tells balancer j of server si's health, which changed.
func (e *engine) publish(j, si int) {
	bs := &e.bals[j]
	healthy := bs.health.Healthy(si)
	bs.view[si].Healthy = healthy
	e.rec.Event(report.HealthEvent(e.nowMS(), e.names[si], j, healthy))
	bs.b.Update(e.q.now, e.listed(bs.view))
}
