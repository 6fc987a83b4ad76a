// Package discovery delivers a proxy's backend set as it changes: the
// seam between realproxy/proxy and whatever knows which backends exist
// (DESIGN.md §7 membership, §9 service discovery). A Source hands its
// subscribers the whole current set at once and again on every change;
// the proxy lists the set's backends to its balancer, starts health
// checks for new ones and drains removed ones (no new picks, in-flight
// requests finish).
//
// Static is a fixed set (the proxy's default: its configured backends);
// Memory is a set a program publishes, as `bench run`'s membership driver
// does when servers join, leave and restart. Sources that watch etcd or a
// file implement the same interface.
package discovery

import (
	"slices"
	"sync"
)

// Backend is one backend of a set. Name identifies it across sets (the
// proxy keeps its health, counters and balancer ID by name, and "" means
// the URL); URL is where it listens; Weight is for the weighted
// algorithms (0 = 1).
type Backend struct {
	Name   string
	URL    string
	Weight float64
}

// Source delivers backend sets. Subscribe calls update with the current
// set before it returns, then with each new set, whole, in order and never
// two calls at once, until stop is called (stop waits for a call in
// progress). update must not call back into the Source. The slices passed
// are the subscriber's to keep.
type Source interface {
	Subscribe(update func([]Backend)) (stop func())
}

// Static is a set that never changes.
type Static []Backend

// Subscribe delivers s once.
func (s Static) Subscribe(update func([]Backend)) (stop func()) {
	update(slices.Clone(s))
	return func() {}
}

// Memory is a set held in memory and changed by Publish; its subscribers
// see each change before Publish returns, so that a caller that removed a
// backend knows every proxy has stopped picking it. Safe for concurrent
// use.
type Memory struct {
	mu   sync.Mutex // serialises Publish, Subscribe and stop: one delivery at a time
	set  []Backend
	subs map[int]func([]Backend)
	next int
}

// NewMemory is a Memory holding set.
func NewMemory(set []Backend) *Memory {
	return &Memory{set: slices.Clone(set), subs: map[int]func([]Backend){}}
}

// Publish replaces the set and delivers it to every subscriber, in the
// order they subscribed.
func (m *Memory) Publish(set []Backend) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.set = slices.Clone(set)
	keys := make([]int, 0, len(m.subs))
	for k := range m.subs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		m.subs[k](slices.Clone(m.set))
	}
}

// Current is the set as last published.
func (m *Memory) Current() []Backend {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.set)
}

// Subscribe delivers the current set, then every published one.
func (m *Memory) Subscribe(update func([]Backend)) (stop func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.next
	m.next++
	m.subs[k] = update
	update(slices.Clone(m.set))
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.subs, k)
	}
}
