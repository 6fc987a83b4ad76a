package proxy

// Load probes (algorithms.Prober: prequal) and idle announcements
// (algorithms.IdleTracker: join-idle-queue), as the simulator does them
// (sim/probes.go): after every successful Pick the balancer names its probe
// targets and each is sent GET <backend URL>/probe, whose answer
// ({"inflight": n, "latency_us": x}) goes to ProbeResult; a failed probe
// delivers nothing, as a crashed server in the simulator answers nothing.
// Backends that become idle POST <proxy>/_fulcrum/idle?backend=<name>, which
// the proxy answers itself (never forwarding it) by calling Idle.

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// The probe pool: probeWorkers goroutines fed by a channel of probeQueue;
// a probe that finds the channel full is dropped, never waited for.
const (
	probeWorkers = 8
	probeQueue   = 1024
	probeTimeout = time.Second
	probeMaxBody = 1 << 10
)

// signals sends a Prober's probes and delivers their answers.
type signals struct {
	p      *Proxy
	prober algorithms.Prober      // nil: no probes
	idler  algorithms.IdleTracker // nil: idle announcements are 404
	byName map[string]int         // backend name -> ID, for announcements
	urls   []string               // by ID: the probe URL
	jobs   chan int               // backend IDs to probe
	// pending counts probes queued or in flight, so that a test can wait
	// for the probes sent before an event to have all landed.
	pending atomic.Int64
	bufs    sync.Pool // *[]int for ProbeTargets
	client  *http.Transport

	running atomic.Bool
	mu      sync.Mutex
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newSignals(p *Proxy) *signals {
	s := &signals{p: p}
	s.prober, _ = p.bal.(algorithms.Prober)
	s.idler, _ = p.bal.(algorithms.IdleTracker)
	if s.idler != nil {
		s.byName = make(map[string]int, len(p.backendList()))
		for i, b := range p.backendList() {
			s.byName[b.Name] = i
		}
	}
	if s.prober != nil {
		s.urls = make([]string, len(p.backendList()))
		for i, b := range p.backendList() {
			s.urls[i] = strings.TrimSuffix(b.URL, "/") + wire.Probe
		}
		s.jobs = make(chan int, probeQueue)
		s.bufs.New = func() any { b := make([]int, 0, 8); return &b }
		s.client = newTransport(Config{MaxIdleConnsPerHost: probeWorkers, ResponseHeaderTimeout: probeTimeout}, len(p.backendList()))
	}
	return s
}

// start starts the probe workers (between Start and Shutdown only).
func (s *signals) start() {
	if s.prober == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	for range probeWorkers {
		s.wg.Add(1)
		go s.work(ctx)
	}
	s.running.Store(true)
}

// stop stops the workers, abandoning the probes in flight and queued, and
// waits for them.
func (s *signals) stop() {
	if s.prober == nil {
		return
	}
	s.running.Store(false)
	s.mu.Lock()
	cancel := s.cancel
	s.cancel = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
	for {
		select {
		case <-s.jobs:
			s.pending.Add(-1)
			continue
		default:
		}
		break
	}
	s.client.CloseIdleConnections()
}

// picked is called after every successful Pick: it queues the balancer's
// probe targets, dropping those that find the queue full.
func (s *signals) picked(now time.Duration) {
	if s.prober == nil || !s.running.Load() {
		return
	}
	bp := s.bufs.Get().(*[]int)
	dst := s.prober.ProbeTargets(now, (*bp)[:0])
	for _, id := range dst {
		if id < 0 || id >= len(s.urls) {
			continue
		}
		s.pending.Add(1)
		select {
		case s.jobs <- id:
		default: // full: drop rather than hold up the request
			s.pending.Add(-1)
		}
	}
	*bp = dst[:0]
	s.bufs.Put(bp)
}

func (s *signals) work(ctx context.Context) {
	defer s.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.jobs:
			s.probe(ctx, id)
			s.pending.Add(-1)
		}
	}
}

// probeAnswer is the backend's /probe body.
type probeAnswer struct {
	Inflight  *int     `json:"inflight"`
	LatencyUS *float64 `json:"latency_us"`
}

// probe sends one probe and delivers its answer; a failure delivers nothing.
func (s *signals) probe(ctx context.Context, id int) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if id >= len(s.urls) {
		return // discovered after the start: load probes know the backends of the start only
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.urls[id], nil)
	if err != nil {
		return
	}
	resp, err := s.client.RoundTrip(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, probeMaxBody))
	if err != nil || resp.StatusCode != http.StatusOK {
		return
	}
	var a probeAnswer
	if json.Unmarshal(body, &a) != nil || a.Inflight == nil || a.LatencyUS == nil ||
		*a.Inflight < 0 || !(*a.LatencyUS >= 0) || math.IsInf(*a.LatencyUS, 0) {
		return
	}
	lat := time.Duration(math.Round(min(*a.LatencyUS*float64(time.Microsecond), math.MaxInt64/2)))
	s.prober.ProbeResult(id, s.p.now(), *a.Inflight, lat)
}

// idleHandler answers wire.Idle itself and passes everything else on.
type idleHandler struct {
	s    *signals
	next http.Handler
}

func (h idleHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != wire.Idle {
		h.next.ServeHTTP(w, r)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, probeMaxBody))
	s := h.s
	id, known := s.byName[r.URL.Query().Get("backend")]
	switch {
	case subtle.ConstantTimeCompare([]byte(r.Header.Get(wire.Token)), []byte(s.p.cfg.ControlToken)) != 1:
		http.Error(w, "control request without the proxy's token ("+wire.Token+")", http.StatusForbidden)
	case s.idler == nil || !known:
		http.NotFound(w, r)
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		s.idler.Idle(id, s.p.now())
		w.WriteHeader(http.StatusNoContent)
	}
}

// ControlToken is the token the backends' control requests must carry
// (Config.ControlToken; made by New if the configuration gave none).
func (p *Proxy) ControlToken() string { return p.cfg.ControlToken }

// TracksIdle reports whether the proxy's balancer learns of idle backends
// from their announcements (algorithms.IdleTracker): only then should
// backends be told to announce to it (wire.Idle).
func (p *Proxy) TracksIdle() bool { return p.signals.idler != nil }
