package external

// The child process: its pipes, its exit, the tail of its stderr.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// process is a running strategy. The pipes to and from it are os.Pipe
// files, not exec's StdinPipe/StdoutPipe, because those are pollable: reads
// and writes take deadlines, so no call waits on the child past its
// timeout, and no goroutine is needed to read its answers.
type process struct {
	cmd    *exec.Cmd
	stdin  *os.File // our end of its stdin
	stdout *os.File // our end of its stdout
	stderr *tail

	exited  chan struct{} // closed once Wait has returned
	waitErr error         // Wait's error, set before exited is closed
	ended   bool          // stdin and stdout closed, the group killed
}

// start runs argv in dir. grace bounds how long Wait waits for the stderr
// copy once the process has exited (a grandchild may hold the pipe open).
func start(argv []string, dir string, stderr io.Writer, grace time.Duration) (*process, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	p := &process{stdin: inW, stdout: outR, stderr: &tail{max: tailBytes}, exited: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Stdin, p.cmd.Stdout = inR, outW
	p.cmd.Stderr = p.stderr
	if stderr != nil {
		p.cmd.Stderr = io.MultiWriter(stderr, p.stderr)
	}
	p.cmd.WaitDelay = grace
	ownGroup(p.cmd)
	err = p.cmd.Start()
	// The child has its own copies now; ours would keep the pipes open past
	// its death and hide its exit from reads (EOF) and writes (EPIPE).
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitExit waits up to grace for the process to exit and kills it (its
// whole group) if it has not; it reports whether it had to.
func (p *process) waitExit(grace time.Duration) (killed bool) {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
		return false
	case <-t.C:
		p.kill()
		<-p.exited
		return true
	}
}

// kill ends the process group at once.
func (p *process) kill() {
	killGroup(p.cmd.Process)
}

// end closes our pipes, kills whatever is left of the process group (the
// process itself if it is still running, and any children it left behind),
// and waits for the exit. Idempotent.
func (p *process) end() {
	if p.ended {
		return
	}
	p.ended = true
	p.stdin.Close()
	p.stdout.Close()
	p.kill()
	<-p.exited
}

// status describes how the process ended; call it once exited is closed.
func (p *process) status() string {
	if st := p.cmd.ProcessState; st != nil {
		return st.String() // "exit status 3", "signal: killed"
	}
	return fmt.Sprint(p.waitErr)
}

// exitedOK reports whether the process has exited with status 0.
func (p *process) exitedOK() bool {
	st := p.cmd.ProcessState
	return st != nil && st.Success() && !errors.Is(p.waitErr, exec.ErrWaitDelay)
}

// tailBytes is how much of the child's stderr is kept for error messages:
// enough for a Python traceback.
const tailBytes = 8 << 10

// tail keeps the last max bytes written to it. exec's copying goroutine
// writes it while the balancer may read it, hence the mutex.
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// describe quotes the last lines of stderr (at most maxLines and about
// maxQuote bytes) for an error message.
func (t *tail) describe() string {
	const maxLines, maxQuote = 8, 1500
	t.mu.Lock()
	s := string(bytes.TrimRight(t.buf, "\r\n\t "))
	t.mu.Unlock()
	if s == "" {
		return "its stderr is empty"
	}
	lines := strings.Split(s, "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	s = strings.Join(lines, "\n")
	if len(s) > maxQuote {
		s = "..." + s[len(s)-maxQuote:]
	}
	return fmt.Sprintf("its stderr ends: %q", s)
}
