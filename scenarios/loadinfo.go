package scenarios

import "time"

// LoadInfo says where the in-flight counts a load-aware algorithm sees come
// from and how stale they are (DESIGN.md §7, load_info). A scenario without
// load_info has a nil *LoadInfo: every balancer reads its own live counts,
// as before the key existed.
//
// The two sources:
//
//	local    each balancer's own requests in flight per server (picked and
//	         not yet answered), what it counts itself
//	servers  the servers' own counts: requests at the server, queued or in
//	         service, from every balancer
//
// Either is published every Refresh (0: continuously, always current) and
// seen Delay after it was taken. local with Refresh and Delay 0 is the
// balancer's live view, exactly as without load_info. local with a Refresh
// is Mitzenmacher's periodic-update model ("How useful is old
// information?", 2000) with one dispatcher: the bulletin board is the
// balancer's own counts, snapshotted every Refresh.
type LoadInfo struct {
	Source  string        // local | servers; default local
	Refresh time.Duration // default 0s for local, 100ms for servers
	Delay   time.Duration // default 0s
}

// Load information sources.
const (
	LoadLocal   = "local"
	LoadServers = "servers"
)

// defaultServersRefresh is how often the servers' counts are published
// when the file does not say: a poller's usual period, and the real engine
// cannot poll continuously.
const defaultServersRefresh = 100 * time.Millisecond

// Live reports whether the load information is each balancer's own
// up-to-the-moment counts: nothing for an engine to do.
func (l *LoadInfo) Live() bool {
	return l == nil || l.Source == LoadLocal && l.Refresh == 0 && l.Delay == 0
}

var loadInfoKeys = []string{"source", "refresh", "delay"}

func (d *decoder) loadInfo(f *fields) *LoadInfo {
	n := f.raw("load_info")
	if n == nil {
		return nil
	}
	const p = "load_info"
	li := &LoadInfo{Source: LoadLocal}
	if r := d.resolve(n); isNull(r) {
		d.failf(r.Line, p, "empty: write load_info: {source: servers} (or local), or remove it for each balancer's own live counts")
		return li
	}
	lf, ok := d.mapping(n, p, "load information settings such as {source: servers, refresh: 100ms, delay: 0s}", loadInfoKeys)
	if !ok {
		return li
	}
	lf.str("source", &li.Source)
	if li.Source == LoadServers {
		li.Refresh = defaultServersRefresh
	}
	lf.duration("refresh", &li.Refresh)
	lf.duration("delay", &li.Delay)
	return li
}

func (v *validator) loadInfo() {
	li := v.s.LoadInfo
	if li == nil {
		return
	}
	const p = "load_info"
	if li.Source != LoadLocal && li.Source != LoadServers {
		v.errorf(p+".source", "%s is not a load information source: use local (each balancer's own counts) or servers (the servers' counts)", quote(li.Source))
	}
	if li.Refresh < 0 {
		v.errorf(p+".refresh", "must not be negative, got %v (0s means always current)", li.Refresh)
	}
	if li.Delay < 0 {
		v.errorf(p+".delay", "must not be negative, got %v", li.Delay)
	}
}

type resolvedLoadInfo struct {
	Source  string `json:"source"`
	Refresh string `json:"refresh"`
	Delay   string `json:"delay"`
}

func resolveLoadInfo(l *LoadInfo) *resolvedLoadInfo {
	if l == nil {
		return nil
	}
	return &resolvedLoadInfo{Source: l.Source, Refresh: dur(l.Refresh), Delay: dur(l.Delay)}
}
