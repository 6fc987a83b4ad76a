package external

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// recorder is a strategy that writes every line it reads to the file
// given as its argument and answers every pick with backend 0.
const recorder = `read -r init
printf '%s\n' "$init" > "$1"
echo '{"type":"hello","name":"recorder","version":1}'
while read -r line; do
	printf '%s\n' "$line" >> "$1"
	case "$line" in *'"type":"pick"'*) echo '{"id":0}';; esac
done`

// TestMessages checks the messages byte for byte, in the order of the
// calls, the seed drawn from the source, the params passed through, and
// that Close writes what is still buffered.
func TestMessages(t *testing.T) {
	leakcheck.Check(t)
	cmd := script(t, "recorder", recorder)
	log := filepath.Join(t.TempDir(), "messages")
	cfg := Config{Command: append(cmd, log), Params: map[string]any{"alpha": 0.5, "names": []any{"x"}}}
	b, err := New(cfg, rand.NewPCG(7, 8))
	if err != nil {
		t.Fatal(err)
	}
	if b.Strategy() != "recorder" {
		t.Errorf("Strategy() = %q, want the hello's name", b.Strategy())
	}
	b.Update(0, []algorithms.Backend{
		{ID: 1, Name: `web "1"`, Weight: 2.5, Healthy: false},
		{ID: 0, Name: "web-0", Weight: 1, Healthy: true},
	})
	id, err := b.Pick(algorithms.Request{Now: 5 * time.Millisecond, Key: math.MaxUint64})
	if err != nil || id != 0 {
		t.Fatalf("Pick = %d, %v; want 0", id, err)
	}
	b.Started(0, 6*time.Millisecond)
	b.Finished(0, 9*time.Millisecond, 3*time.Millisecond, false)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("the second Close: %v", err)
	}
	if _, err := b.Pick(algorithms.Request{}); !errors.Is(err, ErrStrategy) || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Pick after Close: %v, want a closed balancer's error", err)
	}
	seed := rand.NewPCG(7, 8).Uint64() >> 11
	want := []string{
		`{"type":"init","version":1,"seed":` + strconv.FormatUint(seed, 10) + `,"params":{"alpha":0.5,"names":["x"]}}`,
		`{"type":"update","now":0,"backends":[{"id":1,"name":"web \"1\"","weight":2.5,"healthy":false},{"id":0,"name":"web-0","weight":1,"healthy":true}]}`,
		`{"type":"pick","now":5000000,"key":"18446744073709551615"}`,
		`{"type":"started","id":0,"now":6000000}`,
		`{"type":"finished","id":0,"now":9000000,"latency":3000000,"ok":false}`,
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestClose checks what Close returns and that it ends the process in
// every case: a strategy that exits on EOF, one that exits with an error,
// and one that ignores EOF and must be killed.
func TestClose(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string // "" for nil
	}{
		{name: "exits", body: "read -r init\n" + helloLine + "\nwhile read -r line; do :; done"},
		{name: "exits with an error", body: "read -r init\n" + helloLine + "\nwhile read -r line; do :; done\necho 'state lost' >&2\nexit 4",
			want: `exited (exit status 4) at Close; its stderr ends: "state lost"`},
		{name: "ignores EOF", body: "read -r init\n" + helloLine + "\nwhile read -r line; do :; done\nsleep 60",
			want: "did not exit within 300ms of its stdin closing, so it was killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			cmd := script(t, strings.ReplaceAll(tc.name, " ", "-"), tc.body)
			b := open(t, Config{Command: cmd, CloseGrace: 300 * time.Millisecond}, 1)
			b.Update(0, backends(2))
			b.Started(0, 0) // buffered: Close must write it to a process that reads
			err := b.Close()
			if tc.want == "" && err != nil {
				t.Errorf("Close: %v", err)
			}
			if tc.want != "" {
				checkErr(t, err, cmd, []string{tc.want})
			}
			if again := b.Close(); again != err {
				t.Errorf("the second Close returned %v, want %v", again, err)
			}
			if !groupGone(t, scriptGroup(t, cmd)) {
				t.Errorf("processes of %s left running", cmd[1])
			}
		})
	}
}

// TestFlushWithoutPicks checks that a long run of messages without a pick
// is written as it grows, not kept: the recorder has them all before the
// engine closes its stdin, and the buffer stays bounded.
func TestFlushWithoutPicks(t *testing.T) {
	leakcheck.Check(t)
	cmd := script(t, "recorder", recorder)
	log := filepath.Join(t.TempDir(), "messages")
	b := open(t, Config{Command: append(cmd, log)}, 1)
	const n = 5000 // about 200 KiB of started messages
	for i := range n {
		b.Started(1, time.Duration(i))
		if len(b.out) > flushAt+100 {
			t.Fatalf("after %d messages, %d bytes are buffered", i+1, len(b.out))
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(data), `"type":"started"`); got != n {
		t.Errorf("the strategy read %d started messages, want %d", got, n)
	}
}

// TestUpdatePanics checks that Update breaks on the contract's violations
// as the balancers of package algorithms do.
func TestUpdatePanics(t *testing.T) {
	leakcheck.Check(t)
	b := open(t, Config{Command: script(t, "quiet", "read -r init\n"+helloLine+"\nwhile read -r line; do :; done")}, 1)
	for _, tc := range []struct {
		name string
		bs   []algorithms.Backend
		want string
	}{
		{"negative id", []algorithms.Backend{{ID: -1, Name: "a", Weight: 1}}, "ID -1 out of range"},
		{"repeated id", []algorithms.Backend{{ID: 1, Name: "a", Weight: 1}, {ID: 1, Name: "b", Weight: 1}}, `backends "a" and "b" share ID 1`},
		{"zero weight", []algorithms.Backend{{ID: 0, Name: "a", Weight: 0}}, "weight 0 is not a finite number > 0"},
		{"NaN weight", []algorithms.Backend{{ID: 0, Name: "a", Weight: math.NaN()}}, "weight NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, tc.want) {
					t.Errorf("panic %q, want one saying %q", r, tc.want)
				}
			}()
			b.Update(0, tc.bs)
		})
	}
}

// TestStderr checks that the process's stderr reaches Config.Stderr.
func TestStderr(t *testing.T) {
	leakcheck.Check(t)
	var stderr strings.Builder
	b := open(t, Config{Command: script(t, "chatty", "read -r init\necho 'warming up' >&2\n"+helloLine+"\nwhile read -r line; do :; done"), Stderr: &stderr}, 1)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waited for the process, and Wait for the copy of its stderr.
	if got := stderr.String(); got != "warming up\n" {
		t.Errorf("Config.Stderr got %q", got)
	}
}
