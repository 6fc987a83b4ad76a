package discovery

import (
	"slices"
	"testing"
)

func TestMemory(t *testing.T) {
	a, b := Backend{Name: "a", URL: "http://127.0.0.1:1"}, Backend{Name: "b", URL: "http://127.0.0.1:2"}
	m := NewMemory([]Backend{a})
	var got1, got2 [][]Backend
	stop1 := m.Subscribe(func(s []Backend) { got1 = append(got1, s) })
	m.Publish([]Backend{a, b})
	stop2 := m.Subscribe(func(s []Backend) { got2 = append(got2, s) })
	stop1()
	m.Publish([]Backend{b})
	stop2()
	m.Publish(nil)
	for _, tc := range []struct {
		name string
		got  [][]Backend
		want [][]Backend
	}{
		{"first", got1, [][]Backend{{a}, {a, b}}},
		{"second", got2, [][]Backend{{a, b}, {b}}},
	} {
		if !slices.EqualFunc(tc.got, tc.want, func(x, y []Backend) bool { return slices.Equal(x, y) }) {
			t.Errorf("%s subscriber saw %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if cur := m.Current(); len(cur) != 0 {
		t.Errorf("current %v, want empty", cur)
	}
}

func TestStatic(t *testing.T) {
	s := Static{{Name: "a", URL: "http://127.0.0.1:1"}}
	var got []Backend
	s.Subscribe(func(b []Backend) { got = b })()
	if !slices.Equal(got, []Backend(s)) {
		t.Errorf("got %v", got)
	}
}
