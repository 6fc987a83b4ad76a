package logimport

import (
	"bytes"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/logimport/logtest"
)

// BenchmarkParse is the import's per-line cost for each line format: what
// bounds sim import on a large log (the trace writing and sorting come on
// top; see the note on the 1 GB import).
func BenchmarkParse(b *testing.B) {
	servers := []logtest.Server{{Name: "srv1", Family: "exponential", Mean: 80 * time.Millisecond}}
	reqs := logtest.Generate(1, 1000, 100, servers)
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"haproxy", func(w *bytes.Buffer) error { return logtest.WriteHAProxy(w, reqs, servers) }},
		{"nginx", func(w *bytes.Buffer) error { return logtest.WriteNginx(w, reqs, servers) }},
		{"envoy", func(w *bytes.Buffer) error { return logtest.WriteEnvoy(w, reqs, servers, false) }},
		{"envoy-json", func(w *bytes.Buffer) error { return logtest.WriteEnvoy(w, reqs, servers, true) }},
	} {
		var buf bytes.Buffer
		if err := f.write(&buf); err != nil {
			b.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
		parse := Formats[f.name].line
		b.Run(f.name, func(b *testing.B) {
			var e entry
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				e.reset()
				if err := parse(lines[i%len(lines)], &e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
