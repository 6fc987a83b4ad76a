package algorithms

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestUpdateSortsByID(t *testing.T) {
	var tb table
	s := tb.update([]Backend{
		{ID: 7, Weight: 1, Healthy: true},
		{ID: 2, Weight: 1},
		{ID: 4, Weight: 1, Healthy: true},
	})
	ids := []int{}
	for _, b := range s.backends {
		ids = append(ids, b.ID)
	}
	if !slices.Equal(ids, []int{2, 4, 7}) || !slices.Equal(s.healthy, []int{1, 2}) {
		t.Fatalf("backends %v, healthy %v", ids, s.healthy)
	}
	if len(s.byID) != 8 || s.byID[7] != s.live[2] || s.byID[3] != nil {
		t.Fatalf("byID %v", s.byID)
	}
}

func TestUpdatePanicsOnBrokenContract(t *testing.T) {
	for _, c := range []struct {
		name string
		bs   []Backend
		want string
	}{
		{"negative ID", []Backend{{ID: -1, Weight: 1}}, "ID -1 out of range"},
		{"huge ID", []Backend{{ID: maxID + 1, Weight: 1}}, "out of range"},
		{"repeated ID", []Backend{{ID: 1, Name: "a", Weight: 1}, {ID: 1, Name: "b", Weight: 1}}, `"a" and "b" share ID 1`},
		{"zero weight", []Backend{{ID: 0, Weight: 0}}, "weight 0 is not"},
		{"negative weight", []Backend{{ID: 0, Weight: -1}}, "weight -1 is not"},
		{"NaN weight", []Backend{{ID: 0, Weight: math.NaN()}}, "weight NaN is not"},
		{"infinite weight", []Backend{{ID: 0, Weight: math.Inf(1)}}, "weight +Inf is not"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) {
					t.Fatalf("panic %q, want one containing %q", msg, c.want)
				}
			}()
			var tb table
			tb.update(c.bs)
		})
	}
}
