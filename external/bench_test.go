package external

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// benchPick drives b as the simulator would: one Update, then per request
// a Pick, its Started and its Finished (which ride with the next pick).
func benchPick(b *testing.B, cfg Config) {
	bal, err := New(cfg, rand1())
	if err != nil {
		b.Fatal(err)
	}
	defer bal.Close()
	bal.Update(0, backends(16))
	b.ReportAllocs()
	var now time.Duration
	for b.Loop() {
		now += time.Microsecond
		id, err := bal.Pick(algorithms.Request{Now: now, Key: uint64(now)})
		if err != nil {
			b.Fatal(err)
		}
		bal.Started(id, now)
		bal.Finished(id, now, 50*time.Microsecond, true)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "picks/s")
}

// BenchmarkPickPython runs the Python example.
func BenchmarkPickPython(b *testing.B) {
	needPython(b)
	benchPick(b, Config{Command: leastLoaded})
}

// BenchmarkPickGoEcho runs testdata/echo, a compiled strategy that does no
// work: what remains is the protocol's own cost (encoding, two pipes, two
// context switches, parsing).
func BenchmarkPickGoEcho(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "echo")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goTool, "build", "-o", bin, "./testdata/echo").CombinedOutput(); err != nil {
		b.Fatalf("building testdata/echo: %v\n%s", err, out)
	}
	benchPick(b, Config{Command: []string{bin}})
}
