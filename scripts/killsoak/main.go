// Command killsoak measures what clients of Fulcrum's proxy see when a
// backend dies mid-run and comes back, and what the proxy holds afterwards.
//
// It starts N emulated backends, each a process of its own (this program
// re-executed), puts the proxy in front of them with the classic
// configuration (`bench proxy --config`: round-robin, HEAD checks of each
// server's URL every --interval, rise 1, fall 1, --retries), drives it with
// vegeta at a fixed rate, kills backend 1 with SIGKILL at --kill-at and
// starts it again on the same address at --restart-at. It reports the
// answers by status, where every failure fell against the proxy's own
// health events, and the proxy process's open descriptors and goroutines
// before the load and once it has passed.
//
//	go run ./scripts/killsoak                                  # 400 req/s for 20s, kill at 5s, back at 10s
//	go run ./scripts/killsoak --retries 0                      # errors: those sent to b1 before it was seen down
//	go run ./scripts/killsoak --requests 200000 --rate 2000    # a soak: descriptors and goroutines afterwards
//
// The proxy runs in this process (so its goroutines can be counted) and so
// does vegeta, with a transport of its own that is closed after the attack:
// what is left open afterwards is the proxy's. Exit status: 0 when the run
// met its claims (with retries, no failed request; without, failures only on
// b1 between the kill and the proxy marking it down; descriptors and
// goroutines back within --slack of the start), 1 when it did not, 2 on a
// usage error.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/realproxy/backend"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

// childEnv marks a re-executed process as a backend: its value is
// "addr name service-mean".
const childEnv = "FULCRUM_KILLSOAK_BACKEND"

func main() {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(serveBackend(spec))
	}
	opt, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Run(ctx, opt)
	if err != nil {
		fmt.Fprintf(os.Stderr, "killsoak: %v\n", err)
		os.Exit(1)
	}
	rep.write(os.Stdout)
	if opt.JSON != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(opt.JSON, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "killsoak: %v\n", err)
			os.Exit(1)
		}
	}
	if len(rep.Problems) > 0 {
		os.Exit(1)
	}
}

// Options are the run's settings (the flags).
type Options struct {
	Requests  int
	Rate      int
	Backends  int
	Retries   int
	Interval  time.Duration
	Service   time.Duration // mean of each backend's exponential service time
	KillAt    time.Duration
	RestartAt time.Duration
	Settle    time.Duration // how long to wait for the proxy to let go of idle connections
	Slack     int           // descriptors and goroutines allowed above the start
	// MaxWorkers caps vegeta's requests in flight. Open-loop traffic adds
	// a request in flight whenever the system falls behind, so on a machine
	// too busy to keep up an uncapped generator opens connections until the
	// process runs out of descriptors; the cap makes it send late instead
	// (and says so: Report.Late). With one, a round-robin retry always goes
	// to the next backend; with many, a retry may come round to the dead
	// one again (the balancer may pick the same server, as in the
	// simulator).
	MaxWorkers int
	JSON       string
}

func parseFlags(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("killsoak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.IntVar(&o.Requests, "requests", 8000, "requests to send")
	fs.IntVar(&o.Rate, "rate", 400, "requests per second")
	fs.IntVar(&o.Backends, "backends", 4, "emulated backends, each its own process")
	fs.IntVar(&o.Retries, "retries", 2, "the classic config's retries")
	fs.DurationVar(&o.Interval, "interval", time.Second, "the classic config's healthCheckInterval")
	fs.DurationVar(&o.Service, "service", 500*time.Microsecond, "mean service time (exponential, one worker per backend)")
	fs.DurationVar(&o.KillAt, "kill-at", 5*time.Second, "when to SIGKILL backend 1 (0: never)")
	fs.DurationVar(&o.RestartAt, "restart-at", 10*time.Second, "when to start it again (0: never)")
	fs.DurationVar(&o.Settle, "settle", 20*time.Second, "longest wait, after the load, for descriptors to come back")
	fs.IntVar(&o.Slack, "slack", 8, "descriptors and goroutines allowed above where they started")
	fs.StringVar(&o.JSON, "json", "", "also write the report as JSON to this file")
	fs.IntVar(&o.MaxWorkers, "max-workers", 1000, "most requests in flight at once")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		err := fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintf(stderr, "killsoak: %v\n", err)
		return o, err
	case o.Requests < 1 || o.Rate < 1 || o.Backends < 2 || o.Retries < 0 || o.Interval <= 0 || o.Service <= 0 || o.MaxWorkers < 1:
		err := errors.New("--requests, --rate and --max-workers must be >= 1, --backends >= 2, --retries >= 0, --interval and --service > 0")
		fmt.Fprintf(stderr, "killsoak: %v\n", err)
		return o, err
	case o.RestartAt != 0 && o.RestartAt <= o.KillAt:
		err := errors.New("--restart-at must come after --kill-at")
		fmt.Fprintf(stderr, "killsoak: %v\n", err)
		return o, err
	}
	return o, nil
}

// Report is what a run saw.
type Report struct {
	Options  Options
	Sent     int            // requests vegeta sent
	ByStatus map[string]int // "200", "502", "error: ..." for client-side errors
	Failed   int            // answers other than 200
	// FailedOutside counts failures that the kill does not explain: that
	// ended before it, or began after the proxy had marked backend 1 down.
	// None should, with or without retries.
	FailedOutside int
	Health        []string // the proxy's health events, "at backend up|down"
	FDsBefore     int
	FDsAfter      int
	GoBefore      int
	GoAfter       int
	SettledIn     time.Duration // from the end of the load until descriptors came back
	// LateMean and LateMax: how far behind its schedule vegeta sent
	// (a busy machine, or the --max-workers cap).
	LateMean, LateMax time.Duration
	Utilisation       float64 // offered load per live backend: rate x service / backends
	Problems          []string
}

func (r *Report) write(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "killsoak: %d requests at %d/s over %d backends (exponential %v service, load %.2f a backend), retries %d, checks every %v\n",
		r.Sent, o.Rate, o.Backends, o.Service, r.Utilisation, o.Retries, o.Interval)
	if o.KillAt > 0 {
		fmt.Fprintf(w, "  b1 killed (SIGKILL) at %v", o.KillAt)
		if o.RestartAt > 0 {
			fmt.Fprintf(w, ", started again at %v", o.RestartAt)
		}
		fmt.Fprintln(w)
	}
	for _, k := range slices.Sorted(maps.Keys(r.ByStatus)) {
		fmt.Fprintf(w, "  %-8s %d\n", k, r.ByStatus[k])
	}
	fmt.Fprintf(w, "  failed %d (%d outside b1's dead-but-counted-healthy window); sent late by %v on average, %v at most\n",
		r.Failed, r.FailedOutside, r.LateMean.Round(time.Microsecond), r.LateMax.Round(time.Microsecond))
	fmt.Fprintf(w, "  health: %s\n", strings.Join(r.Health, ", "))
	fmt.Fprintf(w, "  proxy process: descriptors %d before, %d after (%v after the load); goroutines %d before, %d after\n",
		r.FDsBefore, r.FDsAfter, r.SettledIn.Round(time.Millisecond), r.GoBefore, r.GoAfter)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  PROBLEM: %s\n", p)
	}
}

// Run makes one run. The backends are processes of this program's
// executable (os.Executable) with childEnv set.
func Run(ctx context.Context, o Options) (*Report, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	rep := &Report{Options: o, ByStatus: map[string]int{},
		Utilisation: float64(o.Rate) * o.Service.Seconds() / float64(o.Backends)}
	fleet := &fleet{exe: exe, service: o.Service}
	defer fleet.stopAll()
	for i := range o.Backends {
		if err := fleet.start(ctx, i, "127.0.0.1:0"); err != nil {
			return nil, err
		}
	}

	// The proxy as `bench proxy --config` builds it.
	dir, err := os.MkdirTemp("", "killsoak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	servers, _ := json.Marshal(fleet.urls())
	cfgPath := filepath.Join(dir, "config.json")
	classic := fmt.Sprintf(`{"port": "127.0.0.1:0", "healthCheckInterval": %q, "retries": %d, "servers": %s}`, o.Interval, o.Retries, servers)
	if err := os.WriteFile(cfgPath, []byte(classic), 0o644); err != nil {
		return nil, err
	}
	cfg, err := proxy.LoadClassic(cfgPath)
	if err != nil {
		return nil, err
	}
	var hmu sync.Mutex
	type healthEvent struct {
		at      time.Time
		backend string
		healthy bool
	}
	var events []healthEvent
	cfg.OnHealth = func(_ time.Duration, b string, healthy bool) {
		hmu.Lock()
		defer hmu.Unlock()
		events = append(events, healthEvent{time.Now(), b, healthy})
	}
	p, err := proxy.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := p.Start(); err != nil {
		return nil, err
	}
	defer p.Shutdown(context.Background())

	// A warm request, then the baseline: what the proxy holds at rest.
	warm := &http.Client{Transport: &http.Transport{}}
	if resp, err := warm.Get(p.URL() + "/"); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	warm.CloseIdleConnections()
	rep.FDsBefore, rep.GoBefore = countFDs(), runtime.NumGoroutine()

	// The attack, with the kill and the restart on its clock.
	tr := &http.Transport{MaxIdleConnsPerHost: 10000, DisableCompression: true}
	opts := []func(*vegeta.Attacker){vegeta.Client(&http.Client{Transport: tr}), vegeta.KeepAlive(true), vegeta.Timeout(30 * time.Second)}
	if o.MaxWorkers > 0 {
		opts = append(opts, vegeta.Workers(uint64(min(o.MaxWorkers, vegeta.DefaultWorkers))), vegeta.MaxWorkers(uint64(o.MaxWorkers)))
	}
	att := vegeta.NewAttacker(opts...)
	// Exactly o.Requests requests, however late a busy machine makes them:
	// the attack ends when the targets do, not at a duration (which would
	// cut a late attack short).
	var issued atomic.Int64
	url := p.URL() + "/"
	target := func(t *vegeta.Target) error {
		if issued.Add(1) > int64(o.Requests) {
			return vegeta.ErrNoTargets
		}
		t.Method, t.URL = http.MethodGet, url
		return nil
	}
	start := time.Now()
	var killed time.Time
	faultsDone := make(chan error, 1)
	fctx, fcancel := context.WithCancel(ctx)
	go func() {
		faultsDone <- func() error {
			if o.KillAt <= 0 || !sleepUntil(fctx, start.Add(o.KillAt)) {
				return nil
			}
			addr := fleet.addr(0)
			killed = time.Now()
			if err := fleet.kill(0); err != nil {
				return err
			}
			if o.RestartAt <= 0 || !sleepUntil(fctx, start.Add(o.RestartAt)) {
				return nil
			}
			return fleet.start(fctx, 0, addr)
		}()
	}()
	type failure struct {
		start, end time.Time
	}
	var failures []failure
	var lateSum time.Duration
	for res := range att.Attack(target, vegeta.Rate{Freq: o.Rate, Per: time.Second}, 0, "killsoak") {
		if ctx.Err() != nil {
			att.Stop()
			continue
		}
		if res.Error == vegeta.ErrNoTargets.Error() && res.Code == 0 {
			continue // the end of the targets, not a request
		}
		rep.Sent++
		late := max(0, res.Timestamp.Sub(start.Add(time.Duration(res.Seq)*time.Second/time.Duration(o.Rate))))
		lateSum += late
		rep.LateMax = max(rep.LateMax, late)
		key := fmt.Sprint(res.Code)
		if res.Error != "" && res.Code == 0 {
			key = "error: " + res.Error
		}
		rep.ByStatus[key]++
		if res.Code != http.StatusOK {
			failures = append(failures, failure{res.Timestamp, res.Timestamp.Add(res.Latency)})
		}
	}
	fcancel()
	if rep.Sent > 0 {
		rep.LateMean = lateSum / time.Duration(rep.Sent)
	}
	if err := <-faultsDone; err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	tr.CloseIdleConnections()
	end := time.Now()

	// Where the failures fell: from the kill until the proxy's first
	// "down" of b1 after it, the proxy still sends it requests.
	hmu.Lock()
	var down time.Time
	b1 := fleet.urls()[0]
	for _, e := range events {
		state := "down"
		if e.healthy {
			state = "up"
		}
		rep.Health = append(rep.Health, fmt.Sprintf("%v %s %s", e.at.Sub(start).Round(time.Millisecond), e.backend, state))
		if e.backend == b1 && !e.healthy && !killed.IsZero() && e.at.After(killed) && down.IsZero() {
			down = e.at
		}
	}
	hmu.Unlock()
	for _, f := range failures {
		rep.Failed++
		// A failure the kill explains ended after it (those in flight on b1
		// began before it) and began before the proxy saw b1 down.
		inWindow := !killed.IsZero() && !f.end.Before(killed) && (down.IsZero() || f.start.Before(down))
		if !inWindow {
			rep.FailedOutside++
		}
	}

	// Descriptors and goroutines once the load has passed: the proxy lets
	// go of idle backend connections after its idle timeout.
	for {
		rep.FDsAfter, rep.GoAfter = countFDs(), runtime.NumGoroutine()
		if rep.FDsAfter <= rep.FDsBefore+o.Slack && rep.GoAfter <= rep.GoBefore+o.Slack || time.Since(end) > o.Settle {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rep.SettledIn = time.Since(end)

	if o.Retries > 0 && rep.Failed > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d requests failed with %d retries and %d live backends", rep.Failed, o.Retries, o.Backends-1))
	}
	if rep.FailedOutside > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d failures outside b1's dead-but-healthy window", rep.FailedOutside))
	}
	if rep.FDsAfter > rep.FDsBefore+o.Slack {
		rep.Problems = append(rep.Problems, fmt.Sprintf("descriptors %d after, %d before (slack %d)", rep.FDsAfter, rep.FDsBefore, o.Slack))
	}
	if rep.GoAfter > rep.GoBefore+o.Slack {
		rep.Problems = append(rep.Problems, fmt.Sprintf("goroutines %d after, %d before (slack %d)", rep.GoAfter, rep.GoBefore, o.Slack))
	}
	if rep.Utilisation >= 0.9 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("offered load %.2f a backend: overloaded backends queue without bound, and their health checks (queued behind the work) time out", rep.Utilisation))
	}
	return rep, nil
}

// sleepUntil waits until t or until ctx ends; it reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// countFDs counts this process's open file descriptors.
func countFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// fleet is the backend processes.
type fleet struct {
	exe     string
	service time.Duration
	mu      sync.Mutex
	procs   []*exec.Cmd
	addrs   []string
}

// start starts backend i on addr (":0" for any free port) and waits for it
// to say where it listens.
func (f *fleet) start(ctx context.Context, i int, addr string) error {
	name := fmt.Sprintf("b%d", i+1)
	cmd := exec.Command(f.exe)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", childEnv, addr, name, f.service.Nanoseconds()))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
	}()
	var got string
	select {
	case got = <-line:
	case <-ctx.Done():
	}
	if !strings.HasPrefix(got, "listening ") {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("backend %s on %s did not start (%q)", name, addr, got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.procs) <= i {
		f.procs, f.addrs = append(f.procs, nil), append(f.addrs, "")
	}
	f.procs[i], f.addrs[i] = cmd, strings.TrimPrefix(got, "listening ")
	return nil
}

func (f *fleet) addr(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addrs[i]
}

func (f *fleet) urls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.addrs))
	for i, a := range f.addrs {
		out[i] = "http://" + a
	}
	return out
}

// kill sends backend i SIGKILL and reaps it.
func (f *fleet) kill(i int) error {
	f.mu.Lock()
	cmd := f.procs[i]
	f.procs[i] = nil
	f.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Kill(); err != nil {
		return err
	}
	cmd.Wait()
	return nil
}

func (f *fleet) stopAll() {
	f.mu.Lock()
	procs := f.procs
	f.procs = nil
	f.mu.Unlock()
	for _, cmd := range procs {
		if cmd != nil {
			cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, cmd := range procs {
		if cmd != nil {
			cmd.Wait()
		}
	}
}

// serveBackend is a backend process: spec is "addr name mean-ns". It
// prints "listening ADDR" on stdout and serves until SIGTERM.
func serveBackend(spec string) int {
	var addr, name string
	var mean int64
	if _, err := fmt.Sscanf(spec, "%s %s %d", &addr, &name, &mean); err != nil {
		fmt.Fprintf(os.Stderr, "killsoak backend: bad spec %q: %v\n", spec, err)
		return 2
	}
	d, err := dist.New(dist.Spec{Dist: "exponential", Mean: time.Duration(mean)})
	if err != nil {
		fmt.Fprintf(os.Stderr, "killsoak backend: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var s *backend.Server
	// A restarted backend takes its old port back; the kernel may take a
	// moment to let go of it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s, err = backend.Start(addr, backend.Config{Name: name, Concurrency: 1, Service: d, Seed: 1})
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "killsoak backend: %v\n", err)
		return 1
	}
	fmt.Printf("listening %s\n", strings.TrimPrefix(s.URL(), "http://"))
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Close(shut)
	return 0
}
