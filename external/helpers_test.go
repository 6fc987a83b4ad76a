package external

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// leastLoaded runs the Python example from the package directory, where
// go test runs.
var leastLoaded = []string{"python3", "python/least_loaded.py"}

// needPython skips a test that runs a Python strategy where there is no
// python3.
func needPython(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not in PATH, so the Python strategies are not tested here (CI installs it and runs them)")
	}
}

// script writes an sh script to a new temporary directory and returns the
// command that runs it. The script first writes its PID, which is also its
// process group's ID, to "$0.pid", for groupGone.
func script(t testing.TB, name, body string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".sh")
	if err := os.WriteFile(path, []byte("echo $$ > \"$0.pid\"\n"+body+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"sh", path}
}

// scriptGroup returns the process group ID a script wrote, or 0.
func scriptGroup(t testing.TB, cmd []string) int {
	t.Helper()
	if len(cmd) != 2 || cmd[0] != "sh" {
		return 0
	}
	data, err := os.ReadFile(cmd[1] + ".pid")
	if err != nil {
		return 0 // it never ran: "not found"
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s.pid: %v", cmd[1], err)
	}
	return pid
}

// helloLine is the line a script says hello with.
const helloLine = `echo '{"type":"hello","name":"script","version":1}'`

// open makes a Balancer that the test's end closes.
func open(t testing.TB, cfg Config, seed uint64) *Balancer {
	t.Helper()
	b, err := New(cfg, rand.NewPCG(seed, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// backends returns n backends web-0..web-(n-1), healthy but for the IDs
// listed in down.
func backends(n int, down ...int) []algorithms.Backend {
	bs := make([]algorithms.Backend, n)
	for i := range bs {
		bs[i] = algorithms.Backend{ID: i, Name: "web-" + strconv.Itoa(i), Weight: 1, Healthy: true}
	}
	for _, id := range down {
		bs[id].Healthy = false
	}
	return bs
}

// rand1 is the source of the tests that do not care about the seed.
func rand1() rand.Source { return rand.NewPCG(1, 0) }
