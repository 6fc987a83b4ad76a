package report

import (
	"bytes"
	"testing"
)

// TestTableSeeds: with several seeds, the title names them and mean, p99
// and jain read "mean ± ci95" from Algorithm.CI; an algorithm without CI
// keeps its plain figures.
func TestTableSeeds(t *testing.T) {
	s := sample()
	s.Seeds = []uint64{42, 43, 44}
	s.Algorithms[0].CI = map[string]Stat{
		"mean_ms": {Mean: 12.04, CI95: 0.234, N: 3},
		"p99_ms":  {Mean: 612.4, CI95: 31.6, N: 3},
		"jain":    {Mean: 0.9975, CI95: 0.00042, N: 3},
	}
	var table bytes.Buffer
	if err := WriteTable(&table, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-seeds.txt", table.Bytes())
}

func TestSeedsText(t *testing.T) {
	for _, c := range []struct {
		seeds []uint64
		want  string
	}{
		{[]uint64{1, 2, 3}, "seeds 1-3"},
		{[]uint64{1, 7, 9}, "seeds 1, 7, 9"},
	} {
		if got := seedsText(c.seeds); got != c.want {
			t.Errorf("seedsText(%v) = %q, want %q", c.seeds, got, c.want)
		}
	}
}
