package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// ErrClosed is returned by Recover on a closed server.
var ErrClosed = errors.New("backend: server closed")

// recoverRetry is how long Recover retries while its port is momentarily
// busy.
const recoverRetry = 2 * time.Second

// Config is one emulated server.
type Config struct {
	Name        string
	Concurrency int // >= 1: requests served at once; the rest wait FIFO
	QueueLimit  int // 0 = unbounded; else a request finding this many waiting gets 503
	Service     dist.Dist
	// Classes are the scenario's request classes (model.ClassServices): a
	// request whose X-Fulcrum-Class names one is served for its class's
	// time. Nil: no classes.
	Classes []model.ClassService
	// Seed, with Name, seeds the server's own streams: PCG(Seed,
	// traffic.StreamID("backend/"+Name)) for the quantiles of requests
	// without a quantile header, PCG(Seed, StreamID("backend-errors/"+Name))
	// for the errors fault's draws. StartGroup passes the scenario's seed.
	Seed uint64
	// Cancel stops a job whose client has left (the request's context is
	// done: the proxy gave up on the attempt, a timeout or a losing hedge):
	// out of the queue, or out of service, the worker taken by the next
	// queued job at once; under PS, out of the shared processors
	// (DESIGN.md §7 cancel: true). Off, the job runs to its end and holds
	// its worker as if the client were still there (§4), though nobody
	// reads its answer.
	Cancel bool
	// PS shares the server's processors (servers[].discipline: ps, ps.go):
	// with n requests each progresses at min(1, Concurrency/n) of full
	// speed, none waits, and QueueLimit bounds n - Concurrency.
	PS bool
}

// Stats are a server's counters since Start or the last ResetStats.
type Stats struct {
	Requests    int64 // requests on the service path (not /health, /probe)
	Served      int64 // answered 200
	Errors500   int64 // answered 500 by an errors fault
	Rejected503 int64 // answered 503, queue full
	Dropped     int64 // queued or in service when the server crashed (or was closed by force)
	Cancelled   int64 // queued or in service when the client left, with Config.Cancel
	// Busy is worker-time integrated over the window: the part of every
	// service period (on the model's clock, see the package doc) that lies
	// in it. Utilisation = Busy / (Window x Concurrency).
	Busy   time.Duration
	Window time.Duration // since Start or the last ResetStats
}

// Server is one emulated backend. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	addr    string
	clk     *clock
	nameHdr []string

	ctl sync.Mutex // serialises Crash, Recover and Close

	mu        sync.Mutex // guards what follows
	life      *life      // nil while crashed or closed
	closed    bool
	slow      float64 // service-time factor, > 0
	errP      float64 // probability of answering 500 on arrival
	qrng      *rand.Rand
	erng      *rand.Rand
	slots     []slot
	free      []int     // indices of free slots
	sleepers  []sleeper // idle ones, for reuse
	queue     fifo
	inService int
	st        Stats // counters; Busy and Window are computed on read
	busyAcc   time.Duration
	statsFrom time.Duration
	latency   model.ProbeEWMA // of queue+service, for /probe, as the simulator's servers keep it
	active    int             // handlers on the service path
	idle      chan struct{}
	trace     func(path string) // tests: called under mu as a job starts service
	ann       *announcer        // idle announcements; nil = none

	serving sync.WaitGroup // Serve goroutines

	ps        *psState       // processor sharing (ps.go); nil for FIFO
	psRunning sync.WaitGroup // its scheduler goroutine
}

// life is one incarnation of the server: from Start or Recover to Crash or
// Close.
type life struct {
	srv  *http.Server
	drop chan struct{} // closed when it ends: queued and in-service jobs fail
}

// Start listens on addr ("127.0.0.1:0" for any port) and serves cfg.
func Start(addr string, cfg Config) (*Server, error) {
	if cfg.Concurrency < 1 {
		return nil, fmt.Errorf("backend %s: concurrency must be >= 1, got %d", cfg.Name, cfg.Concurrency)
	}
	if cfg.QueueLimit < 0 {
		return nil, fmt.Errorf("backend %s: queue limit must be >= 0, got %d", cfg.Name, cfg.QueueLimit)
	}
	if cfg.Service == nil {
		return nil, fmt.Errorf("backend %s: no service distribution", cfg.Name)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", cfg.Name, err)
	}
	s := newServer(cfg, ln.Addr().String())
	s.serve(ln)
	return s, nil
}

// newServer is a server of cfg bound to addr that does not serve yet (the
// tests' in-process servers are built on it too).
func newServer(cfg Config, addr string) *Server {
	s := &Server{
		cfg:     cfg,
		addr:    addr,
		clk:     newClock(),
		nameHdr: []string{cfg.Name},
		slow:    1,
		qrng:    rand.New(rand.NewPCG(cfg.Seed, traffic.StreamID("backend/"+cfg.Name))),
		erng:    rand.New(rand.NewPCG(cfg.Seed, traffic.StreamID("backend-errors/"+cfg.Name))),
		slots:   make([]slot, cfg.Concurrency),
		free:    make([]int, cfg.Concurrency),
	}
	for i := range s.free {
		s.free[i] = i
	}
	if cfg.PS {
		s.ps = &psState{q: model.NewPS[*psJob](cfg.Concurrency)}
	}
	return s
}

// Name is the server's name.
func (s *Server) Name() string { return s.cfg.Name }

// Config is the configuration the server was started with.
func (s *Server) Config() Config { return s.cfg }

// Addr is the host:port the server is bound to; it keeps it across crashes.
func (s *Server) Addr() string { return s.addr }

// URL is "http://" + Addr().
func (s *Server) URL() string { return "http://" + s.addr }

// serve starts a new incarnation on ln.
func (s *Server) serve(ln net.Listener) {
	lf := &life{drop: make(chan struct{})}
	lf.srv = &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.handle(lf, w, r) }),
		ErrorLog: log.New(io.Discard, "", 0), // a crash's broken connections are the point, not news
	}
	s.mu.Lock()
	s.life = lf
	s.mu.Unlock()
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		_ = lf.srv.Serve(ln)
	}()
}

// Crash closes the listener and every connection: queued and in-service
// requests fail with a reset connection and new ones are refused until
// Recover. A crashed or closed server is left as it is.
func (s *Server) Crash() {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.mu.Lock()
	lf := s.life
	if lf == nil {
		s.mu.Unlock()
		return
	}
	s.end()
	s.mu.Unlock()
	_ = lf.srv.Close() // the listener and every connection
	close(lf.drop)
}

// end drops the current incarnation's queued and in-service jobs and leaves
// every worker free. Called with mu held.
func (s *Server) end() {
	now := s.clk.now()
	if s.ps != nil {
		s.psEnd(now)
	}
	s.st.Dropped += int64(s.queue.len() + s.inService)
	s.queue.clear()
	s.free = s.free[:0]
	for i := range s.slots {
		s.busyAcc += s.slots[i].busyWithin(now)
		if s.slots[i].busy {
			s.slots[i].sl.interrupt()
		}
		s.slots[i] = slot{}
		s.free = append(s.free, i)
	}
	s.inService = 0
	s.life = nil
}

// Recover listens again on the same address, retrying for up to 2s while
// the port is busy, and serves with an empty queue. Slowdown and error rate
// are kept: they are faults of their own. A running server is left as it is.
func (s *Server) Recover() error {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.mu.Lock()
	closed, running := s.closed, s.life != nil
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if running {
		return nil
	}
	deadline := time.Now().Add(recoverRetry)
	for {
		ln, err := net.Listen("tcp", s.addr)
		if err == nil {
			s.serve(ln)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("backend %s: recover: %w", s.cfg.Name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Crashed reports whether the server is down (crashed or closed).
func (s *Server) Crashed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.life == nil
}

// SetSlowdown sets the factor applied to the service times of requests that
// start service from now on. f must be finite and > 0; anything else means 1.
func (s *Server) SetSlowdown(f float64) {
	if !(f > 0) || math.IsInf(f, 0) {
		f = 1
	}
	s.mu.Lock()
	s.slow = f
	if s.ps != nil {
		s.psSlowdown(f)
	}
	s.mu.Unlock()
}

// SetErrorRate sets the probability that an arriving request is answered
// 500 at once, taking no worker. p is clamped to [0, 1]; NaN means 0.
func (s *Server) SetErrorRate(p float64) {
	if !(p > 0) {
		p = 0
	}
	p = min(p, 1)
	s.mu.Lock()
	s.errP = p
	s.mu.Unlock()
}

// Stats returns the counters since Start or the last ResetStats.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.now()
	st := s.st
	st.Busy = s.busyAcc
	for i := range s.slots {
		st.Busy += s.slots[i].busyWithin(now)
	}
	if s.ps != nil {
		st.Busy += s.psBusyPending(now)
	}
	st.Window = now - s.statsFrom
	return st
}

// ResetStats zeroes the counters and starts a new window now (the end of
// warm-up). Requests in service count only their part after it.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.now()
	s.st = Stats{}
	s.busyAcc = 0
	for i := range s.slots {
		s.busyAcc -= s.slots[i].busyWithin(now)
	}
	if s.ps != nil {
		s.busyAcc -= s.psBusyPending(now)
	}
	s.statsFrom = now
}

// Close stops accepting, lets queued and in-service requests finish while
// ctx allows, then drops the rest as a crash does. It returns when every
// goroutine the server started has ended, with ctx's error if it had to drop
// requests. Closing twice is a no-op.
func (s *Server) Close(ctx context.Context) error {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	lf := s.life
	s.mu.Unlock()
	var err error
	if lf != nil {
		if err = lf.srv.Shutdown(ctx); err != nil {
			_ = lf.srv.Close()
		}
		s.mu.Lock()
		s.end()
		s.mu.Unlock()
		close(lf.drop)
	}
	s.serving.Wait()
	// Dropped handlers leave at once: end interrupted their sleeps.
	s.mu.Lock()
	var idle chan struct{}
	if s.active > 0 {
		idle = make(chan struct{})
		s.idle = idle
	}
	s.mu.Unlock()
	if idle != nil {
		<-idle
	}
	s.psRunning.Wait() // end emptied the PS jobs: the scheduler ends
	s.mu.Lock()
	if s.ps != nil && s.ps.wake != nil {
		s.ps.wake.close()
		s.ps.wake = nil
	}
	for _, sl := range s.sleepers {
		sl.close()
	}
	s.sleepers = nil
	ann := s.ann
	s.ann = nil
	s.mu.Unlock()
	if ann != nil {
		ann.stop()
	}
	return err
}

// handle serves one request of incarnation lf.
func (s *Server) handle(lf *life, w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case wire.Health:
		w.Header()["Content-Type"] = plainText
		_, _ = w.Write(okBody)
		return
	case wire.Probe:
		s.probe(w)
		return
	}
	s.request(lf, w, r)
}

var (
	plainText   = []string{"text/plain; charset=utf-8"}
	okBody      = []byte("ok\n")
	errorBody   = []byte("injected error\n")
	fullBody    = []byte("queue full\n")
	contentJSON = []string{"application/json"}
)

// request is the service path: errors fault, then a worker or the FIFO
// queue (or 503), then the service time, then 200.
func (s *Server) request(lf *life, w http.ResponseWriter, r *http.Request) {
	j := job{arrival: s.clk.now(), path: r.URL.Path}
	_, _ = io.Copy(io.Discard, r.Body)
	j.u, j.hasU = parseQuantile(r.Header[wire.Quantile])
	j.sized, j.size, j.ref = parseSize(r.Header[wire.Size], r.Header[wire.SizeRef])
	j.class = parseClass(r.Header[wire.Class], len(s.cfg.Classes))
	h := w.Header()
	h["Content-Type"] = plainText
	h[wire.Backend] = s.nameHdr

	s.mu.Lock()
	if s.life != lf {
		s.mu.Unlock()
		panic(http.ErrAbortHandler) // crashed between accepting and here
	}
	s.active++
	defer s.leave()
	s.st.Requests++
	if s.errP > 0 && s.erng.Float64() < s.errP {
		s.st.Errors500++
		s.mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(errorBody)
		return
	}
	if s.ps != nil {
		s.psRequest(lf, w, r, &j)
		return
	}
	var g grant
	switch {
	case s.queue.len() == 0 && len(s.free) > 0:
		g = s.begin(s.takeFree(), &j)
		s.mu.Unlock()
	case s.cfg.QueueLimit > 0 && s.queue.len() >= s.cfg.QueueLimit:
		s.st.Rejected503++
		s.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(fullBody)
		return
	default:
		j.grant = make(chan grant, 1)
		s.queue.push(&j)
		s.mu.Unlock()
		var left <-chan struct{}
		if s.cfg.Cancel {
			left = r.Context().Done()
		}
		select {
		case g = <-j.grant:
		case <-left:
			s.mu.Lock()
			if s.queue.remove(&j) {
				s.st.Cancelled++
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			g = <-j.grant // granted as the client left: cut short in service below
		case <-lf.drop:
			// A grant sent before the end comes with a sleeper to give back.
			select {
			case g = <-j.grant:
				s.mu.Lock()
				s.sleepers = append(s.sleepers, g.sl)
				s.mu.Unlock()
			default:
			}
			panic(http.ErrAbortHandler)
		}
	}

	// With cancel, the client leaving interrupts the sleep; under mu, and
	// only while the job still owns its sleeper (over is set under mu before
	// the sleeper goes back to the pool), lest a late interrupt cut short
	// the next job to sleep on it.
	over := false
	stop := func() bool { return false }
	if s.cfg.Cancel {
		stop = context.AfterFunc(r.Context(), func() {
			s.mu.Lock()
			if !over {
				g.sl.interrupt()
			}
			s.mu.Unlock()
		})
	}
	woke := s.clk.until(g.sl, g.end)
	stop()
	s.mu.Lock()
	over = true
	s.sleepers = append(s.sleepers, g.sl)
	if !woke && s.life == lf && s.cfg.Cancel && r.Context().Err() != nil {
		s.st.Cancelled++
		s.release(g, s.clk.now())
		s.mu.Unlock()
		return
	}
	if !woke || s.life != lf {
		s.mu.Unlock()
		panic(http.ErrAbortHandler)
	}
	s.finish(g, j.arrival)
	s.mu.Unlock()

	h[wire.Service] = []string{strconv.FormatInt(int64((g.end-g.start+500)/time.Microsecond), 10)}
	h[wire.Queue] = []string{strconv.FormatInt(int64((g.start-j.arrival+500)/time.Microsecond), 10)}
	h[wire.Response] = []string{strconv.FormatInt(int64((g.end-j.arrival+500)/time.Microsecond), 10)}
	_, _ = w.Write(okBody)
}

// leave ends a service-path handler.
func (s *Server) leave() {
	s.mu.Lock()
	s.active--
	if s.active == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
	s.mu.Unlock()
}

// takeFree removes and returns the free worker that became free first.
// Called with mu held and a free worker.
func (s *Server) takeFree() int {
	best := 0
	for k := 1; k < len(s.free); k++ {
		if s.slots[s.free[k]].end < s.slots[s.free[best]].end {
			best = k
		}
	}
	i := s.free[best]
	last := len(s.free) - 1
	s.free[best] = s.free[last]
	s.free = s.free[:last]
	return i
}

// begin starts j's service on worker i, where the worker became free (or
// j arrived, if later), and draws its service time:
//
//	start = max(arrival, end of the worker's previous job)
//	S     = round(Quantile(u) x slowdown), u from the header or drawn
//
// Called with mu held.
func (s *Server) begin(i int, j *job) grant {
	sl := &s.slots[i]
	start := max(j.arrival, sl.end)
	d := s.demand(j)
	if s.slow != 1 {
		d = time.Duration(math.Round(min(float64(d)*s.slow, float64(dist.MaxQuantile))))
	}
	var slp sleeper
	if n := len(s.sleepers); n > 0 {
		slp = s.sleepers[n-1]
		s.sleepers = s.sleepers[:n-1]
		slp.reuse()
	} else {
		slp = newSleeper()
	}
	*sl = slot{busy: true, start: start, end: start + d, sl: slp}
	s.inService++
	if s.trace != nil {
		s.trace(j.path)
	}
	return grant{slot: i, start: start, end: start + d, sl: slp}
}

// finish ends g's service: counts it and hands the worker to the head of
// the queue, or frees it. Called with mu held.
func (s *Server) finish(g grant, arrival time.Duration) {
	s.st.Served++
	s.busyAcc += g.end - g.start
	s.latency.Add(g.end - arrival)
	s.inService--
	s.slots[g.slot].busy = false
	s.slots[g.slot].sl = nil
	if s.queue.len() > 0 {
		next := s.queue.pop()
		next.grant <- s.begin(g.slot, next)
		return
	}
	s.free = append(s.free, g.slot)
	if s.inService == 0 {
		s.announceIdle() // idle now: nothing in service, nothing queued
	}
}

// release ends g's service early, at at (its client left): the worker's
// time up to then counts as busy, and the worker goes to the head of the
// queue from then on, or is freed. Called with mu held.
func (s *Server) release(g grant, at time.Duration) {
	at = min(max(at, g.start), g.end)
	s.busyAcc += at - g.start
	s.inService--
	s.slots[g.slot] = slot{end: at}
	if s.queue.len() > 0 {
		next := s.queue.pop()
		next.grant <- s.begin(g.slot, next)
		return
	}
	s.free = append(s.free, g.slot)
	if s.inService == 0 {
		s.announceIdle()
	}
}

// probe answers {"inflight": queued + in service, "latency_us": EWMA of
// recent queue+service times}.
func (s *Server) probe(w http.ResponseWriter) {
	s.mu.Lock()
	n := s.inService + s.queue.len()
	lat := float64(s.latency.Value()) / float64(time.Microsecond)
	s.mu.Unlock()
	b := make([]byte, 0, 48)
	b = append(b, `{"inflight":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"latency_us":`...)
	b = strconv.AppendFloat(b, math.Round(lat*10)/10, 'f', -1, 64)
	b = append(b, "}\n"...)
	w.Header()["Content-Type"] = contentJSON
	_, _ = w.Write(b)
}

// parseClass reads the class header: the class's index, or -1 when it is
// absent or names no class of the n configured.
func parseClass(v []string, n int) int {
	if len(v) == 0 || n == 0 {
		return -1
	}
	c, err := strconv.Atoi(v[0])
	if err != nil || c < 0 || c >= n {
		return -1
	}
	return c
}

// parseQuantile reads the quantile header; ok is false when it is absent or
// not a number in [0, 1).
// demand is j's service time at full speed: a traced job's size, scaled
// from the mean it was measured on to this server's (as the simulator
// does), else the draw of the job's quantile (from the header, or drawn
// here), its class's if it has one. Called with mu held (it may draw u).
func (s *Server) demand(j *job) time.Duration {
	if j.sized {
		if j.ref <= 0 {
			return j.size
		}
		return time.Duration(math.Round(float64(j.size) * s.cfg.Service.Mean() * 1e9 / float64(j.ref)))
	}
	u := j.u
	if !j.hasU {
		u = s.qrng.Float64()
	}
	if j.class >= 0 && j.class < len(s.cfg.Classes) {
		return s.cfg.Classes[j.class].Service(s.cfg.Service, u)
	}
	return s.cfg.Service.Quantile(u)
}

// parseSize reads a traced job's size and the mean it is measured on
// (wire.Size, wire.SizeRef); ok false without a valid size.
func parseSize(size, ref []string) (ok bool, d, m time.Duration) {
	if len(size) == 0 {
		return false, 0, 0
	}
	n, err := strconv.ParseInt(size[0], 10, 64)
	if err != nil || n < 0 || n > int64(dist.MaxQuantile) {
		return false, 0, 0
	}
	if len(ref) > 0 {
		if r, err := strconv.ParseInt(ref[0], 10, 64); err == nil && r > 0 {
			m = time.Duration(r)
		}
	}
	return true, time.Duration(n), m
}

func parseQuantile(v []string) (u float64, ok bool) {
	if len(v) == 0 {
		return 0, false
	}
	u, err := strconv.ParseFloat(v[0], 64)
	if err != nil || !(u >= 0 && u < 1) {
		return 0, false
	}
	return u, true
}
