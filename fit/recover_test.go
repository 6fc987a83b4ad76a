package fit

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/logimport"
	"github.com/fulcrum-lb/fulcrum/logimport/logtest"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// TestRecoverKnownTruth is the loop of import and fit on logs generated
// from a known model: Poisson arrivals at 200 req/s, one server with
// exponential service of mean 80ms and one with lognormal of mean 120ms
// (cv 1), 100,000 requests, logged by HAProxy, NGINX and Envoy in their
// exact formats and in completion order. Imported and fitted, the rate
// and the means are within 2% and the families are the true ones (each
// server has about 50,000 samples: the means' standard errors are about
// 0.45%, so 2% is over 4 of them); the proposed scenario loads.
func TestRecoverKnownTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 lines per format")
	}
	servers := []logtest.Server{
		{Name: "srv1", Family: "exponential", Mean: 80 * time.Millisecond},
		{Name: "srv2", Family: "lognormal", Mean: 120 * time.Millisecond, CV: 1},
	}
	const rate = 200.0
	reqs := logtest.InLogOrder(logtest.Generate(11, 100_000, rate, servers))
	dir := t.TempDir()
	for _, c := range []struct {
		format string
		write  func(io.Writer) error
	}{
		{"haproxy", func(w io.Writer) error { return logtest.WriteHAProxy(w, reqs, servers) }},
		{"nginx", func(w io.Writer) error { return logtest.WriteNginx(w, reqs, servers) }},
		{"envoy", func(w io.Writer) error { return logtest.WriteEnvoy(w, reqs, servers, false) }},
	} {
		t.Run(c.format, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := c.write(&b); err != nil {
				t.Fatal(err)
			}
			log := filepath.Join(dir, c.format+".log")
			if err := os.WriteFile(log, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			tr := filepath.Join(dir, c.format+".csv")
			if _, err := logimport.Import(c.format, []string{log}, tr, logimport.Options{Strict: true}); err != nil {
				t.Fatal(err)
			}
			f, err := FitTrace(tr, Options{})
			if err != nil {
				t.Fatal(err)
			}
			a := f.Arrivals
			t.Logf("rate %.2f (IDC %.3f, profile p %.3g), %s", a.Rate, a.IDC, a.ProfileP, a.Process())
			if math.Abs(a.Rate/rate-1) > 0.02 || a.Process() != "poisson" || a.Profile != nil {
				t.Errorf("rate %.2f, process %s, profile %v: want %g, poisson, none", a.Rate, a.Process(), a.Profile != nil, rate)
			}
			if len(f.Servers) != 2 {
				t.Fatalf("%d servers fitted", len(f.Servers))
			}
			for i, s := range f.Servers {
				best := s.Service.Best
				t.Logf("%s: %s mean %v KS %.4f", s.Name, best.Spec.Dist, best.Spec.Mean, best.KS)
				want := servers[i]
				if best.Spec.Dist != want.Family {
					t.Errorf("%s: chose %s, want %s", s.Name, best.Spec.Dist, want.Family)
				}
				if rel := math.Abs(float64(best.Spec.Mean)/float64(want.Mean) - 1); rel > 0.02 {
					t.Errorf("%s: mean %v, want %v (%.2f%% off)", s.Name, best.Spec.Mean, want.Mean, 100*rel)
				}
			}
			yaml := f.Scenario("fitted", "[round-robin, least-connections]")
			if _, err := scenarios.Parse("fitted.yaml", yaml); err != nil {
				t.Errorf("the proposed scenario does not load: %v\n%s", err, yaml)
			}
		})
	}
}
