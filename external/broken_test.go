package external

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
)

// answerPicks is an sh loop that reads the engine's lines and runs $1 for
// each pick ("$n" counts them); everything else is ignored.
const answerPicks = `n=0
while read -r line; do
	case "$line" in *'"type":"pick"'*)
		n=$((n+1))
		%s
	;; esac
done`

// TestBroken runs strategies that misbehave, each as a small sh script,
// and checks that New or Pick fails with ErrStrategy and a message that
// says what happened, that the balancer stays failed with the same error,
// and that Close leaves no process and no goroutine behind. Nothing here
// asserts on elapsed time: the timeouts only have to fire.
func TestBroken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string        // the script after its first line; "" for a command that does not exist
		picks   int           // picks that succeed before the one that fails; -1: New fails
		timeout time.Duration // PickTimeout and HelloTimeout (default: the defaults)
		grace   time.Duration // CloseGrace
		want    []string      // in the error
	}{
		{
			name:  "not found",
			picks: -1,
			want:  []string{"/nonexistent/strategy: cannot start", "no such file"},
		},
		{
			name:  "exits at once",
			body:  "echo 'Traceback (most recent call last):' >&2\necho 'ModuleNotFoundError: numpy' >&2\nexit 3",
			picks: -1,
			want:  []string{"exited (exit status 3) before sending its hello", `its stderr ends: "Traceback (most recent call last):\nModuleNotFoundError: numpy"`},
		},
		{
			name:    "never says hello",
			body:    "read -r init\nsleep 60", // sh forks sleep: the kill must reach the group
			picks:   -1,
			timeout: 300 * time.Millisecond,
			want:    []string{"did not send its hello within 300ms, so it was killed", "its stderr is empty"},
		},
		{
			name:  "refuses to start",
			body:  `read -r init; echo '{"error":"unknown param \"alhpa\""}'`,
			picks: -1,
			want:  []string{`refused to start: unknown param "alhpa"`},
		},
		{
			name:  "another version",
			body:  `read -r init; echo '{"type":"hello","name":"future","version":2}'`,
			picks: -1,
			want:  []string{"speaks protocol version 2; this engine speaks version 1"},
		},
		{
			name:  "prints before hello",
			body:  "read -r init; echo 'loading model...'; sleep 60",
			picks: -1,
			want:  []string{`sent "loading model..." instead of its hello`, "write logs to stderr"},
		},
		{
			name:  "dies mid-run",
			body:  "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `if [ $n -ge 3 ]; then echo "KeyError: 7" >&2; exit 7; fi; echo '{"id":0}'`),
			picks: 2,
			want:  []string{"exited (exit status 7) before sending the answer to a pick", `its stderr ends: "KeyError: 7"`},
		},
		{
			name:  "closes stdout and lingers",
			body:  "read -r init\n" + helloLine + "\nexec >&-\nsleep 60",
			grace: 300 * time.Millisecond,
			want:  []string{"closed its stdout before sending the answer to a pick but did not exit within 300ms, so it was killed"},
		},
		{
			name: "answers garbage",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo "picking web-0"`),
			want: []string{`answered a pick with "picking web-0": not a valid answer`, "write logs to stderr"},
		},
		{
			name: "answers a long line",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `printf '%0500d\n' 7`),
			want: []string{`answered a pick with "0000`, `... (500 bytes): not a valid answer`},
		},
		{
			name: "answers twice",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `printf '{"id":0}\ndebug: picked 0\n'`),
			want: []string{`sent more than one line as the answer to a pick: "{\"id\":0}", then "debug: picked 0"`, "write logs to stderr"},
		},
		{
			name: "answers both",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo '{"id":0,"none":true}'`),
			want: []string{`answered a pick with "{\"id\":0,\"none\":true}"`, `exactly one of {"id": N} and {"none": true}`},
		},
		{
			name: "answers a fraction",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo '{"id":1.5}'`),
			want: []string{"id 1.5 is not an integer"},
		},
		{
			name: "answers an id out of range",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo '{"id": 9}'`),
			want: []string{"answered a pick with id 9, out of range: the listed backends' ids are in [0, 4]"},
		},
		{
			name: "answers a negative id",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo '{"id": -1}'`),
			want: []string{"answered a pick with id -1, out of range"},
		},
		{
			name: "answers an id not in the set",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo '{"id": 3}'`),
			want: []string{"answered a pick with id 3, which is not in the current backend set"},
		},
		{
			name: "answers an unhealthy id",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo '{"id": 2}'`),
			want: []string{`answered a pick with id 2, backend "web-2", which is unhealthy`},
		},
		{
			name:    "sleeps past the timeout",
			body:    "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo 'thinking hard' >&2; sleep 60`),
			timeout: 200 * time.Millisecond,
			want:    []string{"did not send the answer to a pick within 200ms, so it was killed", `its stderr ends: "thinking hard"`},
		},
		{
			name: "reports an error",
			body: "read -r init\n" + helloLine + "\n" + strings.ReplaceAll(answerPicks, "%s", `echo '{"error":"ZeroDivisionError: division by zero"}'`),
			want: []string{"reported an error instead of answering a pick: ZeroDivisionError: division by zero"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			cmd := []string{"/nonexistent/strategy"}
			if tc.body != "" {
				cmd = script(t, strings.ReplaceAll(tc.name, " ", "-"), tc.body)
			}
			cfg := Config{Command: cmd, PickTimeout: tc.timeout, HelloTimeout: tc.timeout, CloseGrace: tc.grace}
			defer func() {
				if g := scriptGroup(t, cmd); g != 0 && !groupGone(t, g) {
					t.Errorf("processes of %s left running", cmd[1])
				}
			}()
			b, err := New(cfg, rand1())
			if tc.picks < 0 {
				if err == nil {
					b.Close()
					t.Fatal("New succeeded")
				}
				checkErr(t, err, cmd, tc.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() }) // a no-op unless the test stops early
			// Backends 0..4 listed but 3, 2 unhealthy.
			bs := append(backends(3, 2), algorithms.Backend{ID: 4, Name: "web-4", Weight: 1, Healthy: true})
			b.Update(0, bs)
			for i := range tc.picks {
				id, err := b.Pick(algorithms.Request{Now: time.Duration(i)})
				if err != nil {
					t.Fatalf("pick %d: %v", i, err)
				}
				b.Started(id, time.Duration(i))
				b.Finished(id, time.Duration(i), 1, true)
			}
			_, err = b.Pick(algorithms.Request{Now: 100})
			checkErr(t, err, cmd, tc.want)
			// Failed for good: the same error at once, and the other calls
			// are harmless.
			b.Update(101, bs)
			b.Started(0, 101)
			b.Finished(0, 101, 1, true)
			if _, again := b.Pick(algorithms.Request{Now: 102}); again != err {
				t.Errorf("the next pick failed with %v, want the same error", again)
			}
			if c := b.Close(); c != err {
				t.Errorf("Close returned %v, want the failure", c)
			}
			if c := b.Close(); c != err {
				t.Errorf("the second Close returned %v, want the failure", c)
			}
		})
	}
}

// checkErr checks that err is a strategy failure that names the command
// and says each of want.
func checkErr(t *testing.T, err error, cmd []string, want []string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatal("no error")
	case !errors.Is(err, ErrStrategy):
		t.Errorf("error %q does not wrap ErrStrategy", err)
	case errors.Is(err, algorithms.ErrNoBackend):
		t.Errorf("error %q is ErrNoBackend", err)
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.Contains(msg, commandString(cmd)+": ") {
		t.Errorf("error %q does not name the command %q", msg, commandString(cmd))
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
}
