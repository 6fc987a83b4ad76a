package report

import (
	"bytes"
	"strings"
	"testing"
)

// The hedges and retries table comes only with the figures, and reads
// attempts per request as 1 + (hedges + retries) / requests.
func TestTriesTable(t *testing.T) {
	s := sample()
	var plain bytes.Buffer
	if err := WriteTable(&plain, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "hedges") {
		t.Errorf("a table without hedges or retries mentions them:\n%s", plain.String())
	}
	a := &s.Algorithms[0]
	a.Hedges = &Hedges{Sent: a.Requests / 10, Won: a.Requests / 20, DeniedByBudget: 3}
	a.Retries = &Retries{Sent: a.Requests / 20, DeniedByBudget: 4}
	var out bytes.Buffer
	if err := WriteTable(&out, s); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := strings.Fields(lines[len(lines)-len(s.Algorithms)])
	want := []string{a.Label, itoa(a.Requests / 10), itoa(a.Requests / 20), "3", itoa(a.Requests / 20), "4", "1.150"}
	if strings.Join(last, " ") != strings.Join(want, " ") {
		t.Errorf("row %q, want %q\n%s", last, want, out.String())
	}
}
