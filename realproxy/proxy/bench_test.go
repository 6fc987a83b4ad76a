package proxy

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// The proxy's added cost per request is BenchmarkProxy's figures minus
// BenchmarkDirect's: both send the same GET to the same zero-delay loopback
// backend from parallel clients over keep-alive connections, the first
// through the proxy. ns/op and allocs/op count the whole process (client,
// proxy and backend).

func benchBackend(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Fulcrum-Backend", "web-0")
		io.WriteString(w, "ok")
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchRequests(b *testing.B, url string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func BenchmarkDirect(b *testing.B) {
	benchRequests(b, benchBackend(b).URL+"/x")
}

func BenchmarkProxy(b *testing.B) {
	srv := benchBackend(b)
	p := startProxy(b, Config{
		Backends:  []Backend{{Name: "web-0", URL: srv.URL}},
		Algorithm: "least-connections",
		Source:    algorithms.LockedSource(rand.NewPCG(1, 2)),
	})
	benchRequests(b, p.URL()+"/x")
}
