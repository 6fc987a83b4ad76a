package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadClassic(t *testing.T) {
	checkLeaks(t)
	a, b := newTestBackend(t, "a"), newTestBackend(t, "b")
	var heads atomic.Int64
	for _, be := range []*testBackend{a, b} {
		be.setHandler(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead && r.URL.Path == "/" {
				heads.Add(1) // the classic check: HEAD on the server's URL itself
			}
			w.Write([]byte("ok " + be.name))
		})
	}
	// Tests listen on loopback only; a real file says ":8080". A check
	// times out after 5s, not the default min(1s, interval) = 20ms: with
	// fall 1, one check answered late on a busy machine would take a
	// server out; a closed server fails its checks at once.
	path := writeFile(t, "lb.json", fmt.Sprintf(`{
		"port": "127.0.0.1:0",
		"healthCheckInterval": "20ms",
		"healthCheckTimeout": "5s",
		"servers": [%q, %q]
	}`, a.URL(), b.URL()))
	cfg, err := LoadClassic(path)
	if err != nil {
		t.Fatal(err)
	}
	hc := *cfg.Health
	if cfg.Algorithm != "round-robin" || hc.Method != "HEAD" || !hc.BareURL || hc.Rise != 1 || hc.Fall != 1 || hc.Interval != 20*time.Millisecond || hc.Timeout != 5*time.Second ||
		cfg.Listen != "127.0.0.1:0" || cfg.Retries != 0 || cfg.Timeout != 0 {
		t.Fatalf("classic config: %+v, health %+v", cfg, hc)
	}
	var hl healthLog
	cfg.OnHealth = hl.record
	p := startProxy(t, cfg)
	client := newClient(t)
	var got []string
	for range 4 {
		r := get(t, client, p.URL()+"/page")
		got = append(got, r.backend)
	}
	if got[0] == got[1] || got[0] != got[2] || got[1] != got[3] {
		t.Fatalf("classic default is round-robin; got %v", got)
	}
	eventually(t, "HEAD checks reach the servers' URLs", func() bool { return heads.Load() >= 4 })

	// Rise 1, fall 1: one failed check takes a server out, one success
	// brings it back.
	a.close()
	eventually(t, "a is out", func() bool { return hl.has(a.URL() + " down") })
	a.restart(t)
	eventually(t, "a is back", func() bool { return hl.has(a.URL() + " up") })
}

func TestLoadClassicOptions(t *testing.T) {
	path := writeFile(t, "lb.json", `{"port": "9090", "healthCheckInterval": "5s",
		"servers": ["http://10.0.0.1:5001", "http://10.0.0.2:5001"],
		"algorithm": "p2c", "params": {"choices": 2},
		"healthCheckPath": "/healthz", "healthCheckMethod": "get",
		"timeout": "250ms", "retries": 2, "exposeBackend": true, "trustForwarded": true,
		"sessionCookie": "sid", "readHeaderTimeout": "3s", "retryNonIdempotent": true,
		"clientTimeout": "20s", "healthCheckTimeout": "500ms", "healthCheckRise": 2, "healthCheckFall": 3}`)
	cfg, err := LoadClassic(path)
	if err != nil {
		t.Fatal(err)
	}
	hc := *cfg.Health
	if cfg.Listen != ":9090" || cfg.Algorithm != "p2c" || cfg.Params["choices"] != 2.0 ||
		hc.Path != "/healthz" || hc.BareURL || hc.Method != "GET" || hc.Interval != 5*time.Second ||
		cfg.Timeout != 250*time.Millisecond || cfg.Retries != 2 || !cfg.ExposeBackend || !cfg.TrustForwarded ||
		cfg.SessionCookie != "sid" || cfg.ReadHeaderTimeout != 3*time.Second || !cfg.RetryNonIdempotent ||
		cfg.ClientTimeout != 20*time.Second || hc.Timeout != 500*time.Millisecond || hc.Rise != 2 || hc.Fall != 3 {
		t.Fatalf("options: %+v, health %+v", cfg, hc)
	}
	if _, err := New(cfg); err != nil {
		t.Fatalf("New: %v", err)
	}
}

func TestLoadClassicErrors(t *testing.T) {
	for _, c := range []struct {
		name, content, want string
	}{
		{"unknown key", `{"prot": ":8080", "servers": ["http://h:1"]}`, `unknown key "prot" (known: port, `},
		{"no servers", `{"port": ":8080"}`, `"servers" is required`},
		{"bad interval", `{"servers": ["http://h:1"], "healthCheckInterval": "2"}`, `healthCheckInterval: "2" is not a duration`},
		{"bad timeout", `{"servers": ["http://h:1"], "timeout": "-1s"}`, `timeout: "-1s" is negative`},
		{"bad server", `{"servers": ["http://h:1", "localhost:5002"]}`, `servers[1]: url "localhost:5002" is not an absolute http(s) URL`},
		{"wrong type", `{"servers": ["http://h:1"], "retries": "2"}`, `retries: got string, want an integer`},
		{"servers not a list", `{"servers": "http://h:1"}`, `servers: got string, want a list of strings`},
		{"unknown algorithm", `{"servers": ["http://h:1"], "algorithm": "fastest"}`, `unknown algorithm "fastest"`},
		{"bad param", `{"servers": ["http://h:1"], "algorithm": "p2c", "params": {"choices": 0}}`, `param "choices"`},
		{"syntax", "{\n\"servers\": [\"http://h:1\"],\n}", `bad.json:3: `},
		{"not an object", `["http://h:1"]`, `want a JSON object`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "bad.json", c.content)
			_, err := LoadClassic(path)
			if err == nil || !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadClassic: %v\nwant an error starting with the file name and containing %q", err, c.want)
			}
		})
	}
	if _, err := LoadClassic(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
}

// okServers is a valid "servers" entry for the cases below.
const okServers = `"servers": ["http://h:1"]`

// classicMessageCases are bad classic files and the whole error each gives,
// for TestLoadClassicMessages (which explains want) and as FuzzParseClassic's
// seeds.
var classicMessageCases = []struct{ name, content, want string }{
	{"servers missing", `{"port": ":8080"}`,
		`F: "servers" is required: a list of server URLs, e.g. "servers": ["http://localhost:5001", "http://localhost:5002"]`},
	{"servers null", `{"servers": null}`,
		`F: "servers" is required: a list of server URLs, e.g. "servers": ["http://localhost:5001", "http://localhost:5002"]`},
	{"servers empty", "{\n  \"servers\": []\n}",
		`F:2: servers: empty: list at least one server URL, e.g. ["http://localhost:5001", "http://localhost:5002"]`},
	{"servers a string", "{\n  \"servers\": \"http://h:1\"\n}",
		`F:2: servers: got string, want a list of strings (write ["http://h:1"])`},
	{"server without scheme", "{\"servers\": [\n  \"http://h:1\",\n  \"localhost:5001\"\n]}",
		`F:3: servers[1]: url "localhost:5001" is not an absolute http(s) URL: it has no scheme (write "http://localhost:5001")`},
	{"server without host", "{\"servers\": [\n  \"http://\"]}",
		`F:2: servers[0]: url "http://" is not an absolute http(s) URL: it has no host (write e.g. "http://localhost:5001")`},
	{"server not http", "{\"servers\": [\"ftp://x\"]}",
		`F:1: servers[0]: url "ftp://x" is not an absolute http(s) URL: the proxy speaks http or https, not "ftp" (write "http://x")`},
	{"server one slash", "{\"servers\": [\"http:/x\"]}",
		`F:1: servers[0]: url "http:/x" is not an absolute http(s) URL: it has no scheme (write "http://x")`},
	{"server empty", "{\"servers\": [\"\"]}",
		`F:1: servers[0]: url "" is not an absolute http(s) URL: it is empty (write e.g. "http://localhost:5001")`},
	{"server bad port", "{\"servers\": [\"http://h:x\"]}",
		`F:1: servers[0]: url "http://h:x" is not an absolute http(s) URL: invalid port ":x" after host (write e.g. "http://localhost:5001")`},
	{"server a number", "{\"servers\": [5001]}",
		`F:1: servers[0]: got number, want a URL in a string (write e.g. "http://localhost:5001")`},
	{"server with user", "{\"servers\": [\"http://u:p@h:1\"]}",
		`F:1: servers[0]: url "http://u:p@h:1" has user info (user@ or user:password@): remove it`},
	{"server with fragment", "{\"servers\": [\"http://h:1/#top\"]}",
		`F:1: servers[0]: url "http://h:1/#top" has a fragment (#...): remove it`},
	{"server twice", "{\"servers\": [\"http://h:1\",\n \"http://h:1\"]}",
		`F:2: servers[1]: "http://h:1" is listed twice (also servers[0]): list each server once`},
	{"interval without unit", "{" + okServers + ",\n\n\n  \"healthCheckInterval\": \"2\"}",
		`F:4: healthCheckInterval: "2" is not a duration: it lacks a unit (write "2s" or "2ms")`},
	{"interval a word", "{" + okServers + ",\n\n\n  \"healthCheckInterval\": \"fast\"}",
		`F:4: healthCheckInterval: "fast" is not a duration (write e.g. "2s" or "500ms")`},
	{"interval a number", "{" + okServers + ",\n  \"healthCheckInterval\": 2}",
		`F:2: healthCheckInterval: got number, want a duration in a string (write "2s" for seconds)`},
	{"interval zero", "{" + okServers + ",\n  \"healthCheckInterval\": \"0s\"}",
		`F:2: healthCheckInterval: "0s" must be positive (write e.g. "2s")`},
	{"interval negative", "{" + okServers + ",\n  \"healthCheckInterval\": \"-2s\"}",
		`F:2: healthCheckInterval: "-2s" is negative (write e.g. "2s")`},
	{"timeout negative", "{" + okServers + ",\n  \"timeout\": \"-1s\"}",
		`F:2: timeout: "-1s" is negative (write e.g. "250ms")`},
	{"port a number", "{" + okServers + ",\n  \"port\": 8080}",
		`F:2: port: got number, want a string (write "8080")`},
	{"port a word", "{" + okServers + ",\n  \"port\": \"http\"}",
		`F:2: port: "http" is not a port number from 0 to 65535 (write e.g. "8080", ":8080" or "127.0.0.1:8080")`},
	{"port too big", "{" + okServers + ",\n  \"port\": \"127.0.0.1:99999\"}",
		`F:2: port: "127.0.0.1:99999": port "99999" is not a number from 0 to 65535 (write e.g. "8080", ":8080" or "127.0.0.1:8080")`},
	{"retries a string", "{" + okServers + ",\n  \"retries\": \"2\"}",
		`F:2: retries: got string, want an integer (write 2, without quotes)`},
	{"retries a fraction", "{" + okServers + ",\n  \"retries\": 1.5}",
		`F:2: retries: 1.5 is not an integer (write e.g. 2, without a decimal point or exponent)`},
	{"retries negative", "{" + okServers + ",\n  \"retries\": -1}",
		`F:2: retries: -1 is negative (write 0 for none, or e.g. 2)`},
	{"retries too many", "{" + okServers + ",\n  \"retries\": 1000}",
		`F:2: retries: 1000 is more than 100 (write e.g. 2)`},
	{"bool a string", "{" + okServers + ",\n  \"exposeBackend\": \"true\"}",
		`F:2: exposeBackend: got string, want true or false (write true, without quotes)`},
	{"params a list", "{" + okServers + ",\n  \"params\": [2]}",
		`F:2: params: got list, want an object (write e.g. {"choices": 2})`},
	{"read header timeout zero", "{" + okServers + ",\n  \"readHeaderTimeout\": \"0s\"}",
		`F:2: readHeaderTimeout: "0s" must be positive (write e.g. "10s")`},
	{"read header timeout a number", "{" + okServers + ",\n  \"readHeaderTimeout\": 10}",
		`F:2: readHeaderTimeout: got number, want a duration in a string (write "10s" for seconds)`},
	{"retry non-idempotent a string", "{" + okServers + ",\n  \"retryNonIdempotent\": \"false\"}",
		`F:2: retryNonIdempotent: got string, want true or false (write false, without quotes)`},
	{"rise zero", "{" + okServers + ",\n  \"healthCheckRise\": 0}",
		`F:2: healthCheckRise: 0 checks: write at least 1 (1 is the classic balancer's)`},
	{"fall a string", "{" + okServers + ",\n  \"healthCheckFall\": \"3\"}",
		`F:2: healthCheckFall: got string, want an integer (write 3, without quotes)`},
	{"client timeout without unit", "{" + okServers + ",\n  \"clientTimeout\": \"30\"}",
		`F:2: clientTimeout: "30" is not a duration: it lacks a unit (write "30s" or "30ms")`},
	{"retry non-idempotent a typo", "{" + okServers + ",\n  \"retryNonIdempotnet\": true}",
		`F:2: unknown key "retryNonIdempotnet" (known: KEYS): did you mean "retryNonIdempotent"?`},
	{"method", "{" + okServers + ",\n  \"healthCheckMethod\": \"GE T\"}",
		`F:2: healthCheckMethod: "GE T" is not an HTTP method (write e.g. "HEAD" or "GET")`},
	{"cookie", "{" + okServers + ",\n  \"sessionCookie\": \"my session\"}",
		`F:2: sessionCookie: "my session" is not a cookie name: no spaces, quotes or separators (write e.g. "fulcrum_session")`},
	{"unknown key, a typo", "{" + okServers + ",\n  \"healtCheckInterval\": \"2s\"}",
		`F:2: unknown key "healtCheckInterval" (known: KEYS): did you mean "healthCheckInterval"?`},
	{"unknown key, a swap", "{" + okServers + ",\n  \"prot\": \"8080\"}",
		`F:2: unknown key "prot" (known: KEYS): did you mean "port"?`},
	{"unknown key, part of one", "{" + okServers + ",\n  \"interval\": \"2s\"}",
		`F:2: unknown key "interval" (known: KEYS): did you mean "healthCheckInterval"?`},
	{"unknown key, another balancer's", "{\"backends\": [\"http://h:1\"]}",
		`F:1: unknown key "backends" (known: KEYS): did you mean "servers"?` + "\n" +
			`F: "servers" is required: a list of server URLs, e.g. "servers": ["http://localhost:5001", "http://localhost:5002"]`},
	{"unknown key, nothing near", "{" + okServers + ",\n  \"colour\": \"blue\"}",
		`F:2: unknown key "colour" (known: KEYS)`},
	{"unknown algorithm, a typo", "{" + okServers + ",\n  \"algorithm\": \"roundrobin\"}",
		`F:2: algorithm: unknown algorithm "roundrobin" (known: ALGS): did you mean "round-robin"?`},
	{"unknown algorithm, short", "{" + okServers + ",\n  \"algorithm\": \"leastconn\"}",
		`F:2: algorithm: unknown algorithm "leastconn" (known: ALGS): did you mean "least-connections"?`},
	{"unknown algorithm", "{" + okServers + ",\n  \"algorithm\": \"fastest\"}",
		`F:2: algorithm: unknown algorithm "fastest" (known: ALGS)`},
	{"bad param", "{" + okServers + ",\n  \"algorithm\": \"p2c\",\n  \"params\": {\n    \"choices\": 0}}",
		`F:4: params: p2c: param "choices": must be an integer >= 1, got 0`},
	{"param out of range", "{" + okServers + ",\n  \"params\": {\"x\": [1,\n 1e999]}}",
		`F:3: params.x[1]: 1e999 is out of range (write a smaller number)`},
	{"key twice", "{" + okServers + ",\n  \"port\": \"8080\",\n  \"port\": \"9090\"}",
		`F:3: port: given twice (first on line 2; only the last would count): remove one`},
	{"key twice, nested", "{" + okServers + ",\n  \"params\": {\"choices\": 2,\n \"choices\": 3}}",
		`F:3: params.choices: given twice (first on line 2; only the last would count): remove one`},
	{"trailing garbage", "{" + okServers + "}\n\nxyz",
		`F:3: unexpected "xyz" after the settings object, which ends on line 1: remove it (a file holds one object)`},
	{"a second object", "{" + okServers + "}\n{}",
		`F:2: unexpected "{}" after the settings object, which ends on line 1: remove it (a file holds one object)`},
	{"empty", "", `F: empty; write a JSON object of settings, e.g. {"port": ":8080", "servers": ["http://localhost:5001"]}`},
	{"blank", " \n\t\n", `F: empty; write a JSON object of settings, e.g. {"port": ":8080", "servers": ["http://localhost:5001"]}`},
	{"a list", "\n[\"http://h:1\"]",
		`F:2: want a JSON object of settings, e.g. {"servers": ["http://localhost:5001"]}; got a list`},
	{"trailing comma", "{\n" + okServers + ",\n}",
		`F:3: JSON syntax: invalid character '}' looking for beginning of object key string (remove the comma before it)`},
	{"missing comma", "{\n" + okServers + "\n\"port\": \"1\"}",
		`F:3: JSON syntax: invalid character '"' after object key:value pair (a comma missing before it?)`},
	{"comment", "{\n" + okServers + " // the backends\n}",
		`F:2: JSON syntax: invalid character '/' after object key:value pair (JSON has no comments)`},
	{"single quotes", "{\n\"servers\": ['http://h:1']}",
		`F:2: JSON syntax: invalid character '\'' looking for beginning of value (JSON takes double quotes, not single ones)`},
	{"bare word", "{" + okServers + ",\n\"timeout\": fast}",
		`F:2: JSON syntax: invalid character 's' in literal false (expecting 'l') (strings take double quotes: write "fast")`},
	{"bare duration", "{" + okServers + ",\n\"timeout\": 2s}",
		`F:2: JSON syntax: invalid character 's' after object key:value pair (strings take double quotes: write "2s")`},
	{"bare address", "{" + okServers + ",\n\"port\": 127.0.0.1:80}",
		`F:2: JSON syntax: invalid character '.' after object key:value pair (strings take double quotes: write "127.0.0.1:80")`},
	{"bare word, no space", "{" + okServers + ",\n\"timeout\":fast}",
		`F:2: JSON syntax: invalid character 's' in literal false (expecting 'l') (strings take double quotes: write "fast")`},
	{"unquoted key", "{\n  servers: []}",
		`F:2: JSON syntax: invalid character 's' looking for beginning of object key string (keys take double quotes: "port")`},
	{"cut short", "{\n" + okServers + ",\n\"port\": \"80",
		`F:3: JSON syntax: unexpected end of JSON input (the file ends before the object does: a } or ] is missing, or a string is not closed)`},
	{"several problems, in line order", "{\n\"timeout\": \"x\",\n\"servers\": [\"h\"],\n\"retries\": true}",
		`F:2: timeout: "x" is not a duration (write e.g. "2s" or "500ms")` + "\n" +
			`F:3: servers[0]: url "h" is not an absolute http(s) URL: it has no scheme (write "http://h")` + "\n" +
			`F:4: retries: got boolean, want an integer (write e.g. 2)`},
}

// TestLoadClassicMessages checks every problem's whole message: the file,
// the line of the key, the key and what to write instead. In want, F stands
// for the file's path, KEYS for the list of known keys and ALGS for the
// known algorithms.
func TestLoadClassicMessages(t *testing.T) {
	var keys, algs []string
	for _, k := range classicKeys {
		keys = append(keys, k.name)
	}
	for _, a := range algorithms.List() {
		algs = append(algs, a.Name)
	}
	for _, c := range classicMessageCases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "config.json", c.content)
			_, err := LoadClassic(path)
			want := strings.NewReplacer("F:", path+":", "KEYS", strings.Join(keys, ", "), "ALGS", strings.Join(algs, ", ")).Replace(c.want)
			var errs ClassicErrors
			if err == nil || err.Error() != want || !errors.As(err, &errs) {
				t.Fatalf("LoadClassic:\n%v\nwant\n%s", err, want)
			}
		})
	}
	dir := t.TempDir()
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.json"), "no such file (give the path of the proxy's JSON configuration, e.g. --config config.json)"},
		{dir, "is a directory, not a file (give the path of the JSON configuration, e.g. --config " + filepath.Join(dir, "config.json") + ")"},
	} {
		if _, err := LoadClassic(c.path); err == nil || err.Error() != c.path+": "+c.want {
			t.Errorf("LoadClassic(%s): %v\nwant %s: %s", c.path, err, c.path, c.want)
		}
	}
}

// TestLoadClassicLenient checks what a file may leave out or write
// loosely: null is as if the key were absent, empty strings keep the
// default, a byte order mark is skipped.
func TestLoadClassicLenient(t *testing.T) {
	for _, content := range []string{
		`{"servers": ["http://h:1"]}`,
		"\xef\xbb\xbf" + `{"servers": ["http://h:1"]}`,
		`{"servers": ["http://h:1"], "port": null, "timeout": null, "retries": null, "params": null}`,
		`{"servers": ["http://h:1"], "port": "", "algorithm": "", "healthCheckInterval": "", "timeout": ""}`,
		"\n\n" + `{"servers": ["HTTP://h:1"]}` + "\n\n",
	} {
		cfg, err := parseClassic([]byte(content))
		if err != nil {
			t.Errorf("%q: %v", content, err)
			continue
		}
		if cfg.Listen != ":8080" || cfg.Algorithm != DefaultAlgorithm || cfg.Health.Interval != 2*time.Second || cfg.Timeout != 0 || cfg.Retries != 0 ||
			cfg.ReadHeaderTimeout != 0 || cfg.RetryNonIdempotent {
			t.Errorf("%q: not the defaults: %+v, health %+v", content, cfg, *cfg.Health)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"port", "port", 0}, {"", "abc", 3}, {"prot", "port", 1}, {"healtcheckinterval", "healthcheckinterval", 1},
		{"kitten", "sitting", 3}, {"ca", "abc", 3}, {"servers", "server", 1},
	} {
		if d := editDistance(c.a, c.b); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
		if d := editDistance(c.b, c.a); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.b, c.a, d, c.d)
		}
	}
}

// FuzzParseClassic checks that parseClassic never panics, that every
// problem it reports is a ClassicError with a message and a line inside the
// file, that it says the same of the same bytes twice, and that what it
// accepts New accepts.
func FuzzParseClassic(f *testing.F) {
	f.Add([]byte(`{"port": ":8080", "healthCheckInterval": "2s", "servers": ["http://localhost:5001"]}`))
	f.Add([]byte(`{"servers": ["http://h:1"], "params": {"choices": 2, "x": [1, {"y": 2}]}}`))
	f.Add([]byte(`{"port": "9090", "healthCheckInterval": "5s", "servers": ["http://10.0.0.1:5001", "http://10.0.0.2:5001"],
		"algorithm": "p2c", "params": {"choices": 2}, "healthCheckPath": "/healthz", "healthCheckMethod": "get",
		"timeout": "250ms", "retries": 2, "exposeBackend": true, "trustForwarded": true, "sessionCookie": "sid",
		"readHeaderTimeout": "3s", "retryNonIdempotent": true}`))
	for _, c := range classicMessageCases {
		f.Add([]byte(c.content))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseClassic(data)
		if err != nil {
			var errs ClassicErrors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T is not a non-empty ClassicErrors: %v", err, err)
			}
			lines := 1 + bytes.Count(data, []byte("\n"))
			for _, e := range errs {
				if e.Line < 0 || e.Line > lines || e.Msg == "" || e.File != "" {
					t.Fatalf("bad error %#v in a file of %d lines", e, lines)
				}
			}
			if _, again := parseClassic(data); again == nil || again.Error() != err.Error() {
				t.Fatalf("parsed twice, two answers:\n%v\n%v", err, again)
			}
			return
		}
		if _, err := New(cfg); err != nil {
			t.Fatalf("parseClassic accepted a config New rejects: %v", err)
		}
	})
}

// TestLoadClassicDiscovery: "discovery" instead of "servers" (never both),
// its URL's syntax checked where it is written, and a file for bench proxy
// --discovery, which must give neither. In want, F stands for the file.
func TestLoadClassicDiscovery(t *testing.T) {
	for _, c := range []struct {
		name, content string
		withFlag      bool   // LoadClassicWithDiscovery
		want          string // the error, or "" and wantURL
		wantURL       string
	}{
		{"etcd", `{"discovery": "etcd://127.0.0.1:2379/services/web/"}`, false, "", "etcd://127.0.0.1:2379/services/web/"},
		{"file", `{"port": "127.0.0.1:0", "discovery": "file:servers.json", "algorithm": "p2c"}`, false, "", "file:servers.json"},
		{"both", "{\"servers\": [\"http://h:1\"],\n\"discovery\": \"file:///s.json\"}", false,
			`F:2: discovery: given with "servers" (line 1): the backends come from one of them; remove one`, ""},
		{"no prefix", "{\n\"discovery\": \"etcd://127.0.0.1:2379\"}", false,
			`F:2: discovery: no key prefix: write etcd://HOST:PORT/PREFIX, e.g. etcd://127.0.0.1:2379/services/web/ (every key under it is a backend) (got "etcd://127.0.0.1:2379")`, ""},
		{"no scheme", `{"discovery": "servers.json"}`, false,
			`F:1: discovery: no scheme: write etcd://HOST:PORT/PREFIX or file:///path/servers.json (for a file: file:servers.json) (got "servers.json")`, ""},
		{"not a string", `{"discovery": ["file:///s.json"]}`, false,
			`F:1: discovery: got list, want a string (write e.g. "etcd://127.0.0.1:2379/services/web/")`, ""},
		{"flag, none in the file", `{"port": "127.0.0.1:0"}`, true, "", ""},
		{"flag and servers", "{\"port\": \"127.0.0.1:0\",\n\"servers\": [\"http://h:1\"]}", true,
			`F:2: servers: the backends come from --discovery: remove "servers" (or --discovery)`, ""},
		{"flag and discovery", "{\"discovery\": \"file:///s.json\"}", true,
			`F:1: discovery: the backends come from --discovery: remove "discovery" (or --discovery)`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "config.json", c.content)
			load := LoadClassic
			if c.withFlag {
				load = LoadClassicWithDiscovery
			}
			cfg, err := load(path)
			if c.want != "" {
				if want := strings.Replace(c.want, "F", path, 1); err == nil || err.Error() != want {
					t.Fatalf("error\n%v\nwant\n%s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DiscoveryURL != c.wantURL || len(cfg.Backends) != 0 {
				t.Errorf("DiscoveryURL %q, %d backends; want %q and none", cfg.DiscoveryURL, len(cfg.Backends), c.wantURL)
			}
			// New will not run a proxy whose source nobody opened.
			if c.wantURL != "" {
				if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "is not opened") {
					t.Errorf("New with an unopened discovery URL: %v", err)
				}
			}
		})
	}
}
