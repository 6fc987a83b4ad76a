package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// trafficScenario is the part of a resolved scenario (Summary.
// ScenarioResolved, DESIGN.md §3 and §7) that says what traffic a run
// offered.
type trafficScenario struct {
	Arrivals *struct {
		Process string  `json:"process"`
		Load    float64 `json:"load"`
		Rate    float64 `json:"rate"`
		States  []struct {
			Factor      float64 `json:"factor"`
			MeanSojourn string  `json:"mean_sojourn"`
		} `json:"states"`
		Profile []struct {
			At     string  `json:"at"`
			Factor float64 `json:"factor"`
		} `json:"profile"`
		Sine *struct {
			Period    string  `json:"period"`
			Amplitude float64 `json:"amplitude"`
		} `json:"sine"`
		Users int          `json:"users"`
		Think *trafficSpec `json:"think"`
		File  string       `json:"file"`
		Speed float64      `json:"speed"`
	} `json:"arrivals"`
	Classes []struct {
		Name    string       `json:"name"`
		Weight  float64      `json:"weight"`
		Size    float64      `json:"size"`
		Service *trafficSpec `json:"service"`
	} `json:"classes"`
}

// trafficSpec is a resolved distribution, as much of it as a sentence
// names.
type trafficSpec struct {
	Dist  string `json:"dist"`
	Value string `json:"value"`
	Mean  string `json:"mean"`
	Min   string `json:"min"`
	Max   string `json:"max"`
}

// readTraffic reads the traffic out of a resolved scenario: the value
// scenarios.Scenario.Resolved returns, or the map summary.json decodes to.
// ok is false when it has no arrivals.
func readTraffic(resolved any) (t trafficScenario, ok bool) {
	if resolved == nil {
		return t, false
	}
	data, err := json.Marshal(resolved)
	if err != nil || json.Unmarshal(data, &t) != nil {
		return trafficScenario{}, false
	}
	return t, t.Arrivals != nil && t.Arrivals.Process != ""
}

// TrafficShape describes in one line the traffic of a run from its resolved
// scenario (Summary.ScenarioResolved, either the value scenarios'
// Resolved returns or the map summary.json decodes to): the arrival
// process with its load or rate, then what shapes it (MMPP states, a
// profile, a sine, a closed loop's users and think time, a trace) and the
// request classes:
//
//	traffic: poisson at load 0.5
//	traffic: mmpp, 2 states (x4 for 1s, x0.25 for 4s), mean load 0.7
//	traffic: poisson at load 0.5, profile (5 points over 40s, x1 to x2.4), 2 classes (light 90%, heavy 10% at 20x)
//	traffic: closed loop, 50 users, think exponential mean 100ms
//
// It is "" when resolved has no arrivals. TrafficPlain tells whether there
// is more to it than a steady open-loop rate.
func TrafficShape(resolved any) string {
	t, ok := readTraffic(resolved)
	if !ok {
		return ""
	}
	a := t.Arrivals
	var parts []string
	level := func() string {
		if a.Rate > 0 {
			return num(a.Rate) + " req/s"
		}
		return "load " + num(a.Load)
	}
	switch a.Process {
	case "mmpp":
		states := make([]string, len(a.States))
		for i, st := range a.States {
			states[i] = "x" + num(st.Factor) + " for " + shortDuration(st.MeanSojourn)
		}
		parts = append(parts, fmt.Sprintf("mmpp, %s (%s), mean %s",
			plural(len(a.States), "state"), strings.Join(states, ", "), level()))
	case "closed":
		p := "closed loop, " + plural(a.Users, "user")
		if a.Think != nil {
			p += ", " + thinkText(a.Think)
		}
		parts = append(parts, p)
	case "trace":
		p := "trace"
		if a.File != "" {
			p += " " + a.File
		}
		if a.Speed > 0 && a.Speed != 1 {
			p += " at speed " + num(a.Speed)
		}
		parts = append(parts, p)
	default: // poisson, constant
		if a.Load > 0 || a.Rate > 0 {
			parts = append(parts, a.Process+" at "+level())
		} else {
			parts = append(parts, a.Process)
		}
	}
	if n := len(a.Profile); n > 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, pt := range a.Profile {
			lo, hi = math.Min(lo, pt.Factor), math.Max(hi, pt.Factor)
		}
		factors := "x" + num(lo)
		if hi != lo {
			factors += " to x" + num(hi)
		}
		parts = append(parts, fmt.Sprintf("profile (%s over %s, %s)",
			plural(n, "point"), shortDuration(a.Profile[n-1].At), factors))
	}
	if s := a.Sine; s != nil {
		parts = append(parts, fmt.Sprintf("sine (period %s, amplitude %s)", shortDuration(s.Period), num(s.Amplitude)))
	}
	if len(t.Classes) > 0 {
		total := 0.0
		for _, c := range t.Classes {
			total += c.Weight
		}
		cs := make([]string, len(t.Classes))
		for i, c := range t.Classes {
			x := c.Name
			if total > 0 {
				x += " " + Sig(100*c.Weight/total, 2) + "%"
			}
			switch {
			case c.Service != nil:
				x += " " + specText(c.Service)
			case c.Size > 0 && c.Size != 1:
				x += " at " + num(c.Size) + "x"
			}
			cs[i] = x
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", plural(len(t.Classes), "class"), strings.Join(cs, ", ")))
	}
	return "traffic: " + strings.Join(parts, ", ")
}

// TrafficPlain reports whether the traffic of a resolved scenario is plain:
// a poisson or constant process at a steady rate (no profile, no sine) of
// one kind of request (no classes), as every scenario was before DESIGN.md
// §7. A resolved scenario without arrivals counts as plain. The terminal
// table and report.html name the traffic (TrafficShape) only when it is not
// plain, so that those of plain runs read as they always did.
func TrafficPlain(resolved any) bool {
	t, ok := readTraffic(resolved)
	if !ok {
		return true
	}
	a := t.Arrivals
	return (a.Process == "poisson" || a.Process == "constant") &&
		len(a.States) == 0 && len(a.Profile) == 0 && a.Sine == nil && len(t.Classes) == 0
}

// shapedTraffic is TrafficShape's line for a run whose traffic is not
// plain, else "".
func shapedTraffic(resolved any) string {
	if TrafficPlain(resolved) {
		return ""
	}
	return TrafficShape(resolved)
}

// thinkText names a closed loop's think time: "think exponential mean
// 100ms", or "no think time" for a constant 0.
func thinkText(s *trafficSpec) string {
	if s.Dist == "constant" && (s.Value == "" || isZeroDuration(s.Value)) {
		return "no think time"
	}
	return "think " + specText(s)
}

// specText names a distribution by its kind and its scale: "exponential
// mean 50ms", "constant 10ms", "uniform 5ms-15ms".
func specText(s *trafficSpec) string {
	switch {
	case s.Dist == "constant" && s.Value != "":
		return "constant " + shortDuration(s.Value)
	case s.Mean != "":
		return s.Dist + " mean " + shortDuration(s.Mean)
	case s.Min != "" && s.Max != "":
		return s.Dist + " " + shortDuration(s.Min) + "-" + shortDuration(s.Max)
	}
	return s.Dist
}

// shortDuration drops the zero units Go's duration strings end in: "1m0s"
// is "1m", "2h0m0s" is "2h"; anything else stays as it is.
func shortDuration(d string) string {
	if strings.HasSuffix(d, "m0s") && d != "m0s" {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") && d != "h0m" {
		d = strings.TrimSuffix(d, "0m")
	}
	return d
}

func isZeroDuration(d string) bool {
	return strings.TrimLeft(d, "0.") == "s" || d == "0"
}

// num writes x as briefly as it is exact: 0.5, 2.4, 20.
func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// plural is "1 state", "2 states", "2 classes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return strconv.Itoa(n) + " " + noun + "es"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
