package backend

// Idle announcements (join-idle-queue), as the simulator makes them
// (sim/probes.go): a server whose last request ends with nothing queued
// POSTs <proxy URL>/_fulcrum/idle?backend=<name> to one of its proxies,
// chosen uniformly from the stream PCG(Seed, StreamID("backend-idle/"+Name)),
// and every server announces itself once when it is told where to (at the
// start of a run, when all are idle). Announcements are sent by a small pool
// of goroutines fed by a buffered channel; one that finds it full is
// dropped, never waited for.

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

const (
	announceWorkers = 2
	announceQueue   = 64
	announceTimeout = time.Second
)

// announcer sends one server's idle announcements.
type announcer struct {
	token   string     // the proxies\' control token
	targets []string   // full announcement URLs, one per proxy
	rng     *rand.Rand // guarded by the server's mu
	jobs    chan string
	client  *http.Transport
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// SetIdleAnnounce makes the server announce, from now on, each time it
// becomes idle (nothing in service or queued) to one of proxies (base URLs
// of proxies whose balancers are algorithms.IdleTrackers), chosen at random;
// and, if it is idle now, announce so at once. Each announcement carries
// token (the proxies' control token, wire.Token). An empty list stops the
// announcements. It does nothing on a closed server.
func (s *Server) SetIdleAnnounce(proxies []string, token string) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.mu.Lock()
	old := s.ann
	s.ann = nil
	closed := s.closed
	s.mu.Unlock()
	if old != nil {
		old.stop()
	}
	if closed || len(proxies) == 0 {
		return
	}
	q := "?backend=" + url.QueryEscape(s.cfg.Name)
	a := &announcer{
		token: token,
		rng:   rand.New(rand.NewPCG(s.cfg.Seed, traffic.StreamID("backend-idle/"+s.cfg.Name))),
		jobs:  make(chan string, announceQueue),
		client: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: announceTimeout}).DialContext,
			MaxIdleConnsPerHost:   announceWorkers,
			ResponseHeaderTimeout: announceTimeout,
			IdleConnTimeout:       90 * time.Second,
		},
	}
	for _, p := range proxies {
		a.targets = append(a.targets, strings.TrimSuffix(p, "/")+wire.Idle+q)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	for range announceWorkers {
		a.wg.Add(1)
		go a.work(ctx)
	}
	s.mu.Lock()
	s.ann = a
	if s.life != nil && s.inService == 0 && s.queue.len() == 0 {
		s.announceIdle()
	}
	s.mu.Unlock()
}

// announceIdle queues an announcement to a proxy chosen uniformly. Called
// with mu held.
func (s *Server) announceIdle() {
	a := s.ann
	if a == nil {
		return
	}
	t := a.targets[a.rng.IntN(len(a.targets))]
	select {
	case a.jobs <- t:
	default: // full: drop
	}
}

func (a *announcer) work(ctx context.Context) {
	defer a.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-a.jobs:
			a.send(ctx, t)
		}
	}
}

func (a *announcer) send(ctx context.Context, target string) {
	ctx, cancel := context.WithTimeout(ctx, announceTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, http.NoBody)
	if err != nil {
		return
	}
	req.Header.Set(wire.Token, a.token)
	resp, err := a.client.RoundTrip(req)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	resp.Body.Close()
}

// stop stops the workers, abandoning queued announcements, and waits.
func (a *announcer) stop() {
	a.cancel()
	a.wg.Wait()
	a.client.CloseIdleConnections()
}

// SetIdleAnnounce sets every server's announcement targets
// (Server.SetIdleAnnounce).
func (g *Group) SetIdleAnnounce(proxies []string, token string) {
	for _, s := range g.servers {
		if s != nil { // someone else's server (urls) announces nothing
			s.SetIdleAnnounce(proxies, token)
		}
	}
}
