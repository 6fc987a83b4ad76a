package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Merge joins the shards of one sweep, in any order, into the whole sweep:
// the same bytes as running it unsharded. It checks that the parts are of
// the same sweep (scenario, parameter, values, seeds, labels, theory) and
// that together they hold every point exactly once; otherwise its error
// says what differs, which shard or point appears twice, or what is
// missing.
func Merge(parts ...*report.Sweep) (*report.Sweep, error) {
	if len(parts) == 0 {
		return nil, errors.New("sweep: merge: nothing to merge")
	}
	first := parts[0]
	for i, p := range parts[1:] {
		if err := sameSweep(first, p); err != nil {
			return nil, fmt.Errorf("sweep: merge: part %d (%s) and part 1 (%s) are not of the same sweep: %v",
				i+2, shardName(p), shardName(first), err)
		}
	}
	if err := shardsOnce(parts); err != nil {
		return nil, err
	}

	nl := len(first.Labels)
	label := make(map[string]int, nl)
	for i, l := range first.Labels {
		label[l] = i
	}
	value := make(map[float64]int, len(first.Values))
	for i, v := range first.Values {
		value[v] = i
	}
	points := make([]*report.SweepPoint, len(first.Values)*nl)
	from := make([]int, len(points))
	for pi, p := range parts {
		for j := range p.Points {
			pt := &p.Points[j]
			vi, okv := value[pt.Value]
			li, okl := label[pt.Label]
			if !okv || !okl {
				return nil, fmt.Errorf("sweep: merge: part %d (%s) holds a point (%s = %v, %s) that is not in the sweep",
					pi+1, shardName(p), first.Param, pt.Value, pt.Label)
			}
			i := vi*nl + li
			if points[i] != nil {
				return nil, fmt.Errorf("sweep: merge: the point (%s = %v, %s) is in part %d (%s) and in part %d (%s)",
					first.Param, pt.Value, pt.Label, from[i]+1, shardName(parts[from[i]]), pi+1, shardName(p))
			}
			points[i], from[i] = pt, pi
		}
	}
	var missing []string
	for i, pt := range points {
		if pt == nil {
			missing = append(missing, fmt.Sprintf("(%v, %s)", first.Values[i/nl], first.Labels[i%nl]))
		}
	}
	if n := len(missing); n > 0 {
		more := ""
		if n > 5 {
			more = fmt.Sprintf(" and %d more", n-5)
			missing = missing[:5]
		}
		return nil, fmt.Errorf("sweep: merge: %d of %d points are missing (%s, label): %s%s",
			n, len(points), first.Param, strings.Join(missing, ", "), more)
	}

	out := *first
	out.Shard = ""
	out.Points = make([]report.SweepPoint, len(points))
	for i, pt := range points {
		out.Points[i] = *pt
	}
	return &out, nil
}

func shardName(s *report.Sweep) string {
	if s.Shard == "" {
		return "a whole sweep"
	}
	return "shard " + s.Shard
}

// sameSweep says how b is not a part of the same sweep as a, or nil.
func sameSweep(a, b *report.Sweep) error {
	switch {
	case a.Scenario != b.Scenario:
		return fmt.Errorf("scenario %q, not %q", b.Scenario, a.Scenario)
	case a.Engine != b.Engine:
		return fmt.Errorf("engine %q, not %q", b.Engine, a.Engine)
	case a.Param != b.Param || a.Unit != b.Unit:
		return fmt.Errorf("parameter %s, not %s", b.Param, a.Param)
	case !slices.Equal(a.Values, b.Values):
		return fmt.Errorf("values %v, not %v", b.Values, a.Values)
	case !slices.Equal(a.Seeds, b.Seeds):
		return fmt.Errorf("seeds %v, not %v", b.Seeds, a.Seeds)
	case !slices.Equal(a.Labels, b.Labels):
		return fmt.Errorf("algorithms %v, not %v", b.Labels, a.Labels)
	case !sameJSON(a.ScenarioResolved, b.ScenarioResolved):
		return errors.New("the scenarios differ (compare their scenario_resolved)")
	case !reflect.DeepEqual(a.Theory, b.Theory):
		return errors.New("their theory curves differ")
	}
	return nil
}

func sameJSON(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// shardsOnce checks the parts' shard names: each well-formed, of one N,
// none twice, none missing. Points are checked after, whatever the names
// say; this gives the clearer message first.
func shardsOnce(parts []*report.Sweep) error {
	n := -1
	seen := map[int]bool{}
	for i, p := range parts {
		if p.Shard == "" {
			if len(parts) > 1 {
				return fmt.Errorf("sweep: merge: part %d is a whole sweep; merge only shards (sweep.json with a \"shard\")", i+1)
			}
			return nil
		}
		si, sn, err := ParseShard(p.Shard)
		if err != nil {
			return fmt.Errorf("sweep: merge: part %d: shard %v", i+1, err)
		}
		if n >= 0 && sn != n {
			return fmt.Errorf("sweep: merge: part %d is shard %s but part 1 is of %d shards", i+1, p.Shard, n)
		}
		n = sn
		if seen[si] {
			return fmt.Errorf("sweep: merge: shard %s appears twice", p.Shard)
		}
		seen[si] = true
	}
	var missing []string
	for i := range n {
		if !seen[i] {
			missing = append(missing, FormatShard(i, n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("sweep: merge: missing shard %s (have %d of %d)", strings.Join(missing, ", "), len(seen), n)
	}
	return nil
}
