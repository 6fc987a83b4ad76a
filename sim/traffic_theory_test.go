package sim

import (
	"math"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/theory"
)

// TestMMPPM1: MMPP arrivals into one exponential server against the exact
// MMPP/M/1 mean response time (matrix-geometric solution of the QBD), for a
// two-state and a three-state process; and burstier traffic at the same
// mean load raises the mean as theory says.
func TestMMPPM1(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	const load = 0.6
	cases := []struct {
		name     string
		factors  []float64
		sojourns []time.Duration
	}{
		{"two states", []float64{2, 0.5}, []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}},
		{"three states", []float64{3, 1, 0.2}, []time.Duration{10 * time.Millisecond, 30 * time.Millisecond, 40 * time.Millisecond}},
		{"burstier two states", []float64{4, 0.25}, []time.Duration{20 * time.Millisecond, 80 * time.Millisecond}},
	}
	means, simMeans := map[string]float64{}, map[string]float64{}
	for _, tc := range cases {
		sc := queueScenario("random", nil, 1, 1, exp1ms, load, 400000)
		sc.Arrivals.Process = "mmpp"
		secs := make([]float64, len(tc.factors))
		for i, f := range tc.factors {
			sc.Arrivals.States = append(sc.Arrivals.States, scenarios.MMPPState{Factor: f, MeanSojourn: tc.sojourns[i]})
			secs[i] = tc.sojourns[i].Seconds()
		}
		want, err := theory.MMPPM1(tc.factors, secs, load*1000, 1000)
		if err != nil {
			t.Fatal(err)
		}
		e := simulate(t, sc)
		checkMean(t, "MMPP/M/1 "+tc.name, e, want.MeanResponse*1000, 0.05)
		means[tc.name] = want.MeanResponse
		simMeans[tc.name] = e.rec.LatencyBatches().Mean()
	}
	if !(means["burstier two states"] > means["two states"]) || !(simMeans["burstier two states"] > simMeans["two states"]) {
		t.Errorf("burstier traffic at the same load does not raise the mean: theory %v, sim %v", means, simMeans)
	}
}

// TestClassesMG1: two classes of different sizes on one FIFO server fed by
// Poisson arrivals (M/G/1 over the class mixture): every class waits the
// same in queue (Pollaczek-Khinchine over the mixture), and each class's
// mean response is that wait plus its own mean service. The class sizes
// ride on an exponential server's draw; the heavy class has its own
// distribution in the second case.
func TestClassesMG1(t *testing.T) {
	t.Parallel() // independent, CPU-bound: uses the second core once other packages are done
	for _, tc := range []struct {
		name    string
		classes []scenarios.Class
		theory  []theory.ServiceClass
	}{
		{"sizes 1 and 10", []scenarios.Class{{Name: "light", Weight: 9, Size: 1}, {Name: "heavy", Weight: 1, Size: 10}},
			[]theory.ServiceClass{theory.SizedClass(9, 1, 1e-3, 1), theory.SizedClass(1, 10, 1e-3, 1)}},
		{"own distribution", []scenarios.Class{{Name: "light", Weight: 4, Size: 1}, {Name: "heavy", Weight: 1, Service: dist.Spec{Dist: "constant", Value: 4 * time.Millisecond}}},
			[]theory.ServiceClass{theory.SizedClass(4, 1, 1e-3, 1), {Weight: 1, MeanS: 4e-3, SecondMomentS: 16e-6}}},
	} {
		sc := queueScenario("random", nil, 1, 1, exp1ms, 0.6, 400000)
		sc.Classes = tc.classes
		lambda := 0.6 / sc.MeanService(0)
		want := theory.MG1Classes(lambda, tc.theory)
		e := simulate(t, sc)
		checkMean(t, "M/G/1 classes "+tc.name+", all", e, want.All.MeanResponse*1000, 0.05)
		r := e.result(0)
		if len(r.Classes) != 2 {
			t.Fatalf("%s: %d class figures", tc.name, len(r.Classes))
		}
		// Each class's mean: its SE is scaled from the whole run's by the
		// square root of its share of the completions (a conservative
		// approximation: the classes' waits are the same process).
		all := e.rec.LatencyBatches()
		for i, c := range r.Classes {
			share := float64(c.Completed) / float64(r.Completed)
			se := all.HalfWidth(oneSE) / math.Sqrt(share)
			got, w := c.Latency.Mean, want.Classes[i].MeanResponse*1000
			t.Logf("%s %s: mean %.4f ms, theory %.4f, SE %.4f", tc.name, c.Name, got, w, se)
			if math.Abs(got-w) > zScore*se {
				t.Errorf("%s class %s: mean %.4f ms, want %.4f ± %.4f", tc.name, c.Name, got, w, zScore*se)
			}
		}
		// The same wait in queue for both classes: response minus own mean service.
		wq0 := r.Classes[0].Latency.Mean - tc.theory[0].MeanS*1000
		wq1 := r.Classes[1].Latency.Mean - tc.theory[1].MeanS*1000
		t.Logf("%s: waits %.4f and %.4f ms, theory %.4f", tc.name, wq0, wq1, want.All.MeanWait*1000)
	}
}
