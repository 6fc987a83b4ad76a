package scenarios

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Someone else's servers (DESIGN.md §9): a server group that gives urls
// is a list of real HTTP servers, one per URL, that bench run proxies to
// instead of emulating servers. Fulcrum knows nothing of them but what the
// proxy sees, so the keys that describe or change a server's own
// behaviour cannot apply to them: a key Fulcrum cannot honour there is an
// error naming it, never a silent no-op. What is allowed, and why:
//
//   - service: optional. A fitted model of the servers (sim fit), which
//     only the simulator uses; without it the simulator refuses the
//     scenario (Unsimulated) and a load (a fraction of a capacity no one
//     knows) is an error.
//   - concurrency: only with a service, as part of that model.
//   - weight, join, leave: the balancers' business (join and leave change
//     the proxies' pool; the servers keep listening).
//   - queue_limit, discipline: errors; Fulcrum cannot impose them.
//   - faults that would crash, slow, fail or restart such a server, cancel
//     (which frees an emulated worker), classes (sizes and services
//     imposed on the servers) and load_info source servers (which polls
//     the emulated servers' /probe): errors.

// HasService reports whether the group gives a service distribution:
// always for emulated servers, optionally (a fitted model) with URLs.
func (g ServerGroup) HasService() bool { return !reflect.ValueOf(g.Service).IsZero() }

// HasURLs reports whether the group's servers are someone else's, at URLs.
func (g ServerGroup) HasURLs() bool { return g.URLs != nil }

// Foreign reports whether any server group gives urls.
func (s *Scenario) Foreign() bool {
	for _, g := range s.Servers {
		if g.HasURLs() {
			return true
		}
	}
	return false
}

// unfitted is the index of the first group of urls without a service, or
// -1: a group whose servers' speed no one knows.
func (s *Scenario) unfitted() int {
	for i, g := range s.Servers {
		if g.HasURLs() && !g.HasService() {
			return i
		}
	}
	return -1
}

// Unsimulated returns an error at each group of urls that gives no
// service, for an engine (the simulator, bench run --compare-sim) that
// must model the servers; engine names it in the message. nil when every
// group has a service.
func (s *Scenario) Unsimulated(engine string) error {
	var errs Errors
	for i, g := range s.Servers {
		if g.HasURLs() && !g.HasService() {
			p := index("servers", i)
			errs = append(errs, &Error{File: s.File, Line: s.line(join(p, "urls")), Path: join(p, "urls"),
				Msg: fmt.Sprintf("%s cannot model someone else's servers without their service time: "+
					"give group %s a fitted service (e.g. service: {dist: lognormal, mean: 12ms, cv: 1.5}, "+
					"from sim fit on a trace with the servers' own times, such as their access logs through sim import)", engine, g.Name)})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return sortErrors(errs)
}

// urls decodes a group's urls: a list of strings.
func (d *decoder) urls(n *yaml.Node, path string) []string {
	items := d.list(n, path, "URLs such as http://127.0.0.1:5001")
	if items == nil {
		return nil
	}
	out := []string{}
	for i, c := range items {
		if u, ok := d.str(c, index(path, i)); ok {
			out = append(out, u)
		} else {
			out = append(out, "")
		}
	}
	return out
}

// groupURLs checks group g's urls and the keys that cannot go with them,
// at p; seen maps each URL (normalised) to where it was first given.
func (v *validator) groupURLs(p string, g ServerGroup, seen map[string]string) {
	up := join(p, "urls")
	if v.given(join(p, "count")) {
		v.errorf(join(p, "count"), "does not go with urls: a group of urls has one server per URL; remove count")
	}
	if len(g.URLs) == 0 && !v.isBad(up) {
		v.errorf(up, "needs at least one URL, e.g. urls: [http://127.0.0.1:5001, http://127.0.0.1:5002]")
	}
	for j, raw := range g.URLs {
		ip := index(up, j)
		key, msg := checkURL(raw)
		if msg != "" {
			v.errorf(ip, "%s %s", quote(raw), msg)
			continue
		}
		if first, dup := seen[key]; dup {
			v.errorf(ip, "%s is given twice (also %s): each URL is one server", quote(raw), first)
			continue
		}
		seen[key] = ip
	}
	const cannot = "Fulcrum cannot impose it on someone else's servers (urls)"
	if v.given(join(p, "queue_limit")) {
		v.errorf(join(p, "queue_limit"), "%s; remove it", cannot)
	}
	if v.given(join(p, "discipline")) {
		v.errorf(join(p, "discipline"), "%s; remove it", cannot)
	}
	if v.given(join(p, "concurrency")) && !g.HasService() && !v.given(join(p, "service")) {
		v.errorf(join(p, "concurrency"), "with urls, concurrency is part of a fitted model of the servers, for the simulator: give a service with it, or remove it")
	}
}

// checkURL reports what is wrong with a server URL ("" if nothing), and
// its key for finding duplicates: scheme and host lower-cased, the path
// without a trailing slash.
func checkURL(raw string) (key, msg string) {
	const want = "(e.g. http://127.0.0.1:5001)"
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "", "is empty: write an absolute http URL " + want
	case err != nil:
		why := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			why = ue.Err.Error()
		}
		return "", "is not a URL (" + why + "); write an absolute http URL " + want
	case u.Scheme != "http" && u.Scheme != "https":
		if u.Scheme == "" {
			return "", "is not an absolute URL: write the scheme and host " + want
		}
		return "", fmt.Sprintf("has scheme %s: the proxy speaks http or https %s", quote(u.Scheme), want)
	case u.Host == "" || u.Hostname() == "":
		return "", "has no host " + want
	case u.User != nil:
		return "", "carries a user name or password: the proxy would not send them; remove them"
	case u.RawQuery != "" || u.ForceQuery:
		return "", "has a query: a server's URL is a scheme, a host and an optional path prefix; remove it"
	case u.Fragment != "":
		return "", "has a fragment: a server's URL is a scheme, a host and an optional path prefix; remove it"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Sprintf("has port %s: want 1 to 65535", quote(port))
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/"), ""
}

// foreign checks the scenario-wide keys that cannot apply to someone
// else's servers (see the comment at the top of this file); total is the
// number of servers, to match fault targets when it is known.
func (v *validator) foreign(total int) {
	s := v.s
	if !s.Foreign() {
		return
	}
	first := -1
	for i, g := range s.Servers {
		if g.HasURLs() {
			first = i
			break
		}
	}
	group := func(i int) string { return fmt.Sprintf("servers[%d] (%s)", i, s.Servers[i].Name) }
	if u := s.unfitted(); u >= 0 {
		a := s.Arrivals
		if a.Load != 0 || v.given("arrivals.load") {
			v.errorf("arrivals.load", "a load is a fraction of the servers' capacity, and %s gives urls without a service time, so no one knows its capacity; use rate (requests per second), or give the group a fitted service", group(u))
		}
		if a.Process == "closed" {
			v.errorf("arrivals.process", "a closed loop over someone else's servers needs their service time (the rig is measured at the loop's expected rate): give %s a fitted service, or use an open process with a rate", group(u))
		}
	}
	if s.Classes != nil {
		v.errorf("classes", "a class's size or service cannot be imposed on someone else's servers (%s gives urls); remove classes", group(first))
	}
	if s.Cancel {
		v.errorf("cancel", "cancel frees an emulated server's worker; someone else's servers (%s gives urls) stop work on a closed request or not by themselves; remove it", group(first))
	}
	if li := s.LoadInfo; li != nil && li.Source == LoadServers {
		v.errorf("load_info.source", "servers: the proxy polls the emulated servers' load probe, which someone else's servers (%s gives urls) do not answer; use source: local", group(first))
	}
	if total < 1 || total > maxServers || v.isBad("servers") {
		return
	}
	list := s.ServerList()
	for i, f := range s.Faults {
		if f.Target == "" || f.Kind == "" {
			continue
		}
		for _, si := range s.FaultTargets(i) {
			if list[si].URL == "" {
				continue
			}
			v.errorf(join(index("faults", i), "target"), "%s matches %s, one of someone else's servers (urls): Fulcrum cannot %s it; target emulated servers only",
				quote(f.Target), list[si].Name, faultVerb(f.Kind))
			break
		}
	}
}

// faultVerb says what a fault of kind would do to a server.
func faultVerb(kind string) string {
	switch kind {
	case "crash":
		return "crash"
	case "slowdown":
		return "slow down"
	case "errors":
		return "make errors on"
	case FaultRestart:
		return "restart"
	}
	return "apply a " + kind + " fault to"
}
