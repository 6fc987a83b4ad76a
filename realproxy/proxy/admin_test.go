package proxy

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// TestLoadClassicAdmin reads the classic file's "admin" key: what it
// accepts, and the whole error for what it does not (FILE:LINE: admin:
// what to write instead).
func TestLoadClassicAdmin(t *testing.T) {
	for _, c := range []struct {
		name, content, want string // want: Config.Admin, or the error with F for the file
	}{
		{"absent", `{` + okServers + `}`, ""},
		{"host:port", `{` + okServers + `, "admin": "127.0.0.1:9100"}`, "127.0.0.1:9100"},
		{"a bare port is loopback's", `{` + okServers + `, "admin": "9100"}`, "127.0.0.1:9100"},
		{"every interface, if asked", `{` + okServers + `, "admin": ":9100"}`, ":9100"},
		{"off", `{` + okServers + `, "admin": "off"}`, AdminOff},
		{"empty is as if absent", `{` + okServers + `, "admin": ""}`, ""},
		{"null is as if absent", `{` + okServers + `, "admin": null}`, ""},
		{"another port than the traffic's", `{` + okServers + `, "port": "9100", "admin": "9101"}`, "127.0.0.1:9101"},
		{"a number", "{" + okServers + ",\n  \"admin\": 9901}",
			`F:2: admin: got number, want a string (write "9901")`},
		{"a boolean", "{" + okServers + ",\n  \"admin\": false}",
			`F:2: admin: got boolean, want a string (write e.g. "127.0.0.1:9901")`},
		{"not an address", "{" + okServers + ",\n  \"admin\": \"metrics\"}",
			`F:2: admin: "metrics": port "metrics" is not a number from 0 to 65535 (write e.g. "127.0.0.1:9901", "9901" for that port on 127.0.0.1, or "off")`},
		{"port out of range", "{" + okServers + ",\n  \"admin\": \"127.0.0.1:99999\"}",
			`F:2: admin: "127.0.0.1:99999": port "99999" is not a number from 0 to 65535 (write e.g. "127.0.0.1:9901", "9901" for that port on 127.0.0.1, or "off")`},
		{"a URL", "{" + okServers + ",\n  \"admin\": \"http://127.0.0.1:9901/metrics\"}",
			`F:2: admin: "http://127.0.0.1:9901/metrics" is not a port or host:port (write e.g. "127.0.0.1:9901", "9901" for that port on 127.0.0.1, or "off")`},
		{"the traffic port", "{" + okServers + ",\n  \"port\": \"8080\",\n  \"admin\": \"127.0.0.1:8080\"}",
			`F:3: admin: 127.0.0.1:8080 is the traffic port (":8080"): the admin listener needs a port of its own (write e.g. "127.0.0.1:9901", or "off" for none)`},
		{"the default traffic port", "{" + okServers + ",\n  \"admin\": \"8080\"}",
			`F:2: admin: 127.0.0.1:8080 is the traffic port (":8080"): the admin listener needs a port of its own (write e.g. "127.0.0.1:9901", or "off" for none)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "config.json", c.content)
			cfg, err := LoadClassic(path)
			if !strings.HasPrefix(c.want, "F:") {
				if err != nil || cfg.Admin != c.want {
					t.Fatalf("LoadClassic: admin %q, %v; want %q", cfg.Admin, err, c.want)
				}
				return
			}
			want := strings.ReplaceAll(c.want, "F:", path+":")
			var errs ClassicErrors
			if err == nil || err.Error() != want || !errors.As(err, &errs) {
				t.Fatalf("LoadClassic:\n%v\nwant\n%s", err, want)
			}
		})
	}
}

// TestSameAddress: whether two listen addresses would take the same port.
func TestSameAddress(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"127.0.0.1:9901", "127.0.0.1:9901", true},
		{"127.0.0.1:9901", ":9901", true},
		{"0.0.0.0:9901", "127.0.0.1:9901", true},
		{"[::]:9901", "10.0.0.1:9901", true},
		{"localhost:9901", "127.0.0.1:9901", true},
		{"127.0.0.2:9901", "[::1]:9901", true}, // both loopback: a client on the host would not know which
		{"127.0.0.1:9901", "127.0.0.1:9902", false},
		{"10.0.0.1:9901", "10.0.0.2:9901", false},
		{"127.0.0.1:0", "127.0.0.1:0", false}, // two free ports
		{"127.0.0.1", "127.0.0.1:9901", false},
	} {
		if got := SameAddress(c.a, c.b); got != c.want {
			t.Errorf("SameAddress(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestAdminListener: Start opens the admin listener beside the traffic
// one (none with AdminOff, or without a handler); a taken admin address
// fails Start with an AdminListenError naming it, leaving no listener; an
// admin address that is the traffic one is refused by New.
func TestAdminListener(t *testing.T) {
	checkLeaks(t)
	b := newTestBackend(t, "web-0")
	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin "+r.URL.Path) })
	client := newClient(t)

	for _, c := range []struct {
		name    string
		admin   string
		handler http.Handler
		want    bool // an admin listener
	}{
		{"handler", "127.0.0.1:0", admin, true},
		{"off", AdminOff, admin, false},
		{"no handler", "127.0.0.1:0", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := startProxy(t, Config{Backends: backendsOf(b), Admin: c.admin, AdminHandler: c.handler})
			if got := p.AdminAddr() != ""; got != c.want {
				t.Fatalf("admin listener %q, want one: %v", p.AdminAddr(), c.want)
			}
			if !c.want {
				return
			}
			if r := get(t, client, "http://"+p.AdminAddr()+"/x"); r.body != "admin /x" {
				t.Errorf("admin answered %d %q", r.status, r.body)
			}
			if r := get(t, client, p.URL()+"/x"); r.backend != "web-0" {
				t.Errorf("traffic answered %d %q from %q", r.status, r.body, r.backend)
			}
		})
	}

	t.Run("taken", func(t *testing.T) {
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		p, err := New(Config{Backends: backendsOf(b), Admin: taken.Addr().String(), AdminHandler: admin, ErrorLog: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Shutdown(t.Context())
		err = p.Start()
		var ae *AdminListenError
		if !errors.As(err, &ae) || ae.Addr != taken.Addr().String() || !errors.Is(err, syscall.EADDRINUSE) ||
			!strings.Contains(err.Error(), taken.Addr().String()) {
			t.Fatalf("Start: %v; want an AdminListenError naming %s, address in use", err, taken.Addr())
		}
		if p.Addr() != "" || p.AdminAddr() != "" {
			t.Errorf("after a failed Start: listening on %q and %q", p.Addr(), p.AdminAddr())
		}
	})

	t.Run("the traffic address", func(t *testing.T) {
		_, err := New(Config{Backends: backendsOf(b), Listen: "127.0.0.1:8080", Admin: "localhost:8080", AdminHandler: admin})
		if err == nil || !strings.Contains(err.Error(), "admin address localhost:8080 is the traffic listener's") {
			t.Fatalf("New: %v", err)
		}
	})
}
