package realproxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/realproxy/backend"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
	"github.com/fulcrum-lb/fulcrum/trace"
)

// TestLiveTrace is bench proxy --trace: a proxy in front of two backends,
// 40 requests from four clients, one after the other; the
// trace holds every request once, in arrival order, with its client, the
// backend that answered and its service time (the backend's header), and
// the outcome.
func TestLiveTrace(t *testing.T) {
	leakcheck.Check(t)
	d, _ := dist.New(dist.Spec{Dist: "constant", Value: 2 * time.Millisecond})
	var urls []proxy.Backend
	var servers []*backend.Server
	for i := range 2 {
		s, err := backend.Start("127.0.0.1:0", backend.Config{Name: fmt.Sprintf("b%d", i), Concurrency: 1, Service: d})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
		urls = append(urls, proxy.Backend{Name: s.Name(), URL: s.URL()})
	}
	defer func() {
		for _, s := range servers {
			s.Close(context.Background())
		}
	}()
	path := filepath.Join(t.TempDir(), "live.csv")
	live, err := NewLiveTrace(path, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	p, err := proxy.New(proxy.Config{Listen: "127.0.0.1:0", Backends: urls, Algorithm: "round-robin", OnRequest: live.Add, TrustFulcrumHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	get := func(k int) {
		req, _ := http.NewRequest(http.MethodGet, p.URL()+"/x", nil)
		req.Header.Set("X-Fulcrum-Client", fmt.Sprint(k%4))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for k := range 40 {
		get(k)
	}
	p.Shutdown(context.Background())
	client.CloseIdleConnections()
	n, err := live.Commit()
	if err != nil || n != 40 {
		t.Fatalf("committed %d requests, %v; want 40", n, err)
	}
	recs, err := trace.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for k, r := range recs {
		per[r.Server]++
		if r.Client != fmt.Sprint(k%4) || r.Outcome != trace.OK || r.Service != 2*time.Millisecond || r.Latency < r.Service {
			t.Errorf("request %d: %+v", k, r)
		}
	}
	if per["b0"] != 20 || per["b1"] != 20 {
		t.Errorf("per backend %v, want 20 each (round-robin)", per)
	}
}
