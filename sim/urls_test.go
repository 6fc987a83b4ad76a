package sim

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// TestRunURLs checks that the simulator refuses someone else's servers
// (servers[].urls) without a service, at the group's line and saying what
// to add, and simulates them with one: the fitted service on one server
// per URL, named as bench run names them.
func TestRunURLs(t *testing.T) {
	const head = "name: u\nseed: 3\nrequests: 2000\narrivals: {rate: 100}\nalgorithms: [round-robin, p2c]\nservers:\n"
	for _, tc := range []struct {
		name, servers string
		err           string // "" = runs
	}{
		{"no service", "  - {name: web, urls: [http://127.0.0.1:5001, http://127.0.0.1:5002]}\n",
			"u.yaml:7: servers[0].urls: sim cannot model someone else's servers without their service time: give group web a fitted service"},
		{"mixed, no service", "  - {name: emu, count: 2, service: {dist: constant, value: 1ms}}\n  - {name: web, urls: [http://127.0.0.1:5001]}\n",
			"u.yaml:8: servers[1].urls: sim cannot model"},
		{"fitted", "  - {name: web, urls: [http://127.0.0.1:5001, http://127.0.0.1:5002], service: {dist: exponential, mean: 2ms}}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := scenarios.Parse("u.yaml", []byte(head+tc.servers))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Run(context.Background(), sc, Options{})
			if tc.err != "" {
				var e *scenarios.Error
				if err == nil || !errors.As(err, &e) || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error starting %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range s.Algorithms {
				if a.Requests != 2000 || len(a.Servers) != 2 || a.Servers[0].Name != "web-0" || a.Servers[1].Name != "web-1" ||
					a.Servers[0].Requests+a.Servers[1].Requests != a.Requests {
					t.Errorf("%s: %d requests, servers %+v", a.Label, a.Requests, a.Servers)
				}
			}
		})
	}
}
