package algorithms

import "time"

// The load-aware balancers take the engine's in-flight counts (LoadAware)
// through their table: SetLoad publishes a snapshot carrying the counts,
// which their choices read through snapshot.count until the next SetLoad.
// Each declares SetLoad itself, rather than table, so that the load-blind
// balancers, which embed table too, do not claim to take counts they would
// ignore.

// SetLoad implements LoadAware.
func (b *leastConnectionsBalancer) SetLoad(at time.Duration, inflight []int64) { b.setLoad(inflight) }

// SetLoad implements LoadAware.
func (b *weightedLeastConnectionsBalancer) SetLoad(at time.Duration, inflight []int64) {
	b.setLoad(inflight)
}

// SetLoad implements LoadAware.
func (b *p2cBalancer) SetLoad(at time.Duration, inflight []int64) { b.setLoad(inflight) }

// SetLoad implements LoadAware: the counts multiply the latency estimates
// (cost = EWMA x (in flight + 1)); the estimates stay the balancer's own.
func (b *peakEWMABalancer) SetLoad(at time.Duration, inflight []int64) { b.setLoad(inflight) }

// SetLoad implements LoadAware: the counts break ties between equal
// latency estimates.
func (b *leastResponseTimeBalancer) SetLoad(at time.Duration, inflight []int64) {
	b.setLoad(inflight)
}

// SetLoad implements LoadAware: the counts give the bound (c x mean load)
// and each backend's load against it.
// The ring is the current one's: the new snapshot lists the same backends.
func (b *boundedLoadBalancer) SetLoad(at time.Duration, inflight []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setLoad(inflight)
	b.state.Store(&ringState{snap: b.load(), ring: b.current().ring})
}

// SetLoad implements LoadAware: the counts serve the fallback (p2c when
// the probe pool is empty); probes still report what the servers said.
func (b *prequalBalancer) SetLoad(at time.Duration, inflight []int64) { b.setLoad(inflight) }

// SetLoad implements LoadAware by passing the counts to the base when it
// takes them; bound keys go to their backend whatever the counts.
func (b *stickyBalancer) SetLoad(at time.Duration, inflight []int64) {
	if la, ok := b.base.(LoadAware); ok {
		la.SetLoad(at, inflight)
	}
}
