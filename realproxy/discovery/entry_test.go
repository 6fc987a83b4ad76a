package discovery

import (
	"strings"
	"testing"
)

func TestParseEntry(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Backend
		err  string // a part of the error; "" = none
	}{
		{"http://127.0.0.1:5001", Backend{URL: "http://127.0.0.1:5001"}, ""},
		{"  https://web-1.internal/api \n", Backend{URL: "https://web-1.internal/api"}, ""},
		{`"http://127.0.0.1:5001"`, Backend{URL: "http://127.0.0.1:5001"}, ""},
		{`{"url": "http://127.0.0.1:5001", "weight": 2.5}`, Backend{URL: "http://127.0.0.1:5001", Weight: 2.5}, ""},
		{`{"url": "http://127.0.0.1:5001", "name": "web-a"}`, Backend{Name: "web-a", URL: "http://127.0.0.1:5001"}, ""},
		{"", Backend{}, "empty"},
		{"127.0.0.1:5001", Backend{}, "not an absolute http(s) URL"},
		{"ftp://127.0.0.1:5001", Backend{}, "not an absolute http(s) URL"},
		{"http://", Backend{}, "has no host"},
		{"http://u:p@127.0.0.1:5001", Backend{}, "user info"},
		{"http://127.0.0.1:5001/#x", Backend{}, "fragment"},
		{`{"url": "http://127.0.0.1:5001", "weight": 0}`, Backend{}, `"weight" 0: write a number > 0`},
		{`{"url": "http://127.0.0.1:5001", "weight": -1}`, Backend{}, `"weight" -1`},
		{`{"url": "http://127.0.0.1:5001", "weight": "2"}`, Backend{}, `"weight" "2" is not a number`},
		{`{"url": "http://127.0.0.1:5001", "weigth": 2}`, Backend{}, `unknown key "weigth"`},
		{`{"weight": 2}`, Backend{}, `no "url"`},
		{`{"url": 5}`, Backend{}, `"url" is a JSON number, want a URL in a string`},
		{`{"url": "http://127.0.0.1:5001"`, Backend{}, "JSON syntax"},
		{`{"url": "http://127.0.0.1:5001", "name": " "}`, Backend{}, `"name" is empty`},
		{`{"url": "http://127.0.0.1:5001"} {}`, Backend{}, "more than one JSON value"},
		{`["http://127.0.0.1:5001"]`, Backend{}, "a list"},
	} {
		got, err := ParseEntry([]byte(tc.in))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ParseEntry(%q): %v", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseEntry(%q) = %+v, %v; want an error containing %q", tc.in, got, err, tc.err)
		case got != tc.want:
			t.Errorf("ParseEntry(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		raw, base string
		want      URL
		err       string
	}{
		{"etcd://127.0.0.1:2379/services/web", "", URL{Scheme: "etcd", Endpoints: []string{"http://127.0.0.1:2379"}, Prefix: "/services/web/"}, ""},
		{"etcd://10.0.0.1:2379,10.0.0.2:2379/svc/", "", URL{Scheme: "etcd", Endpoints: []string{"http://10.0.0.1:2379", "http://10.0.0.2:2379"}, Prefix: "/svc/"}, ""},
		{"etcd://[::1]:2379/a%20b", "", URL{Scheme: "etcd", Endpoints: []string{"http://[::1]:2379"}, Prefix: "/a b/"}, ""},
		{"file:///etc/fulcrum/servers.json", "/elsewhere", URL{Scheme: "file", Path: "/etc/fulcrum/servers.json"}, ""},
		{"file://localhost/etc/servers.json", "", URL{Scheme: "file", Path: "/etc/servers.json"}, ""},
		{"file:servers.json", "/etc/fulcrum", URL{Scheme: "file", Path: "/etc/fulcrum/servers.json"}, ""},
		{"", "", URL{}, "empty"},
		{"servers.json", "", URL{}, "no scheme: write etcd://HOST:PORT/PREFIX or file:///path/servers.json (for a file: file:servers.json)"},
		{"/etc/servers.json", "", URL{}, "no scheme"},
		{"consul://127.0.0.1:8500/web", "", URL{}, `unknown scheme "consul"`},
		{"etcd://127.0.0.1:2379", "", URL{}, "no key prefix"},
		{"etcd://127.0.0.1:2379/", "", URL{}, "no key prefix"},
		{"etcd://127.0.0.1/web", "", URL{}, `"127.0.0.1" is not HOST:PORT`},
		{"etcd:///web", "", URL{}, "no host"},
		{"etcd:127.0.0.1:2379/web", "", URL{}, "write etcd://HOST:PORT/PREFIX"},
		{"etcd://root:pw@127.0.0.1:2379/web", "", URL{}, "user info"},
		{"etcd://127.0.0.1:2379/web?x=1", "", URL{}, "query"},
		{"etcds://127.0.0.1:2379/web", "", URL{}, "TLS"},
		{"file://host/etc/servers.json", "", URL{}, `names no host (here "host")`},
		{"file:///etc/", "", URL{}, "no file name"},
	} {
		got, err := ParseURL(tc.raw, tc.base)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURL(%q) = %+v, %v; want an error containing %q", tc.raw, got, err, tc.err)
			}
			continue
		}
		tc.want.Raw = tc.raw
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.raw, err)
		} else if got.Scheme != tc.want.Scheme || got.Prefix != tc.want.Prefix || got.Path != tc.want.Path || strings.Join(got.Endpoints, " ") != strings.Join(tc.want.Endpoints, " ") || got.Raw != tc.raw {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.raw, got, tc.want)
		}
	}
}
