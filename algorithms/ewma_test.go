package algorithms

import (
	"math"
	"testing"
	"time"
)

func TestEstimate(t *testing.T) {
	const tau = float64(10 * time.Second)
	e1 := math.Exp(-1)
	ms := float64(time.Millisecond)
	for _, c := range []struct {
		name    string
		peak    bool
		samples [][2]time.Duration // (now, latency)
		readAt  time.Duration
		want    float64 // ns
	}{
		{"default until a sample", true, nil, 0, 30 * ms},
		{"idle decays toward 0", true, nil, 10 * time.Second, 30 * ms * e1},
		{"peak: a rise replaces at once", true, [][2]time.Duration{{time.Second, 200 * time.Millisecond}}, time.Second, 200 * ms},
		{"peak: a fall moves by 1-exp(-dt/tau)", true,
			[][2]time.Duration{{0, 100 * time.Millisecond}, {10 * time.Second, 10 * time.Millisecond}},
			10 * time.Second, 100*ms*e1 + 10*ms*(1-e1)},
		{"peak: same instant, no weight", true,
			[][2]time.Duration{{5, 100 * time.Millisecond}, {5, 10 * time.Millisecond}}, 5, 100 * ms},
		{"ewma: a rise moves by 1-exp(-dt/tau) too", false,
			[][2]time.Duration{{10 * time.Second, 130 * time.Millisecond}}, 10 * time.Second, 30*ms*e1 + 130*ms*(1-e1)},
		{"read later decays", true,
			[][2]time.Duration{{0, 100 * time.Millisecond}}, 20 * time.Second, 100 * ms * e1 * e1},
	} {
		t.Run(c.name, func(t *testing.T) {
			es := newEstimates(10*time.Second, 30*time.Millisecond)
			es.grow(0, makeBackends(1))
			for _, s := range c.samples {
				es.observe(0, s[0], s[1], c.peak)
			}
			if got := es.cost(0, c.readAt); math.Abs(got-c.want) > 1e-6*c.want {
				t.Fatalf("estimate %.1f ns, want %.1f", got, c.want)
			}
			// Reading stores nothing.
			before := es.cost(0, c.readAt)
			es.cost(0, c.readAt+time.Hour)
			if again := es.cost(0, c.readAt); again != before {
				t.Fatalf("read changed the estimate: %v then %v", before, again)
			}
		})
	}
	if tau <= 0 {
		t.Fatal()
	}
}

func TestEWMAParams(t *testing.T) {
	for _, name := range []string{"peak-ewma", "least-response-time"} {
		for _, c := range []struct {
			params map[string]any
			want   string
		}{
			{map[string]any{"decay": "5s", "default_rtt": "1ms"}, ""},
			{map[string]any{"decay": 5 * time.Second}, ""},
			{map[string]any{"decay": "0s"}, name + `: param "decay": must be a duration > 0 (e.g. 10s), got "0s" (a string)`},
			{map[string]any{"decay": 10}, name + `: param "decay": must be a duration > 0 (e.g. 10s), got 10`},
			{map[string]any{"default_rtt": "soon"}, name + `: param "default_rtt": must be a duration > 0 (e.g. 30ms), got "soon" (a string)`},
			{map[string]any{"tau": "1s"}, name + `: param "tau": unknown parameter (known: decay, default_rtt)`},
		} {
			err := Validate(name, c.params, 3)
			if (err == nil) != (c.want == "") || err != nil && err.Error() != c.want {
				t.Errorf("Validate(%s, %v) = %v, want %q", name, c.params, err, c.want)
			}
		}
	}
}
