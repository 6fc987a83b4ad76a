package model_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/fulcrum-lb/fulcrum/model"
)

// memberScript runs m to the end as an engine would, with every leaving
// server holding work for drain(server) after it leaves, and returns the
// changes as "t server kind" lines.
func memberScript(m *Membership, names []string, drain func(si int) time.Duration) []string {
	var out []string
	type pending struct {
		at time.Duration
		si int
	}
	var drains []pending
	log := func(now time.Duration, cs []MemberChange) {
		for _, c := range cs {
			kind := [...]string{"join", "leave", "drained"}[c.Kind]
			if c.Restart {
				kind = "restart " + kind
			}
			out = append(out, fmt.Sprintf("%v %s %s", now, names[c.Server], kind))
			if c.Kind == Leave {
				drains = append(drains, pending{now + drain(c.Server), c.Server})
			}
		}
	}
	for {
		next, ok := m.Next()
		// The earliest drain, if it comes before the next step (ties:
		// the drain first, as an answer already on the queue).
		best := -1
		for i, d := range drains {
			if best < 0 || d.at < drains[best].at {
				best = i
			}
		}
		switch {
		case best >= 0 && (!ok || drains[best].at <= next):
			d := drains[best]
			drains = append(drains[:best], drains[best+1:]...)
			log(d.at, m.Drained(d.si, d.at))
		case ok:
			log(next, m.Advance(next))
		default:
			return out
		}
	}
}

// TestMembershipSchedule pins the documented order and timing: a restart
// takes batch servers at a time in server order; each is down for `down`
// from its own drain's end and rejoins; the next batch leaves when the
// last of the batch has rejoined; targets out of the pool are skipped; a
// group that leaves during a restart does not come back.
func TestMembershipSchedule(t *testing.T) {
	const s = time.Second
	servers := "servers:\n  - {name: web, count: 5, service: {dist: exponential, mean: 1ms}}\n" +
		"  - {name: new, count: 2, service: {dist: exponential, mean: 1ms}, join: 10s, leave: 40s}\n"
	for _, tc := range []struct {
		name   string
		faults string
		drain  func(si int) time.Duration
		want   []string
	}{
		{"groups only", "", func(int) time.Duration { return 0 }, []string{
			"10s new-0 join", "10s new-1 join",
			"40s new-0 leave", "40s new-1 leave",
			"40s new-0 drained", "40s new-1 drained",
		}},
		{"rolling restart, batch 2, drains of 100ms x (server+1)",
			"faults:\n  - {kind: restart, target: \"web-*\", at: 1s, batch: 2, down: 3s}\n",
			func(si int) time.Duration { return time.Duration(si+1) * 100 * time.Millisecond },
			[]string{
				"1s web-0 restart leave", "1s web-1 restart leave",
				"1.1s web-0 restart drained", "1.2s web-1 restart drained",
				"4.1s web-0 restart join", "4.2s web-1 restart join",
				// the batch is back: the next one leaves at once
				"4.2s web-2 restart leave", "4.2s web-3 restart leave",
				"4.5s web-2 restart drained", "4.6s web-3 restart drained",
				"7.5s web-2 restart join", "7.6s web-3 restart join",
				"7.6s web-4 restart leave", "8.1s web-4 restart drained",
				"10s new-0 join", "10s new-1 join",
				"11.1s web-4 restart join",
				"40s new-0 leave", "40s new-1 leave", "40.6s new-0 drained", "40.7s new-1 drained",
			}},
		{"restart before a group joined skips it; a leave during its restart keeps it out",
			"faults:\n  - {kind: restart, target: \"new-*\", at: 5s}\n  - {kind: restart, target: \"new-*\", at: 39s, down: 5s}\n",
			func(int) time.Duration { return 0 },
			[]string{
				"10s new-0 join", "10s new-1 join",
				"39s new-0 restart leave", "39s new-0 restart drained",
				"40s new-1 leave", "40s new-1 drained", // new-0 is down: it will not rejoin
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := parse(t, "arrivals: {rate: 100}\n"+servers, tc.faults)
			names := make([]string, 0, 7)
			for _, sv := range sc.ServerList() {
				names = append(names, sv.Name)
			}
			m := NewMembership(sc)
			got := memberScript(m, names, tc.drain)
			// Steps of the same instant may interleave between the
			// groups and the restart; compare each server's own story
			// and the whole in time order.
			if !sameByTime(got, tc.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for si := range names {
				if m.Member(si) != (si < 5) {
					t.Errorf("%s: member at the end %v", names[si], m.Member(si))
				}
			}
		})
	}
}

// sameByTime reports whether a and b hold the same lines with each
// server's lines in the same order and times never going back.
func sameByTime(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	per := func(l []string) map[string][]string {
		m := map[string][]string{}
		for _, x := range l {
			f := strings.Fields(x)
			m[f[1]] = append(m[f[1]], x)
		}
		return m
	}
	pa, pb := per(a), per(b)
	if len(pa) != len(pb) {
		return false
	}
	for k, v := range pa {
		if strings.Join(v, "|") != strings.Join(pb[k], "|") {
			return false
		}
	}
	var last time.Duration
	for _, x := range a {
		d, _ := time.ParseDuration(strings.Fields(x)[0])
		if d < last {
			return false
		}
		last = d
	}
	return true
}

func TestNoMembership(t *testing.T) {
	sc := parse(t, "arrivals: {rate: 100}\n", "faults:\n  - {kind: crash, target: web-0, at: 1s}\n")
	if m := NewMembership(sc); m != nil {
		t.Errorf("a scenario without join, leave or restart has a membership")
	}
}
