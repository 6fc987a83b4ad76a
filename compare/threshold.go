package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A Threshold is how far a figure may move the worse way before it is a
// regression: by Value of the base figure if Relative (0.05 for 5%), else
// by Value in the figure's own unit (ms, req/s, a fraction for the error
// rate and Jain's index). Moving exactly by the threshold is not a
// regression; with a zero threshold any move the worse way is.
type Threshold struct {
	Value    float64
	Relative bool
}

func (t Threshold) String() string {
	if t.Relative {
		return strconv.FormatFloat(100*t.Value, 'g', 6, 64) + "%"
	}
	return strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// exceeded tells whether a change (diff = new - base, rel = diff/|base|)
// that went the worse way goes beyond t.
func (t Threshold) exceeded(diff, rel float64) bool {
	if t.Relative {
		return math.Abs(rel) > t.Value
	}
	return math.Abs(diff) > t.Value
}

// Thresholds map a figure's name (see Figures) to its threshold. A figure
// without one is reported but never a regression.
type Thresholds map[string]Threshold

// Default thresholds, as --threshold would take them. The simulator's are
// tighter: its figures move only when the code or the scenario does.
const (
	SimThresholds  = "mean=5%,p50=5%,p90=5%,p99=10%,p999=20%,throughput=2%,errors=0.001,jain=0.02"
	RealThresholds = "mean=10%,p50=10%,p90=10%,p99=20%,p999=50%,throughput=5%,errors=0.005,jain=0.05"
)

// ParseThresholds reads a comma-separated list of FIGURE=LIMIT, LIMIT a
// percentage of the base figure (5%) or a bare number in the figure's unit
// (0.5 ms, 10 req/s, 0.001 of requests for errors): "p99=5%,mean=3%,errors=0".
// FIGURE is a name from Figures or any other name report.FigureByName
// gives it (p99.9, p99_ms, rps, error_rate), or "all" for every figure the
// list does not name otherwise, wherever it stands in the list.
func ParseThresholds(s string) (Thresholds, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty threshold list: want FIGURE=LIMIT,... (e.g. p99=5%%,errors=0)")
	}
	t := Thresholds{}
	var all *Threshold
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		name, value, ok := strings.Cut(item, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("%q: want FIGURE=LIMIT (e.g. p99=5%% or errors=0)", item)
		}
		th, err := parseLimit(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", item, err)
		}
		if strings.EqualFold(name, "all") {
			if all != nil {
				return nil, fmt.Errorf("%s: all is given twice", item)
			}
			all = &th
			continue
		}
		f, ok := figureByName(name)
		if !ok {
			return nil, fmt.Errorf("%s: no figure %q (want all or one of %s)", item, name, figureNames())
		}
		if _, dup := t[f.Name]; dup {
			return nil, fmt.Errorf("%s: %s is given twice", item, f.Name)
		}
		t[f.Name] = th
	}
	if all != nil {
		for _, f := range figures {
			if _, ok := t[f.Name]; !ok {
				t[f.Name] = *all
			}
		}
	}
	return t, nil
}

func parseLimit(s string) (Threshold, error) {
	num, rel := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Threshold{}, fmt.Errorf("%q is not a number or a percentage (e.g. 0.5 or 5%%)", s)
	}
	if v < 0 {
		return Threshold{}, fmt.Errorf("%q: a threshold is how far a figure may get worse: want 0 or more", s)
	}
	if rel {
		v /= 100
	}
	return Threshold{Value: v, Relative: rel}, nil
}

// String writes t back in the form ParseThresholds reads, in table order.
func (t Thresholds) String() string {
	var items []string
	for _, f := range figures {
		if th, ok := t[f.Name]; ok {
			items = append(items, f.Name+"="+th.String())
		}
	}
	return strings.Join(items, ",")
}

// mustThresholds parses one of the default lists.
func mustThresholds(s string) Thresholds {
	t, err := ParseThresholds(s)
	if err != nil {
		panic(err)
	}
	return t
}
