package model

import "testing"

// The herding windows kept open stay under herdCounters counters at any
// number of servers, and as many as before wherever that fits.
func TestHerdSlack(t *testing.T) {
	for _, c := range []struct {
		servers int
		want    int64
	}{
		{1, 1024}, {100, 1024}, {16_384, 1024}, {20_000, 838}, {100_000, 167}, {1_000_000, 64},
	} {
		got := herdSlack(c.servers)
		if got != c.want {
			t.Errorf("herdSlack(%d) = %d, want %d", c.servers, got, c.want)
		}
		if c.servers > 16_384 && got > herdMinSlack && got*int64(c.servers) > herdCounters {
			t.Errorf("herdSlack(%d) = %d keeps %d counters open", c.servers, got, got*int64(c.servers))
		}
	}
}
