package algorithms

import (
	"testing"
	"time"
)

func TestLeastResponseTimePrefersFastest(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name    string
		lat     []time.Duration
		healthy []bool
		want    int
	}{
		{"fastest", []time.Duration{20 * ms, 5 * ms, 10 * ms, 40 * ms}, nil, 1},
		{"fastest unhealthy", []time.Duration{20 * ms, 5 * ms, 10 * ms, 40 * ms}, []bool{true, false, true, true}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mustNew(t, "least-response-time", nil, 1)
			bs := makeBackends(len(c.lat))
			if c.healthy != nil {
				bs = withHealth(bs, c.healthy...)
			}
			b.Update(0, bs)
			// Train each estimate: samples a decay time (10s) apart weigh
			// 1-1/e each, so 20 of them leave the estimates at the latencies.
			for k := range 20 {
				for id, l := range c.lat {
					feed(b, id, time.Duration(k+1)*10*time.Second, l)
				}
			}
			// Half a second of picks: the idle estimates decay by
			// exp(-0.05) at most, 10ms to 9.5ms, still above 5ms.
			got := serve(t, b, 200*time.Second, ms, 500, c.lat)
			if got[c.want] != 500 {
				t.Fatalf("picks %v, want all on %d", got, c.want)
			}
		})
	}
}

func TestLeastResponseTimeTies(t *testing.T) {
	// Unmeasured backends share default_rtt from the same start: a tie,
	// broken by fewest in flight (1 and 3 here), then uniformly.
	b := mustNew(t, "least-response-time", nil, 4)
	b.Update(0, makeBackends(4))
	load(b, 0, 2)
	load(b, 2, 1)
	counts := make([]int, 4)
	for range 20000 {
		id := mustPick(t, b, 0)
		b.Finished(id, 0, 0, true)
		counts[id]++
	}
	// Finished with latency 0 at now 0 (dt 0, weight 1) leaves the estimate.
	checkFit(t, "ties", counts, among(4, 1, 3))
}
