package proxy

// Backends from a discovery source (Config.Discovery): the set the
// balancer lists follows the source's; backends the proxy has not seen
// get the next IDs, a transport entry (the transport opens connections to
// any host) and health-check state; backends that leave the set are
// drained: no new picks, their requests in flight finish.

import (
	"log"
	"slices"
	"sync"

	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
)

// members is the proxy's side of its discovery source.
type members struct {
	mu     sync.Mutex     // serialises set changes
	byName map[string]int // backend name -> ID, for every backend ever known
	stopFn func()
	warned map[string]bool // names whose URL changed, said once
}

// subscribe takes the backend set from the discovery source from now on;
// the first set arrives before it returns.
func (p *Proxy) subscribe() {
	m := &members{byName: map[string]int{}, warned: map[string]bool{}}
	for i, b := range p.backendList() {
		m.byName[b.Name] = i
	}
	p.members = m
	m.stopFn = p.cfg.Discovery.Subscribe(p.setMembers)
}

func (m *members) stop() { m.stopFn() }

// setMembers makes set the backends the balancer lists. A backend is known
// by its name; one that comes back under a name the proxy knows with
// another URL keeps the first URL (its ID and counters belong to it) and
// the change is logged once. A backend whose URL or weight is invalid is
// logged and left out.
func (p *Proxy) setMembers(set []discovery.Backend) {
	m := p.members
	m.mu.Lock()
	defer m.mu.Unlock()
	list := p.backendList()
	grown := list
	member := make([]bool, len(list), len(list)+len(set))
	for _, d := range set {
		name := d.Name
		if name == "" {
			name = d.URL
		}
		id, known := m.byName[name]
		if !known {
			be := &backend{}
			if err := p.cfg.parseBackend(be, Backend{Name: d.Name, URL: d.URL, Weight: d.Weight}, "discovered backend"); err != nil {
				p.membersLog().Printf("%v (left out)", err)
				continue
			}
			if len(grown) == len(list) {
				grown = slices.Clone(list) // readers hold the old slice
			}
			id = len(grown)
			be.obs = p.obs.Backend(id, be.Name)
			grown = append(grown, be)
			member = append(member, false)
			m.byName[name] = id
		} else if grown[id].URL != d.URL && !m.warned[name] {
			m.warned[name] = true
			p.membersLog().Printf("proxy: discovered backend %s moved from %s to %s: it keeps the first (a new backend needs a new name)", name, grown[id].URL, d.URL)
		}
		member[id] = true
	}
	if len(grown) != len(list) {
		p.backends.Store(&grown)
	}
	p.health.setMembers(grown, member)
}

// membersLog is where set changes are logged: the first set arrives in
// New, before the ReverseProxy (and its ErrorLog) exists.
func (p *Proxy) membersLog() *log.Logger {
	if p.cfg.ErrorLog != nil {
		return p.cfg.ErrorLog
	}
	return log.Default()
}

// InFlight is the number of attempts the proxy has sent to the backend
// named name that have not finished, with a discovery source (0 without
// one, or for a name it does not know). A backend that left the set is
// drained when it reaches 0: the proxy sends it nothing new.
func (p *Proxy) InFlight(name string) int64 {
	if p.members == nil {
		return 0
	}
	p.members.mu.Lock()
	id, ok := p.members.byName[name]
	p.members.mu.Unlock()
	if !ok {
		return 0
	}
	return p.backend(id).inflight.Load()
}
