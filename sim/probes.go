package sim

import (
	"math/rand/v2"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// Load probes (algorithms.Prober, prequal) and idle announcements
// (algorithms.IdleTracker, join-idle-queue). Neither exists for an algorithm
// that implements neither: e.sig is nil, and the hot path pays one nil check.
//
// Probes: after every successful pick, the balancer names its targets and
// each is sent a probe. It reaches the server one network delay later; a
// crashed server does not answer; any other answers at once (not queued
// behind requests, like the real backend's /probe) with its requests in
// flight (busy + queued) and an EWMA of its recent response times (queue +
// service, model.ProbeEWMA, updated as each attempt's service ends); the answer
// reaches the balancer one more network delay later (ProbeResult).
//
// Idle announcements: when a server's last request ends and nothing is
// queued, it announces itself to one balancer instance chosen uniformly,
// which learns of it one network delay later (Idle). Every server announces
// itself once at t = 0, since all start idle.
//
// These network delays come from their own streams ("probes", "idle"), not
// the requests' "network" stream, so the requests of every algorithm still
// see the same network jitter.
type signals struct {
	msgs  pool[probeMsg]
	ewma  []model.ProbeEWMA // by server: recent response times
	dst   []int             // reused for ProbeTargets
	prRng *rand.Rand        // probes' network delays
	idRng *rand.Rand        // idle announcements: balancer choice, network delay
	idle  bool              // the balancers are IdleTrackers
}

// probeMsg is a probe on its way to a server and back.
type probeMsg struct {
	bal, server int32
	inflight    int32
	latency     time.Duration
}

// initSignals looks once at what the balancers implement.
func (e *engine) initSignals() {
	probing, idle := false, false
	for j := range e.bals {
		bs := &e.bals[j]
		bs.prober, _ = bs.b.(algorithms.Prober)
		bs.idler, _ = bs.b.(algorithms.IdleTracker)
		probing = probing || bs.prober != nil
		idle = idle || bs.idler != nil
	}
	if !probing && !idle {
		return
	}
	n := len(e.servers)
	e.sig = &signals{
		ewma:  make([]model.ProbeEWMA, n),
		prRng: rand.New(rand.NewPCG(e.sc.Seed, traffic.StreamID("probes"))),
		idRng: rand.New(rand.NewPCG(e.sc.Seed, traffic.StreamID("idle"))),
		idle:  idle,
	}
	if idle {
		for si := range e.servers {
			e.announceIdle(si)
		}
	}
}

func (e *engine) netFrom(r *rand.Rand) time.Duration {
	if e.netConst {
		return e.netDelay
	}
	return e.net.Quantile(r.Float64())
}

// sendProbes sends balancer j's probes after a pick.
func (e *engine) sendProbes(j int, p algorithms.Prober) {
	sg := e.sig
	now := e.q.now
	sg.dst = p.ProbeTargets(now, sg.dst[:0])
	for _, si := range sg.dst {
		if si < 0 || si >= len(e.servers) {
			continue
		}
		m := sg.msgs.alloc()
		sg.msgs.items[m] = probeMsg{bal: int32(j), server: int32(si)}
		e.q.push(now+e.netFrom(sg.prRng), evProbeReach, m, 0)
	}
}

// probeReach: the server answers at once unless crashed.
func (e *engine) probeReach(m int32) {
	sg := e.sig
	pm := &sg.msgs.items[m]
	s := &e.servers[pm.server]
	if s.crashed || s.off {
		sg.msgs.release(m)
		return
	}
	pm.inflight = int32(s.inflight())
	pm.latency = sg.ewma[pm.server].Value()
	e.q.push(e.q.now+e.netFrom(sg.prRng), evProbeAnswer, m, 0)
}

// probeAnswer delivers a probe's answer to its balancer.
func (e *engine) probeAnswer(m int32) {
	sg := e.sig
	pm := sg.msgs.items[m]
	sg.msgs.release(m)
	if p := e.bals[pm.bal].prober; p != nil {
		p.ProbeResult(int(pm.server), e.q.now, int(pm.inflight), pm.latency)
	}
}

// served updates server si's response-time EWMA with one attempt's queue +
// service time, and announces the server if it is now idle.
func (e *engine) served(si int, d time.Duration) {
	sg := e.sig
	sg.ewma[si].Add(d)
	if s := &e.servers[si]; sg.idle && s.busy == 0 && s.queue.len() == 0 {
		e.announceIdle(si)
	}
}

// announceIdle tells one balancer, chosen uniformly, that server si is idle.
func (e *engine) announceIdle(si int) {
	sg := e.sig
	j := sg.idRng.IntN(len(e.bals))
	e.q.push(e.q.now+e.netFrom(sg.idRng), evIdle, int32(j), int32(si))
}

// idleArrive delivers an idle announcement.
func (e *engine) idleArrive(j, si int) {
	if t := e.bals[j].idler; t != nil {
		t.Idle(si, e.q.now)
	}
}
