package scenarios

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// urlsHead is a valid scenario of four lines whose servers are someone
// else's; cases append their own servers or keys from line 5.
const urlsHead = `name: t
requests: 100
arrivals: {rate: 50}
algorithms: [round-robin]
`

// urlsGroup is urlsHead with one group of two URLs on line 6, keys added
// to the group.
func urlsGroup(keys string) string {
	return urlsHead + "servers:\n  - {name: web, urls: [http://127.0.0.1:5001, http://127.0.0.1:5002]" + keys + "}\n"
}

// urlsErrorCases are the misuses of servers[].urls and the exact messages.
var urlsErrorCases = []struct {
	name, in, want string
}{
	{"urls with count", urlsGroup(", count: 2"), `x.yaml:6: servers[0].count: does not go with urls: a group of urls has one server per URL; remove count`},
	{"urls empty", urlsHead + "servers:\n  - {name: web, urls: []}\n", `x.yaml:6: servers[0].urls: needs at least one URL, e.g. urls: [http://127.0.0.1:5001, http://127.0.0.1:5002]`},
	{"urls not a list", urlsHead + "servers:\n  - {name: web, urls: http://127.0.0.1:5001}\n", `x.yaml:6: servers[0].urls: expected a list of URLs such as http://127.0.0.1:5001, got "http://127.0.0.1:5001"`},
	{"url not a string", urlsHead + "servers:\n  - name: web\n    urls:\n      - {host: a}\n", `x.yaml:8: servers[0].urls[0]: expected a string, got a mapping`},
	{"url relative", urlsHead + "servers:\n  - {name: web, urls: [127.0.0.1:5001]}\n", `x.yaml:6: servers[0].urls[0]: "127.0.0.1:5001" is not a URL (first path segment in URL cannot contain colon); write an absolute http URL (e.g. http://127.0.0.1:5001)`},
	{"url no scheme", urlsHead + "servers:\n  - {name: web, urls: [/app]}\n", `x.yaml:6: servers[0].urls[0]: "/app" is not an absolute URL: write the scheme and host (e.g. http://127.0.0.1:5001)`},
	{"url scheme", urlsHead + "servers:\n  - {name: web, urls: [\"ftp://127.0.0.1:21\"]}\n", `x.yaml:6: servers[0].urls[0]: "ftp://127.0.0.1:21" has scheme "ftp": the proxy speaks http or https (e.g. http://127.0.0.1:5001)`},
	{"url no host", urlsHead + "servers:\n  - {name: web, urls: [\"http:///x\"]}\n", `x.yaml:6: servers[0].urls[0]: "http:///x" has no host (e.g. http://127.0.0.1:5001)`},
	{"url query", urlsHead + "servers:\n  - {name: web, urls: [\"http://127.0.0.1:5001/?a=1\"]}\n", `x.yaml:6: servers[0].urls[0]: "http://127.0.0.1:5001/?a=1" has a query: a server's URL is a scheme, a host and an optional path prefix; remove it`},
	{"url user", urlsHead + "servers:\n  - {name: web, urls: [\"http://u:p@127.0.0.1:5001\"]}\n", `x.yaml:6: servers[0].urls[0]: "http://u:p@127.0.0.1:5001" carries a user name or password: the proxy would not send them; remove them`},
	{"url port", urlsHead + "servers:\n  - {name: web, urls: [\"http://127.0.0.1:70000\"]}\n", `x.yaml:6: servers[0].urls[0]: "http://127.0.0.1:70000" has port "70000": want 1 to 65535`},
	{"url empty", urlsHead + "servers:\n  - {name: web, urls: [\"\"]}\n", `x.yaml:6: servers[0].urls[0]: "" is empty: write an absolute http URL (e.g. http://127.0.0.1:5001)`},
	{"url duplicate", urlsHead + "servers:\n  - name: web\n    urls:\n      - http://127.0.0.1:5001\n      - HTTP://127.0.0.1:5001/\n",
		`x.yaml:9: servers[0].urls[1]: "HTTP://127.0.0.1:5001/" is given twice (also servers[0].urls[0]): each URL is one server`},
	{"url duplicate across groups", urlsHead + "servers:\n  - {name: web, urls: [http://127.0.0.1:5001]}\n  - {name: api, urls: [http://127.0.0.1:5001]}\n",
		`x.yaml:7: servers[1].urls[0]: "http://127.0.0.1:5001" is given twice (also servers[0].urls[0]): each URL is one server`},
	{"queue_limit", urlsGroup(", queue_limit: 10"), `x.yaml:6: servers[0].queue_limit: Fulcrum cannot impose it on someone else's servers (urls); remove it`},
	{"discipline", urlsGroup(", discipline: ps"), `x.yaml:6: servers[0].discipline: Fulcrum cannot impose it on someone else's servers (urls); remove it`},
	{"concurrency without service", urlsGroup(", concurrency: 4"), `x.yaml:6: servers[0].concurrency: with urls, concurrency is part of a fitted model of the servers, for the simulator: give a service with it, or remove it`},
	{"bad fitted service", urlsGroup(", service: {dist: exponential}"), `x.yaml:6: servers[0].service.mean: exponential needs mean > 0 (e.g. mean: 10ms)`},
	{"load without service", strings.Replace(urlsGroup(""), "rate: 50", "load: 0.5", 1),
		`x.yaml:3: arrivals.load: a load is a fraction of the servers' capacity, and servers[0] (web) gives urls without a service time, so no one knows its capacity; use rate (requests per second), or give the group a fitted service`},
	{"closed without service", strings.Replace(urlsGroup(""), "{rate: 50}", "{process: closed, users: 5}", 1),
		`x.yaml:3: arrivals.process: a closed loop over someone else's servers needs their service time (the rig is measured at the loop's expected rate): give servers[0] (web) a fitted service, or use an open process with a rate`},
	{"classes", urlsGroup("") + "classes: [{name: a}, {name: b, size: 3}]\n", `x.yaml:7: classes: a class's size or service cannot be imposed on someone else's servers (servers[0] (web) gives urls); remove classes`},
	{"cancel", urlsGroup("") + "cancel: true\n", `x.yaml:7: cancel: cancel frees an emulated server's worker; someone else's servers (servers[0] (web) gives urls) stop work on a closed request or not by themselves; remove it`},
	{"load_info servers", urlsGroup("") + "load_info: {source: servers, refresh: 100ms}\n",
		`x.yaml:7: load_info.source: servers: the proxy polls the emulated servers' load probe, which someone else's servers (servers[0] (web) gives urls) do not answer; use source: local`},
	{"crash a url server", urlsGroup("") + "faults:\n  - {at: 1s, target: web-1, kind: crash}\n",
		`x.yaml:8: faults[0].target: "web-1" matches web-1, one of someone else's servers (urls): Fulcrum cannot crash it; target emulated servers only`},
	{"slow every server", urlsHead + "servers:\n  - {name: emu, count: 2, service: {dist: constant, value: 1ms}}\n  - {name: web, urls: [http://127.0.0.1:5001]}\n" +
		"faults:\n  - {at: 1s, target: \"*\", kind: slowdown, factor: 2}\n",
		`x.yaml:9: faults[0].target: "*" matches web-0, one of someone else's servers (urls): Fulcrum cannot slow down it; target emulated servers only`},
	{"restart a url server", urlsGroup("") + "faults:\n  - {target: \"web-*\", kind: restart}\n",
		`x.yaml:8: faults[0].target: "web-*" matches web-0, one of someone else's servers (urls): Fulcrum cannot restart it; target emulated servers only`},
}

func init() { errorCases = append(errorCases, urlsErrorCases...) }

// TestURLs loads valid groups of urls and checks what the engines read:
// the server list (one server per URL, named <name>-j, with its URL),
// the capacity (unknown groups add nothing), what the simulator is told,
// and that the resolved form loads back to the same scenario.
func TestURLs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		servers   []string // name=url ("" for emulated)
		capacity  float64
		simulable bool
	}{
		{"two urls", urlsGroup(""), []string{"web-0=http://127.0.0.1:5001", "web-1=http://127.0.0.1:5002"}, 0, false},
		{"weights, join, leave", strings.Replace(urlsGroup(", weight: 2, join: 1s, leave: 5s"), "requests: 100", "duration: 10s", 1) +
			"health_check: {active: {}, passive: {}}\ntimeout: 1s\nretries: 1\nhedge: {after: 20ms}\n",
			[]string{"web-0=http://127.0.0.1:5001", "web-1=http://127.0.0.1:5002"}, 0, false},
		{"fitted", urlsGroup(", concurrency: 2, service: {dist: constant, value: 10ms}"), []string{"web-0=http://127.0.0.1:5001", "web-1=http://127.0.0.1:5002"}, 400, true},
		{"fitted with a load", strings.Replace(urlsGroup(", service: {dist: constant, value: 10ms}"), "rate: 50", "load: 0.5", 1),
			[]string{"web-0=http://127.0.0.1:5001", "web-1=http://127.0.0.1:5002"}, 200, true},
		{"mixed, faults on the emulated", urlsHead + "servers:\n  - {name: emu, count: 2, service: {dist: constant, value: 10ms}}\n" +
			"  - {name: own, urls: [\"https://example.test/app/\"]}\nfaults:\n  - {at: 1s, target: \"emu-*\", kind: crash, duration: 1s}\n",
			[]string{"emu-0=", "emu-1=", "own-0=https://example.test/app/"}, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, sv := range s.ServerList() {
				got = append(got, sv.Name+"="+sv.URL)
			}
			if !slices.Equal(got, tc.servers) {
				t.Errorf("servers %v, want %v", got, tc.servers)
			}
			if c := s.Capacity(); c != tc.capacity {
				t.Errorf("capacity %v, want %v", c, tc.capacity)
			}
			if !s.Foreign() {
				t.Error("Foreign() is false")
			}
			err = s.Unsimulated("sim")
			if (err == nil) != tc.simulable {
				t.Errorf("Unsimulated: %v, want simulable %v", err, tc.simulable)
			}
			b, err := json.Marshal(s.Resolved())
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("resolved.json", b)
			if err != nil {
				t.Fatalf("the resolved scenario does not load: %v\n%s", err, b)
			}
			if b2, _ := json.Marshal(back.Resolved()); string(b2) != string(b) {
				t.Errorf("round trip changed the bytes:\n%s\n%s", b, b2)
			}
			c := s.Clone()
			c.Servers[len(c.Servers)-1].URLs[0] = "http://changed"
			if s.ServerList()[len(got)-1].URL == "http://changed" {
				t.Error("Clone shares the urls")
			}
		})
	}
}

// TestUnsimulated checks the simulator's message: at each group of urls
// without a service, naming the engine and what to add.
func TestUnsimulated(t *testing.T) {
	s, err := Parse("x.yaml", []byte(urlsHead+"servers:\n  - {name: web, urls: [http://127.0.0.1:5001]}\n  - {name: emu, service: {dist: constant, value: 1ms}}\n  - {name: api, urls: [http://127.0.0.1:5002]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Unsimulated("sim")
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	want := `x.yaml:6: servers[0].urls: sim cannot model someone else's servers without their service time: give group web a fitted service ` +
		`(e.g. service: {dist: lognormal, mean: 12ms, cv: 1.5}, from sim fit on a trace with the servers' own times, such as their access logs through sim import)`
	if es[0].Error() != want || es[1].Line != 8 || es[1].Path != "servers[2].urls" {
		t.Errorf("got\n%v\nwant first\n%s", err, want)
	}
}
