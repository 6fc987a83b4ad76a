package external

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// ErrStrategy is wrapped by every error that comes from the strategy's
// process: it would not start, died, answered garbage or an ineligible
// backend, was too slow, or reported an error of its own. It is never
// algorithms.ErrNoBackend, which means only that the strategy answered none.
var ErrStrategy = errors.New("external strategy failed")

// Defaults for Config's durations.
const (
	DefaultPickTimeout  = time.Second
	DefaultHelloTimeout = 10 * time.Second
	DefaultCloseGrace   = 2 * time.Second
)

// maxID bounds backend IDs, which index slices here, as in package
// algorithms.
const maxID = 1<<24 - 1

// maxLine bounds one line from the process; a longer one is garbage.
const maxLine = 64 << 10

// flushAt is how many bytes of update, started and finished messages wait
// for the next pick before they are written on their own, so that a long
// run of them without a pick (a proxy that is idle while its health checks
// go on) does not grow the buffer without end.
const flushAt = 64 << 10

// Config says which strategy to run and how long to wait for it.
type Config struct {
	Command []string       // argv, e.g. {"python3", "my_lb.py"}; Command[0] is looked up in PATH
	Dir     string         // working directory ("" = the current one)
	Params  map[string]any // the strategy's own params, sent as JSON in the init message

	// PickTimeout bounds a pick's round trip (writing the batch, reading the
	// answer); a slower answer is a failure and the process is killed.
	// Default DefaultPickTimeout.
	PickTimeout time.Duration
	// HelloTimeout bounds the wait for hello after init: interpreters and
	// JITs start slowly. Default DefaultHelloTimeout.
	HelloTimeout time.Duration
	// CloseGrace is how long Close waits for the process to exit once its
	// stdin is closed before it kills it. Default DefaultCloseGrace.
	CloseGrace time.Duration

	// Stderr receives the process's stderr as it comes. Either way its last
	// few kilobytes are kept and quoted in errors.
	Stderr io.Writer
}

// Balancer is an algorithms.Balancer whose decisions a child process makes.
//
// It is safe for concurrent use: one mutex serialises every call, and Pick
// holds it for a whole round trip to the process (about 10 µs for a
// compiled strategy, 50 µs for Python: see PROTOCOL.md). So the proxy's
// goroutines pick one at a time, at most 1/round-trip picks per second in
// all, and a Started or Finished waits behind a pick in progress. That is the price of a strategy in a
// separate process; a strategy that must keep up with a busy proxy belongs
// in package algorithms. Unlike the contract's Pick, this one blocks (up to
// PickTimeout) and may allocate when it builds an error.
//
// After any failure the process is killed and every later Pick returns the
// same error at once; Update, Started and Finished do nothing.
type Balancer struct {
	name        string // the command, for errors
	pickTimeout time.Duration
	closeGrace  time.Duration
	proc        *process
	strategy    string // the name the process gave in hello

	mu     sync.Mutex
	out    []byte        // messages not yet written, then the pick, written at once
	in     *bufio.Reader // the process's stdout
	ids    []idState     // by ID: from the latest Update, to check answers
	names  []string      // by ID, for messages
	err    error         // the failure, or the use of a closed Balancer
	closed bool
	ended  error // what Close returns
}

type idState uint8

const (
	unlisted idState = iota
	unhealthy
	healthy
)

// New starts the strategy's process, sends it init (with a seed drawn from
// src, so a deterministic strategy makes the same choices for the same
// seed) and waits for its hello. On error the process has been ended.
func New(cfg Config, src rand.Source) (*Balancer, error) {
	if len(cfg.Command) == 0 || cfg.Command[0] == "" {
		return nil, errors.New("external: no command given")
	}
	if src == nil {
		return nil, errors.New("external: no rand.Source given (the strategy's seed comes from it)")
	}
	b := &Balancer{
		name:        commandString(cfg.Command),
		pickTimeout: orDefault(cfg.PickTimeout, DefaultPickTimeout),
		closeGrace:  orDefault(cfg.CloseGrace, DefaultCloseGrace),
	}
	params := []byte("{}")
	if cfg.Params != nil {
		var err error
		if params, err = json.Marshal(cfg.Params); err != nil {
			return nil, fmt.Errorf("external: %s: params cannot be sent as JSON: %v", b.name, err)
		}
	}
	p, err := start(cfg.Command, cfg.Dir, cfg.Stderr, b.closeGrace)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: cannot start: %v", ErrStrategy, b.name, err)
	}
	b.proc = p
	b.in = bufio.NewReaderSize(p.stdout, maxLine)
	b.out = appendInit(b.out, src.Uint64()>>(64-seedBits), params)
	if err := b.hello(orDefault(cfg.HelloTimeout, DefaultHelloTimeout)); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// commandString quotes the arguments that need it, for messages.
func commandString(argv []string) string {
	var sb strings.Builder
	for i, a := range argv {
		if i > 0 {
			sb.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\") {
			a = strconv.Quote(a)
		}
		sb.WriteString(a)
	}
	return sb.String()
}

// hello writes init and reads the hello.
func (b *Balancer) hello(timeout time.Duration) error {
	line, err := b.roundTrip(timeout, "its hello")
	if err != nil {
		return err
	}
	var h hello
	if err := json.Unmarshal(line, &h); err != nil {
		return b.fail(fmt.Sprintf("sent %s instead of its hello: %v%s", quote(line), err, stdoutHint(line)))
	}
	switch {
	case h.Error != nil:
		return b.fail(fmt.Sprintf("refused to start: %s", *h.Error))
	case h.Type != "hello":
		return b.fail(fmt.Sprintf(`sent %s instead of its hello ({"type": "hello", "name": ..., "version": %d})`, quote(line), ProtocolVersion))
	case h.Version == nil:
		return b.fail(fmt.Sprintf("said hello without a protocol version: %s", quote(line)))
	case *h.Version != ProtocolVersion:
		return b.fail(fmt.Sprintf("speaks protocol version %d; this engine speaks version %d", *h.Version, ProtocolVersion))
	}
	b.strategy = h.Name
	return nil
}

// Strategy returns the name the process gave in its hello.
func (b *Balancer) Strategy() string { return b.strategy }

// Update sends the whole backend set with the next pick. It panics on a
// broken contract, as the balancers of package algorithms do.
func (b *Balancer) Update(now time.Duration, backends []algorithms.Backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.ids)
	for _, be := range backends {
		switch {
		case be.ID < 0 || be.ID > maxID:
			panic(fmt.Sprintf("external: Update: backend %q: ID %d out of range [0, %d]", be.Name, be.ID, maxID))
		case be.ID < len(b.ids) && b.ids[be.ID] != unlisted:
			panic(fmt.Sprintf("external: Update: backends %q and %q share ID %d", b.names[be.ID], be.Name, be.ID))
		case !(be.Weight > 0) || math.IsInf(be.Weight, 1):
			panic(fmt.Sprintf("external: Update: backend %q (ID %d): weight %v is not a finite number > 0", be.Name, be.ID, be.Weight))
		}
		for len(b.ids) <= be.ID {
			b.ids = append(b.ids, unlisted)
			b.names = append(b.names, "")
		}
		b.ids[be.ID], b.names[be.ID] = unhealthy, be.Name
		if be.Healthy {
			b.ids[be.ID] = healthy
		}
	}
	if b.err != nil {
		return
	}
	b.out = appendUpdate(b.out, now, backends)
	b.flushIfLarge()
}

// Started is sent with the next pick.
func (b *Balancer) Started(id int, now time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return
	}
	b.out = appendStarted(b.out, id, now)
	b.flushIfLarge()
}

// Finished is sent with the next pick.
func (b *Balancer) Finished(id int, now, latency time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return
	}
	b.out = appendFinished(b.out, id, now, latency, ok)
	b.flushIfLarge()
}

// flushIfLarge writes the buffered messages once they pass flushAt; a
// failure is kept for the next Pick to report.
func (b *Balancer) flushIfLarge() {
	if len(b.out) >= flushAt {
		b.write(b.pickTimeout, "")
	}
}

// Pick writes the buffered messages and the pick in one write and reads
// the answer: {"id": N} for a healthy backend in the current set, or
// {"none": true} for algorithms.ErrNoBackend.
func (b *Balancer) Pick(req algorithms.Request) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return -1, b.err
	}
	b.out = appendPick(b.out, req)
	line, err := b.roundTrip(b.pickTimeout, "the answer to a pick")
	if err != nil {
		return -1, err
	}
	a, err := parseAnswer(line)
	switch {
	case err != nil:
		return -1, b.badAnswer(line, err)
	case a.none:
		return -1, algorithms.ErrNoBackend
	}
	if msg := b.ineligible(a.id); msg != "" {
		return -1, b.fail(fmt.Sprintf(`answered a pick with id %d, %s (a strategy answers the id of a healthy backend of the latest update, or {"none": true})`, a.id, msg))
	}
	return a.id, nil
}

// badAnswer fails the balancer for a line that is not an answer. (Apart
// from Pick, so that Pick's happy path allocates nothing.)
func (b *Balancer) badAnswer(line []byte, err error) error {
	var own strategyError
	if errors.As(err, &own) {
		return b.fail(fmt.Sprintf("reported an error instead of answering a pick: %s", own))
	}
	return b.fail(fmt.Sprintf("answered a pick with %s: %v%s", quote(line), err, stdoutHint(line)))
}

// ineligible says why id may not be picked, or returns "".
func (b *Balancer) ineligible(id int) string {
	switch {
	case len(b.ids) == 0:
		return "but no backends have been listed"
	case id < 0 || id >= len(b.ids):
		return fmt.Sprintf("out of range: the listed backends' ids are in [0, %d]", len(b.ids)-1)
	case b.ids[id] == unlisted:
		return "which is not in the current backend set"
	case b.ids[id] == unhealthy:
		return fmt.Sprintf("backend %q, which is unhealthy", b.names[id])
	}
	return ""
}

// stdoutHint explains a line that is not even JSON: most often a print
// meant for a log.
func stdoutHint(line []byte) string {
	if len(line) > 0 && line[0] == '{' {
		return ""
	}
	return " (stdout carries the protocol: write logs to stderr)"
}

// roundTrip writes the buffered messages and reads one line back, all
// within timeout; waitingFor names the line ("its hello") for errors.
func (b *Balancer) roundTrip(timeout time.Duration, waitingFor string) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	if err := b.writeBy(deadline, timeout, waitingFor); err != nil {
		return nil, err
	}
	if err := b.proc.stdout.SetReadDeadline(deadline); err != nil {
		return nil, b.fail(fmt.Sprintf("cannot set a deadline on its stdout: %v", err))
	}
	line, err := b.in.ReadSlice('\n')
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.proc.end()
		return nil, b.fail(fmt.Sprintf("did not send %s within %v, so it was killed; %s", waitingFor, timeout, b.proc.stderr.describe()))
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, b.fail(fmt.Sprintf("sent a line longer than %d KiB as %s: %s", maxLine>>10, waitingFor, quote(line)))
	case err != nil:
		return nil, b.died(err, waitingFor)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	// A line no one asked for would be read as the next pick's answer and
	// shift every answer by one. Those that came in the same read as this
	// one are caught here; a later one most often fails as garbage.
	if n := b.in.Buffered(); n > 0 {
		extra, _ := b.in.Peek(n)
		extra, _, _ = bytes.Cut(extra, []byte("\n"))
		return nil, b.fail(fmt.Sprintf("sent more than one line as %s: %s, then %s%s", waitingFor, quote(line), quote(extra), stdoutHint(extra)))
	}
	return line, nil
}

// write writes the buffered messages within timeout.
func (b *Balancer) write(timeout time.Duration, waitingFor string) error {
	return b.writeBy(time.Now().Add(timeout), timeout, waitingFor)
}

func (b *Balancer) writeBy(deadline time.Time, timeout time.Duration, waitingFor string) error {
	if err := b.proc.stdin.SetWriteDeadline(deadline); err != nil {
		return b.fail(fmt.Sprintf("cannot set a deadline on its stdin: %v", err))
	}
	_, err := b.proc.stdin.Write(b.out)
	b.out = b.out[:0]
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.proc.end()
		return b.fail(fmt.Sprintf("stopped reading its stdin (a write did not complete within %v), so it was killed; %s", timeout, b.proc.stderr.describe()))
	case err != nil:
		return b.died(err, waitingFor) // EPIPE: nothing reads the other end
	}
	return nil
}

// died fails the balancer for a process whose stdout or stdin has closed:
// it has exited or is about to. Waiting for it (up to CloseGrace) gives its
// exit status and the rest of its stderr.
func (b *Balancer) died(ioErr error, waitingFor string) error {
	before := ""
	if waitingFor != "" {
		before = " before sending " + waitingFor
	}
	if b.proc.waitExit(b.closeGrace) {
		how := "closed its stdout"
		if !errors.Is(ioErr, io.EOF) {
			how = fmt.Sprintf("broke its pipe (%v)", ioErr)
		}
		b.proc.end()
		return b.fail(fmt.Sprintf("%s%s but did not exit within %v, so it was killed; %s", how, before, b.closeGrace, b.proc.stderr.describe()))
	}
	b.proc.end()
	return b.fail(fmt.Sprintf("exited (%s)%s; %s", b.proc.status(), before, b.proc.stderr.describe()))
}

// fail records the balancer's failure, ends the process and returns the
// error every later Pick returns.
func (b *Balancer) fail(msg string) error {
	b.err = fmt.Errorf("%w: %s: %s", ErrStrategy, b.name, msg)
	b.proc.end()
	return b.err
}

// Close writes the messages still buffered, closes the process's stdin
// (its cue to exit), waits up to CloseGrace for it to exit and kills it if
// it has not; it also kills anything the process left in its process
// group. It returns nil if the process exited with status 0, the
// balancer's failure if it had failed, and otherwise what went wrong.
// Every call returns the same. A Pick in progress finishes first (within
// PickTimeout); after Close, Pick fails and the other calls do nothing.
func (b *Balancer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.ended
	}
	b.closed = true
	if b.err == nil && len(b.out) > 0 {
		b.write(b.closeGrace, "")
	}
	if b.err != nil {
		b.ended = b.err
	} else {
		b.proc.stdin.Close()
		switch killed := b.proc.waitExit(b.closeGrace); {
		case killed:
			b.ended = fmt.Errorf("%w: %s: did not exit within %v of its stdin closing, so it was killed; %s", ErrStrategy, b.name, b.closeGrace, b.proc.stderr.describe())
		case !b.proc.exitedOK():
			b.ended = fmt.Errorf("%w: %s: exited (%s) at Close; %s", ErrStrategy, b.name, b.proc.status(), b.proc.stderr.describe())
		}
		b.proc.end()
	}
	b.err = fmt.Errorf("%w: %s: the balancer is closed", ErrStrategy, b.name)
	return b.ended
}
