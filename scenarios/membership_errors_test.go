package scenarios

import (
	"encoding/json"
	"strings"
	"testing"
)

// membershipHead is a valid scenario of four lines with two server groups;
// cases append to it from line 5.
const membershipHead = `name: t
duration: 60s
arrivals: {load: 0.5}
algorithms: [round-robin]
`

func TestMembershipErrors(t *testing.T) {
	group := func(keys string) string {
		return membershipHead + "servers:\n  - {name: web, count: 4, service: {dist: exponential, mean: 10ms}" + keys + "}\n"
	}
	restart := func(keys string) string {
		return group("") + "faults:\n  - {kind: restart" + keys + "}\n"
	}
	for _, tc := range []struct{ name, in, want string }{
		{"join negative", group(", join: -1s"), `x.yaml:6: servers[0].join: must not be negative, got -1s (0s: a member from the start)`},
		{"join after the end", group(", join: 60s"), `x.yaml:6: servers[0].join: 1m0s is not before the end of the run (duration 1m0s): the group would never join`},
		{"leave negative", group(", leave: -5s"), `x.yaml:6: servers[0].leave: must not be negative, got -5s (0s, the default, means never)`},
		{"leave before join", group(", join: 30s, leave: 20s"), `x.yaml:6: servers[0].leave: 20s is not after join (30s): a group leaves after it joins`},
		{"leave at join", group(", join: 30s, leave: 30s"), `x.yaml:6: servers[0].leave: 30s is not after join (30s): a group leaves after it joins`},
		{"join not a duration", group(", join: 30"), `x.yaml:6: servers[0].join: "30" is not a duration (e.g. 10ms)`},
		{"restart without target", restart(""), `x.yaml:8: faults[0].target: required: a server name or a glob over server names, e.g. web-3 or "web-*"`},
		{"restart batch 0", restart(", target: \"web-*\", batch: 0"), `x.yaml:8: faults[0].batch: must be at least 1 (servers restarted at a time), got 0`},
		{"restart batch negative", restart(", target: \"web-*\", batch: -2"), `x.yaml:8: faults[0].batch: must be at least 1 (servers restarted at a time), got -2`},
		{"restart down negative", restart(", target: \"web-*\", down: -1s"), `x.yaml:8: faults[0].down: must not be negative, got -1s (how long each server is down after its drain; 0s rejoins at once)`},
		{"restart with duration", restart(", target: \"web-*\", duration: 10s"), `x.yaml:8: faults[0].duration: does not apply to a restart: it lasts as long as its batches take (batch, down)`},
		{"restart with mtbf", restart(", target: \"web-*\", mtbf: 10s, mttr: 1s"), `x.yaml:8: faults[0].mtbf: does not apply to a restart: a rolling restart is scheduled, not random`},
		{"restart at the end", restart(", target: \"web-*\", at: 60s"), `x.yaml:8: faults[0].at: 1m0s is not before the end of the run (duration 1m0s): the fault would never happen`},
		{"restart matches nothing", restart(", target: \"db-*\""), `x.yaml:8: faults[0].target: "db-*" matches no server; the servers are web-0..web-3`},
		{"batch on a crash", group("") + "faults:\n  - {kind: crash, target: web-0, batch: 2}\n", `x.yaml:8: faults[0].batch: applies only to restart faults, not crash`},
		{"down on a slowdown", group("") + "faults:\n  - {kind: slowdown, factor: 2, target: web-0, down: 2s}\n", `x.yaml:8: faults[0].down: applies only to restart faults, not slowdown`},
		{"unknown kind", group("") + "faults:\n  - {kind: reboot, target: web-0}\n", `x.yaml:8: faults[0].kind: unknown fault kind "reboot"; use crash, slowdown, errors or restart`},
		{"several at once", membershipHead + "servers:\n  - {name: web, count: 4, service: {dist: exponential, mean: 10ms}, join: -1s}\n" +
			"  - {name: api, count: 2, service: {dist: exponential, mean: 10ms}, join: 10s, leave: 5s}\n" +
			"faults:\n  - {kind: restart, target: \"api-*\", batch: 0, down: -1s}\n", strings.Join([]string{
			`x.yaml:6: servers[0].join: must not be negative, got -1s (0s: a member from the start)`,
			`x.yaml:7: servers[1].leave: 5s is not after join (10s): a group leaves after it joins`,
			`x.yaml:9: faults[0].batch: must be at least 1 (servers restarted at a time), got 0`,
			`x.yaml:9: faults[0].down: must not be negative, got -1s (how long each server is down after its drain; 0s rejoins at once)`,
		}, "\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("no error; loaded %+v", s)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestMembershipDefaults: a restart's batch is 1 unless given, down 0s;
// join and leave default to 0s (a member from the start, never leaving),
// and the resolved scenario writes them only when set, so it reloads to
// the same scenario.
func TestMembershipDefaults(t *testing.T) {
	in := membershipHead + "servers:\n  - {name: web, count: 4, service: {dist: exponential, mean: 10ms}}\n" +
		"  - {name: new, count: 2, service: {dist: exponential, mean: 10ms}, join: 10s, leave: 50s}\n" +
		"faults:\n  - {kind: restart, target: \"web-*\", at: 5s}\n  - {kind: restart, target: \"web-*\", at: 30s, batch: 2, down: 3s}\n"
	s, err := Parse("x.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if g := s.Servers[0]; g.Join != 0 || g.Leave != 0 {
		t.Errorf("web: join %v leave %v, want 0 0", g.Join, g.Leave)
	}
	if g := s.Servers[1]; g.Join != 10e9 || g.Leave != 50e9 {
		t.Errorf("new: join %v leave %v, want 10s 50s", g.Join, g.Leave)
	}
	if f := s.Faults[0]; f.Batch != 1 || f.Down != 0 {
		t.Errorf("faults[0]: batch %d down %v, want 1 0s", f.Batch, f.Down)
	}
	if f := s.Faults[1]; f.Batch != 2 || f.Down != 3e9 {
		t.Errorf("faults[1]: batch %d down %v, want 2 3s", f.Batch, f.Down)
	}
	data := mustJSON(t, s.Resolved())
	for _, want := range []string{`"join":"10s"`, `"leave":"50s"`, `"batch":2`, `"down":"3s"`} {
		if !strings.Contains(data, want) {
			t.Errorf("resolved scenario lacks %s:\n%s", want, data)
		}
	}
	again, err := Parse("resolved.json", []byte(data))
	if err != nil {
		t.Fatalf("the resolved scenario does not load: %v", err)
	}
	if got := mustJSON(t, again.Resolved()); got != data {
		t.Errorf("reloaded differs:\n%s\nwant:\n%s", got, data)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
