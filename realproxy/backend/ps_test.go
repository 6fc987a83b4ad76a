package backend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// Processor sharing, in a synctest bubble: the scheduler goroutine sleeps on
// the bubble's timers, which fire exactly on time, so every completion comes
// at the model's instant and the times below are exact. Sizes are
// uniform1s's: quantile u is u seconds.

const ms = time.Millisecond

// psStep is one thing a test does to a bubble server at a time from the
// start: send a request of size u (u > 0, named by its index among the
// sends), cancel send k's context (cancel >= 0), or set the slowdown.
type psStep struct {
	at     time.Duration
	u      float64
	cancel int
	slow   float64
}

// playPS runs steps against a PS bubble server and returns each send's
// reply, with elapsed from its own send.
func playPS(t *testing.T, s *Server, steps []psStep) []reply {
	t.Helper()
	t0 := time.Now()
	var (
		wg      sync.WaitGroup
		out     []reply
		cancels []context.CancelFunc
		mu      sync.Mutex
	)
	for _, st := range steps {
		if d := st.at - time.Since(t0); d > 0 {
			time.Sleep(d)
		}
		switch {
		case st.u > 0:
			k := len(out)
			out = append(out, reply{})
			ctx, cancel := context.WithCancel(context.Background())
			cancels = append(cancels, cancel)
			wg.Go(func() {
				r := s.callCtx(ctx, fmt.Sprintf("/req/%d", k), st.u)
				mu.Lock()
				out[k] = r
				mu.Unlock()
			})
		case st.slow > 0:
			s.SetSlowdown(st.slow)
		default:
			cancels[st.cancel]()
		}
		synctest.Wait()
	}
	wg.Wait()
	for _, c := range cancels {
		c()
	}
	return out
}

// callCtx is call with the request's context.
func (s *Server) callCtx(ctx context.Context, path string, u float64) (r reply) {
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	req.Header.Set(wire.Quantile, strconv.FormatFloat(u, 'g', -1, 64))
	s.mu.Lock()
	lf := s.life
	s.mu.Unlock()
	w := httptest.NewRecorder()
	t0 := time.Now()
	defer func() {
		r.elapsed = time.Since(t0)
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			r.err = errAborted
			return
		}
		r.status, r.body = w.Code, w.Body.String()
		r.fromHeader(w.Result().Header)
	}()
	s.handle(lf, w, req)
	return r
}

// TestPSScheduler: hand-computed examples; each reply's elapsed time is its
// response time under processor sharing, its service header its size, its
// queue header the time it lost to sharing (0 if it found fewer than c).
func TestPSScheduler(t *testing.T) {
	type want struct {
		elapsed, queue time.Duration
		aborted        bool
	}
	for _, tc := range []struct {
		name      string
		conc      int
		cancel    bool // Config.Cancel
		steps     []psStep
		want      []want
		busy      time.Duration
		cancelled int64
	}{
		{"sizes 3 and 1 together on c=1 finish at 4 and 2", 1, false,
			[]psStep{{0, 0.003, -1, 0}, {0, 0.001, -1, 0}},
			[]want{{4 * ms, 0, false}, {2 * ms, 1 * ms, false}}, 4 * ms, 0},
		{"c=2: three of size 2 all finish at 3", 2, false,
			[]psStep{{0, 0.002, -1, 0}, {0, 0.002, -1, 0}, {0, 0.002, -1, 0}},
			[]want{{3 * ms, 0, false}, {3 * ms, 0, false}, {3 * ms, 1 * ms, false}}, 6 * ms, 0},
		{"a later arrival halves the pace of the first", 1, false,
			[]psStep{{0, 0.002, -1, 0}, {1 * ms, 0.002, -1, 0}},
			[]want{{3 * ms, 0, false}, {3 * ms, 1 * ms, false}}, 4 * ms, 0},
		{"a slowdown from 1 to 3 changes the pace of a job in progress", 1, false,
			[]psStep{{0, 0.003, -1, 0}, {1 * ms, 0, -1, 2}, {3 * ms, 0, -1, 1}},
			[]want{{4 * ms, 0, false}}, 4 * ms, 0},
		{"with Cancel, the size-3 job leaving at 1 lets the other finish at 1.5", 1, true,
			[]psStep{{0, 0.003, -1, 0}, {0, 0.001, -1, 0}, {1 * ms, 0, 0, 0}},
			[]want{{1 * ms, 0, true}, {1500 * time.Microsecond, 500 * time.Microsecond, false}}, 1500 * time.Microsecond, 1},
		{"without it, a client going away changes nothing", 1, false,
			[]psStep{{0, 0.003, -1, 0}, {0, 0.001, -1, 0}, {1 * ms, 0, 0, 0}},
			[]want{{4 * ms, 0, false}, {2 * ms, 1 * ms, false}}, 4 * ms, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := bubbleServer(t, Config{Concurrency: tc.conc, Service: uniform1s(t), PS: true, Cancel: tc.cancel})
				got := playPS(t, s, tc.steps)
				for k, w := range tc.want {
					r := got[k]
					if w.aborted {
						if !errors.Is(r.err, errAborted) || r.elapsed != w.elapsed {
							t.Errorf("request %d: %d %v after %v, want aborted after %v", k, r.status, r.err, r.elapsed, w.elapsed)
						}
						continue
					}
					size := time.Duration(tc.steps[k].u * float64(time.Second))
					if r.err != nil || r.status != http.StatusOK || r.elapsed != w.elapsed || r.service != roundUS(size) || r.queue != roundUS(w.queue) {
						t.Errorf("request %d: %d %v after %v, service %v, queue %v; want 200 after %v, service %v, queue %v",
							k, r.status, r.err, r.elapsed, r.service, r.queue, w.elapsed, size, w.queue)
					}
				}
				st := s.Stats()
				if st.Busy != tc.busy || st.Cancelled != tc.cancelled || st.Served != int64(len(tc.want))-tc.cancelled {
					t.Errorf("stats %+v, want busy %v, %d cancelled", st, tc.busy, tc.cancelled)
				}
			})
		})
	}
}

// TestPSQueueLimit: n - c >= QueueLimit answers 503 at once.
func TestPSQueueLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleServer(t, Config{Concurrency: 2, QueueLimit: 1, Service: uniform1s(t), PS: true})
		wait := launchLocal(s, []float64{0.01, 0.01, 0.01})
		if r := s.call("/req/3", 0.001); r.status != http.StatusServiceUnavailable || r.elapsed != 0 || r.body != "queue full\n" {
			t.Errorf("fourth request with 3 on c=2, limit 1: %d %q after %v, want 503 at once", r.status, r.body, r.elapsed)
		}
		for k, r := range wait() {
			// Three of 10ms on two workers: each at 2/3, done at 15ms.
			if r.status != http.StatusOK || r.elapsed != 15*ms {
				t.Errorf("request %d: %d after %v, want 200 after 15ms", k, r.status, r.elapsed)
			}
		}
		if st := s.Stats(); st.Requests != 4 || st.Served != 3 || st.Rejected503 != 1 || st.Busy != 30*ms {
			t.Errorf("stats %+v, want 4 requests, 3 served, 1 rejected, 30ms busy", st)
		}
	})
}

// TestPSCrash: a crash fails every job in service at once, and the
// scheduler ends (the bubble would not end with it running); the server
// then serves from empty.
func TestPSCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleServer(t, Config{Concurrency: 1, Service: uniform1s(t), PS: true})
		wait := launchLocal(s, []float64{0.5, 0.5})
		time.Sleep(100 * ms)
		s.Crash()
		for k, r := range wait() {
			if !errors.Is(r.err, errAborted) || r.elapsed != 100*ms {
				t.Errorf("request %d: %d %v after %v, want aborted at the crash (100ms)", k, r.status, r.err, r.elapsed)
			}
		}
		synctest.Wait()
		s.mu.Lock()
		n, running := s.ps.q.Len(), s.ps.running
		s.mu.Unlock()
		if n != 0 || running {
			t.Errorf("after the crash: %d jobs, scheduler running %v", n, running)
		}
		if st := s.Stats(); st.Dropped != 2 || st.Served != 0 || st.Busy != 100*ms {
			t.Errorf("stats %+v, want 2 dropped, 100ms busy", st)
		}
	})
}

// TestPSLoopback: over loopback with the real timerfd waits, a PS server
// serves overlapping requests and its figures add up. Response times are
// not asserted (the machine may be busy); busy time is the model's, and
// processor sharing conserves work: min(n, c) busy workers serve exactly
// min(n, c) jobs' worth, so the busy time is the sum of the sizes (to the
// nanosecond roundings of the completions).
func TestPSLoopback(t *testing.T) {
	checkLeaks(t)
	s := start(t, Config{Concurrency: 2, Service: uniform1s(t), PS: true})
	c := newClient(t)
	var wg sync.WaitGroup
	us := []float64{0.004, 0.002, 0.006, 0.001, 0.003}
	replies := make([]reply, len(us))
	for k, u := range us {
		wg.Go(func() { replies[k] = get(c, s.URL()+"/", u) })
	}
	wg.Wait()
	for k, r := range replies {
		if r.err != nil || r.status != http.StatusOK || r.service != time.Duration(us[k]*1e6)*time.Microsecond {
			t.Errorf("request %d: %d %v, service %v", k, r.status, r.err, r.service)
		}
	}
	st := s.Stats()
	if d := st.Busy - 16*ms; st.Served != 5 || d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("stats %+v, want 5 served, busy 16ms (the sum of the sizes)", st)
	}
}
