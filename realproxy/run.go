package realproxy

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/backend"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/report"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// Options tune a real run.
type Options struct {
	// Repeat measures every algorithm this many times (0 means 1),
	// interleaved (A B C A B C ...) so that a drift in the machine's speed
	// falls on all alike, and reports each algorithm's repetitions merged:
	// counts summed, latency histograms merged, the measured windows
	// added; from 2 on, each repetition's own figures are kept too
	// (report.Algorithm.Repetitions).
	Repeat int
	// Progress, if set, is called from Run's goroutine with the number of
	// answered requests since the last call (in batches), over every
	// algorithm and repetition.
	Progress func(answered int64)
	// VegetaDir, if set, is an existing directory where Run writes
	// vegeta-<label>.bin for each algorithm: vegeta's own results (gob, as
	// `vegeta attack` writes them, every arrival including the warm-up's,
	// all repetitions), for `vegeta report` and `vegeta plot`, and
	// trace-<label>.csv, the trace (DESIGN.md §8) of each algorithm's first
	// repetition, for `sim fit` and replay. The files appear only if Run
	// succeeds.
	VegetaDir string
	// OnEvent, if set, is told of the faults the backends apply and of the
	// health changes the proxy sees, as they happen. It is called from
	// several goroutines at once.
	OnEvent func(Event)
	// OnPacing, if set, is told after each algorithm's repetition how well
	// the load generator kept to the schedule.
	OnPacing func(Pacing)
	// Observer, if set, gives the observer (proxy.Config.Observer) of each
	// proxy the run starts: balancer instance balancer of the algorithm
	// labelled label, in each repetition (bench run --admin: their
	// metrics, promexport.Hub).
	Observer func(label string, balancer int) proxy.Observer
}

// Event is a moment of a run's timeline, as summary.json records it: a
// fault starting or ending on a server (backend.Group.RunFaults), or a
// proxy (Balancer: which one) marking a backend healthy or unhealthy. Its
// AtMS is since the first arrival's schedule began (faults) or the
// proxies' epoch, a few ms earlier (health).
type Event struct {
	Label  string // the algorithm being measured
	Repeat int    // its repetition, from 0
	report.Event
}

// Pacing describes one algorithm's repetition from the load generator's
// side. Lag is how late each request left against its scheduled arrival
// time (timer overshoot, scheduling, a busy worker pool); latency is
// measured from when it actually left.
type Pacing struct {
	Label   string
	Repeat  int
	Sent    int64
	LagMean time.Duration
	LagP99  time.Duration
	LagMax  time.Duration
	// Unattributed counts measured errors that no backend header names
	// (the proxy's own 502/504, client errors): they are in the errors but
	// in no server's figures.
	Unattributed int64
}

// Timeouts for tearing down a measurement's proxy and backends.
const shutdownTimeout = 5 * time.Second

// Run measures every algorithm of sc on real HTTP, one after the other, each
// on the same arrivals, and returns the summary (engine "real"). It fills
// the same figures as sim.Run, with the same meanings; see the package
// comment. Everything it starts is stopped before it returns, also on error
// or when ctx is cancelled.
func Run(ctx context.Context, sc *scenarios.Scenario, opt Options) (*report.Summary, error) {
	n := len(sc.Algorithms)
	if n == 0 {
		return nil, fmt.Errorf("realproxy: scenario %s lists no algorithms", sc.Name)
	}
	if len(sc.ServerList()) == 0 {
		return nil, fmt.Errorf("realproxy: scenario %s has no servers", sc.Name)
	}
	if err := sc.Unsupported("bench", model.Supports); err != nil {
		return nil, err
	}
	if err := checkForeign(sc); err != nil {
		return nil, err
	}
	closed := sc.Arrivals.Process == "closed"
	var sched *schedule
	if !closed {
		var err error
		if sched, err = newSchedule(sc); err != nil {
			return nil, err
		}
	} else if _, err := model.NewUsers(sc); err != nil {
		return nil, fmt.Errorf("realproxy: %w", err)
	}
	vf, err := createVegetaFiles(opt.VegetaDir, sc)
	if err != nil {
		return nil, err
	}
	defer vf.abort() // a no-op after commit

	tallies := make([]*tally, n)
	for i := range tallies {
		tallies[i] = newTally(sc)
	}
	m := &measurement{sc: sc, sched: sched, opt: opt, token: controlToken()}
	if sched != nil {
		m.pacer = newPacer(sched)
	}
	for rep := range max(opt.Repeat, 1) {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			runtime.GC() // start each measurement from the same clean heap
			var tr *capture
			if rep == 0 {
				tr = vf.traces[i]
			}
			if err := m.run(ctx, i, rep, tallies[i], vf.encoders[i], tr); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return nil, fmt.Errorf("realproxy: %s: %w", sc.Algorithms[i].Label, err)
			}
		}
	}
	if err := vf.commit(); err != nil {
		return nil, err
	}
	out := make([]report.Algorithm, n)
	for i, t := range tallies {
		out[i] = t.result(sc, i)
	}
	return &report.Summary{
		Scenario:         sc.Name,
		Engine:           "real",
		Seed:             sc.Seed,
		Algorithms:       out,
		ScenarioResolved: sc.Resolved(),
	}, nil
}

// measurement holds what every algorithm's measurement of one run shares.
type measurement struct {
	sc    *scenarios.Scenario
	sched *schedule
	pacer pacer
	opt   Options
	token string // the proxies' control token, for the backends' announcements
}

// run measures algorithm i once (repetition rep), adding to t and writing
// vegeta's results with enc (if not nil).
func (m *measurement) run(parent context.Context, i, rep int, t *tally, enc vegeta.Encoder, trc *capture) (err error) {
	sc, alg := m.sc, m.sc.Algorithms[i]
	ctx, cancel := context.WithCancel(parent) // also cancelled by a failure below
	defer cancel()
	event := func(e report.Event) {
		if rep == 0 {
			t.event(e)
		}
		if m.opt.OnEvent != nil {
			m.opt.OnEvent(Event{Label: alg.Label, Repeat: rep, Event: e})
		}
	}

	// Backends, then one proxy per balancer instance in front of them.
	group, err := backend.StartGroup(sc)
	if err != nil {
		return fmt.Errorf("starting backends: %w", err)
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer ccancel()
		if cerr := group.Close(cctx); cerr != nil && err == nil {
			err = fmt.Errorf("stopping backends: %w", cerr)
		}
	}()
	servers := group.Servers()
	list := sc.ServerList()
	if len(servers) != len(list) {
		return fmt.Errorf("backend group has %d servers, scenario %d", len(servers), len(list))
	}
	backends := make([]proxy.Backend, len(list))
	byURL := make(map[string]int, len(list))
	for j, s := range list {
		if s.URL != "" {
			// Someone else's server (foreign.go), checked at its URL.
			backends[j] = proxy.Backend{Name: s.Name, URL: s.URL, Weight: s.Weight, HealthURL: s.URL}
		} else {
			backends[j] = proxy.Backend{Name: s.Name, URL: servers[j].URL(), Weight: s.Weight}
		}
		byURL[backends[j].URL] = j
	}
	// Membership: the proxies take their set from the driver's source.
	var members *memberDriver
	if ms := model.NewMembership(sc); ms != nil {
		set := make([]discovery.Backend, len(backends))
		for j, b := range backends {
			set[j] = discovery.Backend{Name: b.Name, URL: b.URL, Weight: b.Weight}
		}
		if members, err = newMemberDriver(ms, servers, set); err != nil {
			return fmt.Errorf("membership: %w", err)
		}
		members.event = event
	}
	nb := max(sc.Balancers, 1)
	urls := make([]string, nb)
	tracksIdle := false // the balancers learn of idle backends from them (join-idle-queue)
	epoch := time.Now() // the balancers' time 0, a few ms before the first arrival
	for b := range nb {
		cfg := m.proxyConfig(alg, b, backends, epoch, func(at time.Duration, name string, healthy bool) {
			event(report.HealthEvent(float64(at)/1e6, name, b, healthy))
		})
		if members != nil {
			cfg.Discovery = members.src
		}
		if m.opt.Observer != nil {
			cfg.Observer = m.opt.Observer(alg.Label, b)
		}
		p, err := proxy.New(cfg)
		if err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
		if members != nil {
			members.proxies = append(members.proxies, p)
		}
		defer func() { // also after a failed Start: the balancer may hold a process
			cctx, ccancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer ccancel()
			if cerr := p.Shutdown(cctx); cerr != nil && err == nil {
				err = fmt.Errorf("stopping proxy: %w", cerr)
			}
			if serr := p.StrategyError(); serr != nil && err == nil {
				err = serr // the measurement measured a broken strategy
			}
		}()
		if err := p.Start(); err != nil {
			return fmt.Errorf("starting proxy: %w", err)
		}
		urls[b] = strings.TrimSuffix(p.URL(), "/")
		tracksIdle = tracksIdle || p.TracksIdle()
	}
	if tracksIdle {
		// Every server announces itself now, all being idle, and then
		// whenever it becomes idle, to one proxy chosen at random.
		group.SetIdleAnnounce(urls, m.token)
	}

	// The load generator: vegeta over a client whose every request is
	// cancelled with ctx, so that an interrupted run ends at once.
	tr := newTransport()
	defer tr.CloseIdleConnections() // before the proxies' Shutdown, deferred earlier
	atk := vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: ctxTransport{ctx: ctx, base: tr}}),
		vegeta.Timeout(clientTimeout(sc)),
		vegeta.Workers(initialWorkers),
		vegeta.MaxWorkers(maxWorkers),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.MaxBody(maxBody),
	)
	defer atk.Stop()
	stopOnCancel := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stopOnCancel()

	// Reset the backends' figures when the warm-up ends and read them when
	// the measured window does, on the attack's clock.
	busy := make([]time.Duration, len(servers))
	var wg sync.WaitGroup
	defer wg.Wait()
	faultsCtx, stopFaults := context.WithCancel(ctx)
	defer stopFaults()

	// The faults and the window run on the attack's clock: start is taken
	// just before vegeta's own (a few µs earlier), and the fault goroutine
	// starts first so that a fault at 0s is in force for the first arrival.
	start := time.Now()
	windowDone := make(chan struct{})
	capAt := make(chan time.Duration, 1) // a closed loop's window end, once its request cap is reached
	wg.Add(2)
	go func() {
		defer wg.Done()
		group.RunFaults(faultsCtx, start, event)
	}()
	if members != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			members.run(faultsCtx, start)
		}()
	}
	go func() {
		defer wg.Done()
		defer close(windowDone)
		if !sleepUntil(ctx, start.Add(sc.Warmup)) {
			return
		}
		for _, s := range servers {
			if s != nil {
				s.ResetStats()
			}
		}
		if !m.waitWindowEnd(ctx, start, capAt) {
			return
		}
		for j, s := range servers {
			if s != nil { // someone else's: busy time unknown (tally.result)
				busy[j] = s.Stats().Busy
			}
		}
	}()

	// The load: vegeta over the precomputed schedule (open loops), or the
	// closed loop's users; either way, shots in completion order.
	shots := make(chan shot)
	var users *model.Users
	if m.sched == nil {
		if users, err = model.NewUsers(sc); err != nil {
			return err
		}
		client := &http.Client{Transport: ctxTransport{ctx: ctx, base: tr}, Timeout: clientTimeout(sc),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		go closedLoop(ctx, users, client, urls, alg.Label, start, shots, func(at time.Duration) { capAt <- at })
	} else {
		results := atk.Attack(m.sched.targeter(ctx, urls), m.pacer, 0, alg.Label)
		go func() {
			defer close(shots)
			for res := range results {
				s := shot{res: res}
				if k, err := arrivalOf(res.URL); err == nil && k < len(m.sched.arrivals) {
					s.arr, s.measured = m.sched.arrivals[k], k >= m.sched.warm
				} else {
					s.arr.At = -1 // not an arrival of the schedule: the collector says so
				}
				shots <- s
			}
		}()
	}

	// Collect every result, in completion order.
	pace := Pacing{Label: alg.Label, Repeat: rep}
	lag := metrics.NewLatency()
	var lagSum time.Duration
	var unreported int64
	before := t.unattributed
	var collectErr error
	for sh := range shots {
		res := sh.res
		if collectErr != nil {
			continue // drain, so that the load generator's workers end
		}
		if enc != nil {
			if err := enc.Encode(res); err != nil {
				collectErr = fmt.Errorf("writing vegeta results: %w", err)
				cancel()
				continue
			}
		}
		arr := &sh.arr
		if arr.At < 0 {
			collectErr = fmt.Errorf("vegeta result %d for %s: not an arrival of the schedule", res.Seq, res.URL)
			cancel()
			continue
		}
		if trc != nil {
			if err := trc.add(res, res.Timestamp.Sub(start), arr.Client, arr.Class, t.foreignName(res, byURL)); err != nil {
				collectErr = fmt.Errorf("writing the trace: %w", err)
				cancel()
				continue
			}
		}
		l := res.Timestamp.Sub(start) - arr.At
		lag.Record(l)
		lagSum += max(l, 0)
		pace.Sent++
		t.add(res, arr.At, arr.Client, arr.Class, sh.measured, byURL)
		if unreported++; unreported == 256 && m.opt.Progress != nil {
			m.opt.Progress(unreported)
			unreported = 0
		}
	}
	if unreported > 0 && m.opt.Progress != nil {
		m.opt.Progress(unreported)
	}
	stopFaults()
	<-windowDone
	if err := parent.Err(); err != nil {
		return err
	}
	if collectErr != nil {
		return collectErr
	}
	windowStart, windowEnd := sc.Warmup, sc.Warmup
	if m.sched != nil {
		if pace.Sent != int64(len(m.sched.arrivals)) {
			return fmt.Errorf("vegeta sent %d of %d requests", pace.Sent, len(m.sched.arrivals))
		}
		windowStart, windowEnd = m.sched.windowStart, m.sched.windowEnd
	} else {
		windowStart, windowEnd = users.Window()
	}
	t.endRepetition(windowStart, windowEnd, busy)
	if pace.Sent > 0 {
		pace.LagMean = lagSum / time.Duration(pace.Sent)
	}
	pace.LagP99, pace.LagMax = lag.Quantile(0.99), lag.Max()
	pace.Unattributed = t.unattributed - before
	if m.opt.OnPacing != nil {
		m.opt.OnPacing(pace)
	}
	return nil
}

// waitWindowEnd waits, on the run's clock from start, until the measured
// window ends: the schedule's end for an open loop; for a closed loop the
// request that reached the cap (capAt) or else the duration. false if ctx
// ended first.
func (m *measurement) waitWindowEnd(ctx context.Context, start time.Time, capAt <-chan time.Duration) bool {
	if m.sched != nil {
		return sleepUntil(ctx, start.Add(m.sched.windowEnd))
	}
	var atDuration <-chan time.Time
	if d := m.sc.Duration; d > 0 {
		t := time.NewTimer(max(time.Until(start.Add(d)), 0))
		defer t.Stop()
		atDuration = t.C
	}
	select {
	case <-capAt:
		return true
	case <-atDuration:
		return true
	case <-ctx.Done():
		return false
	}
}

// controlToken is a random control token (proxy.Config.ControlToken).
func controlToken() string {
	var b [16]byte
	crand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// proxyConfig is balancer instance b's proxy for alg: the simulator's random
// stream for that instance (alg/<label>/<b>), and the scenario's health
// checks, timeout and retries.
func (m *measurement) proxyConfig(alg scenarios.Algorithm, b int, backends []proxy.Backend, epoch time.Time, onHealth func(time.Duration, string, bool)) proxy.Config {
	sc := m.sc
	cfg := proxy.Config{
		Listen:       "127.0.0.1:0",
		Backends:     backends,
		Algorithm:    alg.Name,
		Params:       maps.Clone(alg.Params),
		Source:       algorithms.LockedSource(rand.NewPCG(sc.Seed, traffic.StreamID(fmt.Sprintf("alg/%s/%d", alg.Label, b)))),
		Timeout:      sc.Timeout,
		Retries:      sc.Retries,
		Hedge:        proxyHedge(sc.Hedge),
		RetryBudget:  proxyBudget(sc.RetryBudget),
		ClientHeader: wire.Client,
		// The load generator is ours: its client, quantile, class and
		// size headers are the schedule's.
		TrustFulcrumHeaders: true,
		ControlToken:        m.token, // the same for every proxy: a backend announces to any
		ExposeBackend:       true,    // names the backend on the proxy's own 502 and 504
		OnHealth:            onHealth,
		Epoch:               epoch,
	}
	if a := sc.HealthCheck.Active; a != nil {
		cfg.Health = &proxy.HealthCheck{
			Interval: a.Interval, Timeout: a.Timeout, Rise: a.Rise, Fall: a.Fall,
			Path: wire.Health, Method: http.MethodGet,
		}
	}
	if p := sc.HealthCheck.Passive; p != nil {
		cfg.Passive = &proxy.Passive{ConsecutiveFailures: p.ConsecutiveFailures, Ejection: p.Ejection}
	}
	if li := sc.LoadInfo; !li.Live() {
		cfg.LoadInfo = &proxy.LoadInfo{FromBackends: model.LoadFromServers(sc), Refresh: li.Refresh, Delay: li.Delay}
	}
	return cfg
}

// The load generator's settings: enough workers and connections that the
// load stays open-loop (a request never waits for a free worker or
// connection), keep-alive, and small bodies.
const (
	initialWorkers = 64
	maxWorkers     = 20000
	maxBody        = 1 << 10
)

// clientTimeout is the load generator's own timeout, generous: every
// attempt's timeout plus half a minute, or five minutes when the scenario
// sets none (the simulator waits for ever).
func clientTimeout(sc *scenarios.Scenario) time.Duration {
	if sc.Timeout > 0 {
		return time.Duration(sc.Retries+1)*sc.Timeout + 30*time.Second
	}
	return 5 * time.Minute
}

// newTransport is the client side's HTTP transport: keep-alive, no
// environment proxy (the target is loopback), idle connections kept for
// every concurrent request.
func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no limit
		MaxIdleConnsPerHost: maxWorkers,
		DisableCompression:  true,
		IdleConnTimeout:     90 * time.Second,
	}
}

// ctxTransport attaches ctx to every request, so cancelling ctx aborts the
// requests in flight (vegeta's requests carry no context of their own).
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (c ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return c.base.RoundTrip(req.WithContext(c.ctx))
}

// sleepUntil waits until t and reports true, or returns false when ctx is
// done first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// vegetaFiles are the vegeta-<label>.bin files of a run, written under
// temporary names and renamed when the run succeeds.
type vegetaFiles struct {
	dir      string
	files    []*os.File
	bufs     []*bufio.Writer
	finals   []string
	encoders []vegeta.Encoder // nil entries when there is no directory
	traces   []*capture       // each algorithm's trace (capture.go); nil entries likewise
}

func createVegetaFiles(dir string, sc *scenarios.Scenario) (*vegetaFiles, error) {
	v := &vegetaFiles{dir: dir, encoders: make([]vegeta.Encoder, len(sc.Algorithms)), traces: make([]*capture, len(sc.Algorithms))}
	if dir == "" {
		return v, nil
	}
	for i, alg := range sc.Algorithms {
		c, err := newCapture(dir, sc, alg.Label)
		if err != nil {
			v.abort()
			return nil, err
		}
		v.traces[i] = c
		final := filepath.Join(dir, VegetaFile(alg.Label))
		f, err := os.CreateTemp(dir, "."+filepath.Base(final)+".tmp*")
		if err != nil {
			v.abort()
			return nil, fmt.Errorf("realproxy: %w", err)
		}
		w := bufio.NewWriterSize(f, 1<<16)
		v.files = append(v.files, f)
		v.bufs = append(v.bufs, w)
		v.finals = append(v.finals, final)
		v.encoders[i] = vegeta.NewEncoder(w)
	}
	return v, nil
}

// VegetaFile is the name of an algorithm's vegeta results file:
// vegeta-<label>.bin, the label escaped as every file name is
// (report.FileLabel).
func VegetaFile(label string) string { return "vegeta-" + report.FileLabel(label) + ".bin" }

// commit flushes, syncs and renames every file into place.
func (v *vegetaFiles) commit() error {
	for _, c := range v.traces {
		if c == nil {
			continue
		}
		if err := c.commit(); err != nil {
			v.abort()
			return fmt.Errorf("realproxy: trace: %w", err)
		}
	}
	for i, f := range v.files {
		err := v.bufs[i].Flush()
		if err == nil {
			err = f.Chmod(0o644)
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			v.abort()
			return fmt.Errorf("realproxy: %w", err)
		}
	}
	for i, f := range v.files {
		if err := os.Rename(f.Name(), v.finals[i]); err != nil {
			v.abort()
			return fmt.Errorf("realproxy: %w", err)
		}
	}
	v.files = nil
	return nil
}

// abort closes and removes whatever temporary files remain.
func (v *vegetaFiles) abort() {
	for _, c := range v.traces {
		if c != nil {
			c.abort() // a no-op once committed
		}
	}
	for _, f := range v.files {
		f.Close()
		os.Remove(f.Name())
	}
	v.files = nil
}

// Layout describes where the parts of a real run of sc live, for run.json.
func Layout(sc *scenarios.Scenario, repeat int) map[string]string {
	proxies := "one reverse proxy"
	if nb := max(sc.Balancers, 1); nb > 1 {
		proxies = fmt.Sprintf("%d reverse proxies (one per balancer instance)", nb)
	}
	list := sc.ServerList()
	l := map[string]string{
		"backends":   fmt.Sprintf("in-process: one backend group of %d HTTP servers on 127.0.0.1, fresh for each measurement", len(list)),
		"proxy":      "in-process: " + proxies + " on 127.0.0.1, fresh for each measurement",
		"load":       fmt.Sprintf("vegeta v12.13.0 in-process, open loop over the seeded schedule, keep-alive, up to %d workers", maxWorkers),
		"order":      fmt.Sprintf("one algorithm at a time, %d repetition(s) interleaved (A B C A B C ...)", max(repeat, 1)),
		"gomaxprocs": fmt.Sprint(runtime.GOMAXPROCS(0)),
		"network":    "loopback",
	}
	if sc.Foreign() {
		var own []string
		for _, s := range list {
			if s.URL != "" {
				own = append(own, s.Name+"="+s.URL)
			}
		}
		l["backends"] = fmt.Sprintf("%d emulated HTTP servers in-process on 127.0.0.1, fresh for each measurement; %d of someone else's (urls, the same for every measurement): %s",
			len(list)-len(own), len(own), strings.Join(own, ", "))
	}
	if sc.Network.Dist != "constant" || sc.Network.Value != 0 {
		l["network"] = "loopback; the scenario's network delay is not emulated"
	}
	return l
}
