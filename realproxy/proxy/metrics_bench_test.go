package proxy_test

import (
	"context"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/realproxy/promexport"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

// BenchmarkProxyMetrics is BenchmarkProxy with Prometheus metrics on
// (promexport, served on an admin listener as bench proxy does): the
// difference is what the metrics cost per request. It lives in the
// external test package, as promexport imports proxy.
func BenchmarkProxyMetrics(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Fulcrum-Backend", "web-0")
		io.WriteString(w, "ok")
	}))
	b.Cleanup(srv.Close)
	m := promexport.New(promexport.Options{Algorithm: "least-connections", Runtime: true})
	p, err := proxy.New(proxy.Config{
		Backends:     []proxy.Backend{{Name: "web-0", URL: srv.URL}},
		Algorithm:    "least-connections",
		Source:       algorithms.LockedSource(rand.NewPCG(1, 2)),
		Observer:     m,
		AdminHandler: m.Handler(),
		Admin:        "127.0.0.1:0",
		ErrorLog:     log.New(io.Discard, "", 0),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Shutdown(context.Background()) })

	tr := &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	url := p.URL() + "/x"
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
