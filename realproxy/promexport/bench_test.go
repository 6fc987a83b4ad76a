package promexport

import (
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

// BenchmarkRequest is what the metrics add to one proxied request of one
// attempt, alone: the calls the proxy makes (Request, Picked, Started,
// Done), from parallel goroutines as the proxy's requests make them. The
// proxy's whole cost per request is BenchmarkProxy's (realproxy/proxy).
func BenchmarkRequest(b *testing.B) {
	m := New(Options{Algorithm: "round-robin"})
	backends := []proxy.BackendObserver{m.Backend(0, "web-0"), m.Backend(1, "web-1")}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			be := backends[i&1]
			i++
			m.Request()
			be.Picked()
			be.Started()
			be.Done(proxy.OutcomeOK, 3*time.Millisecond)
		}
	})
}
