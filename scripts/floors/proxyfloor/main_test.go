package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// The floor must do a proxy's work, or its cost says nothing: every request
// reaches a backend in turn, with its method, path, query and headers, and
// the backend's status, headers and body come back; connections are reused.
func TestFloorProxies(t *testing.T) {
	leakcheck.Check(t)
	var conns [2]int
	var seen [2][]string
	var backs [2]*httptest.Server
	for i := range backs {
		backs[i] = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen[i] = append(seen[i], r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("X-Test")+" "+strings.Split(r.Header.Get("X-Forwarded-For"), ":")[0])
			w.Header().Set("X-Backend", string(rune('a'+i)))
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, "body "+r.URL.Path)
		}))
		backs[i].Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns[i]++
			}
		}
		backs[i].Start()
		defer backs[i].Close()
	}
	f, err := newFloor(strings.TrimPrefix(backs[0].URL, "http://") + ", " + strings.TrimPrefix(backs[1].URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	front := httptest.NewServer(f)
	defer front.Close()
	client := front.Client()
	defer client.CloseIdleConnections()
	var got []string
	for k := 0; k < 6; k++ {
		req, _ := http.NewRequest("GET", front.URL+"/p?q=1", nil)
		req.Header.Set("X-Test", "t")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusTeapot || string(body) != "body /p" {
			t.Fatalf("request %d: %d %q", k, res.StatusCode, body)
		}
		got = append(got, res.Header.Get("X-Backend"))
	}
	if g := strings.Join(got, ""); g != "ababab" {
		t.Errorf("backends in turn: %s, want ababab", g)
	}
	for i := range seen {
		if len(seen[i]) != 3 || seen[i][0] != "GET /p?q=1 t 127.0.0.1" {
			t.Errorf("backend %d saw %q", i, seen[i])
		}
		if conns[i] != 1 {
			t.Errorf("backend %d: %d connections for 3 sequential requests, want 1 (kept alive)", i, conns[i])
		}
	}
}

func TestFloorBackendDown(t *testing.T) {
	leakcheck.Check(t)
	back := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(back.URL, "http://")
	back.Close()
	f, err := newFloor(addr)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(f)
	defer front.Close()
	res, err := front.Client().Get(front.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	front.Client().CloseIdleConnections()
	if res.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", res.StatusCode)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-backends", " , "},
		{"-backends", "nohost"},
		{"-bogus"},
	} {
		var errb bytes.Buffer
		if code := run(args, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
