package sim

import (
	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// healthTick sends balancer j's active probes to every server and schedules
// the next round. A probe sees the server as it is when sent; its verdict
// arrives one round trip later, or at the probe timeout if that comes first
// (then it is a failure whatever the server said).
func (e *engine) healthTick(j int) {
	hc := e.sc.HealthCheck.Active
	now := e.q.now
	for si := range e.servers {
		ok := e.servers[si].crashed == 0
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

// probeResult applies rise/fall hysteresis: Fall consecutive failures take a
// healthy server out, Rise consecutive successes bring it back.
func (e *engine) probeResult(j, si int, ok bool) {
	hc := e.sc.HealthCheck.Active
	bs := &e.bals[j]
	if bs.up[si] {
		if ok {
			bs.fall[si] = 0
			return
		}
		if bs.fall[si]++; int(bs.fall[si]) >= hc.Fall {
			bs.up[si], bs.fall[si], bs.rise[si] = false, 0, 0
			e.publish(j, si)
		}
		return
	}
	if !ok {
		bs.rise[si] = 0
		return
	}
	if bs.rise[si]++; int(bs.rise[si]) >= hc.Rise {
		bs.up[si], bs.rise[si], bs.fall[si] = true, 0, 0
		// A server that passes its active checks again gets a clean slate
		// from passive detection too.
		bs.consec[si] = 0
		e.publish(j, si)
	}
}

// passive counts consecutive failed requests from balancer j to server si
// and ejects the server for the configured time when they reach the limit.
func (e *engine) passive(j, si int, ok bool) {
	pc := e.sc.HealthCheck.Passive
	if pc == nil {
		return
	}
	bs := &e.bals[j]
	if ok {
		bs.consec[si] = 0
		return
	}
	if bs.consec[si]++; int(bs.consec[si]) < pc.ConsecutiveFailures || bs.ejected[si] {
		return
	}
	bs.ejected[si] = true
	bs.ejectedUntil[si] = e.q.now + pc.Ejection
	e.q.push(bs.ejectedUntil[si], evEjectionEnd, int32(j), int32(si))
	e.publish(j, si)
}

// ejectionEnd lifts an ejection whose time is up. An event left over from
// an earlier ejection of the same server finds it not yet due and does nothing.
func (e *engine) ejectionEnd(j, si int) {
	bs := &e.bals[j]
	if !bs.ejected[si] || e.q.now < bs.ejectedUntil[si] {
		return
	}
	bs.ejected[si], bs.consec[si] = false, 0
	e.publish(j, si)
}

// publish tells balancer j of server si's health, if its view changed.
func (e *engine) publish(j, si int) {
	bs := &e.bals[j]
	healthy := bs.up[si] && !bs.ejected[si]
	if bs.view[si].Healthy == healthy {
		return
	}
	bs.view[si].Healthy = healthy
	if healthy {
		e.event(si, j, "healthy")
	} else {
		e.event(si, j, "unhealthy")
	}
	bs.b.Update(e.q.now, append([]algorithms.Backend(nil), bs.view...))
}
