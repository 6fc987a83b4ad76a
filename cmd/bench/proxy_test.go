package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/internal/cli/clitest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// writeConfigFile writes content as config.json in a new directory and
// returns its path.
func writeConfigFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestProxyBadConfig checks that a bad file or flag exits 2 with the
// problem on stderr, as FILE:LINE: KEY: what to write, and nothing on
// stdout. In want, F stands for the file's path.
func TestProxyBadConfig(t *testing.T) {
	leakcheck.Check(t)
	const servers = `"servers": ["http://127.0.0.1:1"]`
	for _, c := range []struct {
		name, content string
		flags         []string
		want          string
	}{
		{"interval a word", "{\n  " + servers + ",\n\n  \"healthCheckInterval\": \"fast\"\n}", nil,
			`F:4: healthCheckInterval: "fast" is not a duration (write e.g. "2s" or "500ms")` + "\n"},
		{"interval a number", "{" + servers + ",\n\"healthCheckInterval\": 2}", nil,
			`F:2: healthCheckInterval: got number, want a duration in a string (write "2s" for seconds)` + "\n"},
		{"no servers", `{"port": ":8080"}`, nil,
			`F: "servers" is required: a list of server URLs, e.g. "servers": ["http://localhost:5001", "http://localhost:5002"]` + "\n"},
		{"server without scheme", "{\"servers\": [\n\"localhost:5001\"]}", nil,
			`F:2: servers[0]: url "localhost:5001" is not an absolute http(s) URL: it has no scheme (write "http://localhost:5001")` + "\n"},
		{"typo", "{" + servers + ",\n\"healtCheckInterval\": \"2s\"}", nil,
			`F:2: unknown key "healtCheckInterval" (known: `},
		{"key twice", "{" + servers + ",\n\"port\": \"1\",\n\"port\": \"2\"}", nil,
			`F:3: port: given twice (first on line 2; only the last would count): remove one` + "\n"},
		{"two problems", "{\"timeout\": \"1\",\n" + servers + ",\n\"retries\": \"2\"}", nil,
			`F:1: timeout: "1" is not a duration: it lacks a unit (write "1s" or "1ms")` + "\n" +
				`F:3: retries: got string, want an integer (write 2, without quotes)` + "\n"},
		{"trailing garbage", "{" + servers + "}\n}", nil,
			`F:2: unexpected "}" after the settings object, which ends on line 1: remove it (a file holds one object)` + "\n"},
		{"empty", "", nil,
			`F: empty; write a JSON object of settings, e.g. {"port": ":8080", "servers": ["http://localhost:5001"]}` + "\n"},
		{"drain without unit", "{" + servers + "}", []string{"--drain", "30"},
			`invalid value "30" for flag -drain: want a duration with a unit, e.g. 30s or 500ms` + "\n" + proxyUsage},
		{"drain negative", "{" + servers + "}", []string{"--drain", "-1s"},
			`invalid value "-1s" for flag -drain: want a duration >= 0, e.g. 30s` + "\n" + proxyUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfigFile(t, c.content)
			code, stdout, stderr := clitest.Run(program, append([]string{"proxy", "--config", path}, c.flags...)...)
			want := strings.ReplaceAll(c.want, "F:", path+":")
			if code != cli.ExitUsage || stdout != "" || !strings.HasPrefix(stderr, want) {
				t.Errorf("bench proxy: exit %d, stdout %q, stderr\n%s\nwant exit 2 and stderr starting\n%s", code, stdout, stderr, want)
			}
		})
	}
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing.json"), dir} {
		code, stdout, stderr := clitest.Run(program, "proxy", "--config", path)
		if code != cli.ExitUsage || stdout != "" || !strings.HasPrefix(stderr, path+": ") {
			t.Errorf("bench proxy --config %s: exit %d, stdout %q, stderr %q", path, code, stdout, stderr)
		}
	}
}

// TestProxyPortInUse checks that a taken address is a runtime failure,
// exit 1, naming the address.
func TestProxyPortInUse(t *testing.T) {
	leakcheck.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	path := writeConfigFile(t, `{"port": "`+addr+`", "servers": ["http://127.0.0.1:1"]}`)
	code, stdout, stderr := clitest.Run(program, "proxy", "--config", path)
	want := "bench proxy: cannot listen on " + addr + ` ("port" in ` + path + `): address already in use; stop what listens there, or set another "port"` + "\n"
	if code != cli.ExitFailure || stdout != "" || stderr != want {
		t.Errorf("bench proxy on a taken port: exit %d, stdout %q, stderr\n%s\nwant exit 1 and\n%s", code, stdout, stderr, want)
	}
}
