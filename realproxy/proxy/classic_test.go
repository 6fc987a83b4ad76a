package proxy

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
	// Tests listen on loopback only; a real file says ":8080".
	path := writeFile(t, "lb.json", fmt.Sprintf(`{
		"port": "127.0.0.1:0",
		"healthCheckInterval": "20ms",
		"servers": [%q, %q]
	}`, a.URL(), b.URL()))
	cfg, err := LoadClassic(path)
	if err != nil {
		t.Fatal(err)
	}
	hc := *cfg.Health
	if cfg.Algorithm != "round-robin" || hc.Method != "HEAD" || !hc.BareURL || hc.Rise != 1 || hc.Fall != 1 || hc.Interval != 20*time.Millisecond ||
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
		"sessionCookie": "sid"}`)
	cfg, err := LoadClassic(path)
	if err != nil {
		t.Fatal(err)
	}
	hc := *cfg.Health
	if cfg.Listen != ":9090" || cfg.Algorithm != "p2c" || cfg.Params["choices"] != 2.0 ||
		hc.Path != "/healthz" || hc.BareURL || hc.Method != "GET" || hc.Interval != 5*time.Second ||
		cfg.Timeout != 250*time.Millisecond || cfg.Retries != 2 || !cfg.ExposeBackend || !cfg.TrustForwarded ||
		cfg.SessionCookie != "sid" {
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
		{"syntax", "{\n\"servers\": [\"http://h:1\"],\n}", `line 3: `},
		{"not an object", `["http://h:1"]`, `want a JSON object`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "bad.json", c.content)
			_, err := LoadClassic(path)
			if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadClassic: %v\nwant an error starting with the file name and containing %q", err, c.want)
			}
		})
	}
	if _, err := LoadClassic(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
}

func FuzzParseClassic(f *testing.F) {
	f.Add([]byte(`{"port": ":8080", "healthCheckInterval": "2s", "servers": ["http://localhost:5001"]}`))
	f.Add([]byte(`{"servers": ["http://h:1"], "params": {"choices": 2, "x": [1, {"y": 2}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseClassic(data)
		if err != nil {
			return
		}
		if _, _, err := cfg.withDefaults(); err != nil {
			t.Fatalf("parseClassic accepted a config New rejects: %v", err)
		}
	})
}
