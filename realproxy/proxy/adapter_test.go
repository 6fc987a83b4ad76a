package proxy

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fulcrum-lb/fulcrum/model/modeltest"
)

// TestHealthAdapter runs the scripts every engine must pass
// (modeltest.HealthCases) through the proxy's health adapter, on
// synctest's clock: the steps arrive as check verdicts and attempts' ends
// at their times on the proxy's clock, ejections end by the proxy's own
// timers, and the verdicts are what OnHealth was told.
func TestHealthAdapter(t *testing.T) {
	for _, c := range modeltest.HealthCases {
		t.Run(c.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				backends := make([]Backend, c.Servers)
				for i := range backends {
					backends[i] = Backend{Name: fmt.Sprintf("s-%d", i), URL: fmt.Sprintf("http://127.0.0.1:%d", 1+i)}
				}
				var mu sync.Mutex
				var got []modeltest.Verdict
				cfg := Config{Listen: "127.0.0.1:0", Backends: backends, ErrorLog: quiet, Epoch: time.Now(),
					OnHealth: func(at time.Duration, name string, healthy bool) {
						mu.Lock()
						defer mu.Unlock()
						i := slices.IndexFunc(backends, func(b Backend) bool { return b.Name == name })
						got = append(got, modeltest.Verdict{At: at, Server: i, Healthy: healthy})
					}}
				if r := c.Rules; r.Fall > 0 {
					cfg.Health = &HealthCheck{Interval: time.Hour, Timeout: time.Second, Rise: r.Rise, Fall: r.Fall}
				}
				if r := c.Rules; r.ConsecutiveFailures > 0 {
					cfg.Passive = &Passive{ConsecutiveFailures: r.ConsecutiveFailures, Ejection: r.Ejection}
				}
				p, err := New(cfg) // not started: the script is the only source of verdicts
				if err != nil {
					t.Fatal(err)
				}
				defer p.health.stop()
				for _, st := range c.Steps {
					time.Sleep(st.At - p.now())
					synctest.Wait() // ejections due by now have ended
					switch st.Kind {
					case modeltest.Probe:
						p.health.probeResult(st.Server, st.OK)
					case modeltest.Attempt:
						p.health.attempt(st.Server, st.OK)
					}
				}
				time.Sleep(c.Until - p.now())
				synctest.Wait()
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(got, c.Want) {
					t.Errorf("verdicts:\n%s\nwant:\n%s", modeltest.Format(got), modeltest.Format(c.Want))
				}
			})
		})
	}
}
