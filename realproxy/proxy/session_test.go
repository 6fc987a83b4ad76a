package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// getWithCookie GETs url with the cookie name=value (none if value is "").
func getWithCookie(t *testing.T, c *http.Client, url, name, value string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if value != "" {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	return do(t, c, req)
}

func TestSessionCookie(t *testing.T) {
	checkLeaks(t)
	const name = "fulcrum_session"
	bs := []*testBackend{newTestBackend(t, "a"), newTestBackend(t, "b"), newTestBackend(t, "c")}
	var hl healthLog
	p := startProxy(t, Config{
		Backends:      backendsOf(bs...),
		Algorithm:     "sticky",
		SessionCookie: name,
		Health:        &HealthCheck{Interval: 10 * time.Millisecond, Timeout: 10 * time.Second, Rise: 2, Fall: 2}, // only a refused check may fail, however busy the machine
		OnHealth:      hl.record,
	})
	client := newClient(t)

	// A new client gets a session cookie, and the backend sees it.
	var seenCookie string
	for _, b := range bs {
		b.setHandler(func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie(name); err == nil {
				w.Header().Set("X-Seen-Session", c.Value)
			}
		})
	}
	r := getWithCookie(t, client, p.URL(), name, "")
	var session string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			session = c.Value
			if !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("cookie %+v: want HttpOnly, Path=/, SameSite=Lax", c)
			}
		}
	}
	seenCookie = r.header.Get("X-Seen-Session")
	if len(session) != 32 || strings.Trim(session, "0123456789abcdef") != "" || seenCookie != session {
		t.Fatalf("new client: cookie %q (want 32 hex digits), backend saw %q", session, seenCookie)
	}
	first := r.backend

	// With the cookie, one client's requests stay on one backend (round-robin,
	// the sticky base, would cycle), and no new cookie is set.
	for range 12 {
		r := getWithCookie(t, client, p.URL(), name, session)
		if r.backend != first || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("with the cookie: reached %q (first %q), Set-Cookie %q", r.backend, first, r.header.Get("Set-Cookie"))
		}
	}
	// Other sessions spread over the backends.
	spread := map[string]bool{}
	for i := range 12 {
		spread[getWithCookie(t, client, p.URL(), name, "other-"+string(rune('a'+i))).backend] = true
	}
	if len(spread) < 2 {
		t.Errorf("12 sessions all reached %v", spread)
	}

	// The session's backend fails its checks: the session moves, and stays.
	var down *testBackend
	for _, b := range bs {
		if b.name == first {
			down = b
		}
	}
	down.healthStatus.Store(http.StatusServiceUnavailable)
	eventually(t, first+" is marked down", func() bool { return hl.has(first + " down") })
	moved := getWithCookie(t, client, p.URL(), name, session).backend
	if moved == first || moved == "" {
		t.Fatalf("with %s down, the session reached %q", first, moved)
	}
	for range 12 {
		if got := getWithCookie(t, client, p.URL(), name, session).backend; got != moved {
			t.Fatalf("moved session: reached %q, then %q", moved, got)
		}
	}
}

func TestSessionKey(t *testing.T) {
	if textKey("abc") == textKey("abd") || textKey("") == 0 {
		t.Fatal("textKey")
	}
	if addrKey("10.0.0.1:80") != addrKey("::ffff:10.0.0.1") {
		t.Fatal("addrKey: mapped forms differ")
	}
	if _, err := New(Config{Backends: []Backend{{URL: "http://127.0.0.1:1"}}, SessionCookie: "bad name"}); err == nil {
		t.Fatal("a cookie name with a space was accepted")
	}
}
