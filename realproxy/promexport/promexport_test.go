package promexport

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

// backendSpec is a test backend: how it answers, and which outcomes its
// handler's hits are, one for one (nil: no such count, e.g. a hedge
// cancelled before it reached the handler).
type backendSpec struct {
	name   string
	do     behaviour
	served []proxy.Outcome
}

// countsEnv is what a case's traffic runs against.
type countsEnv struct {
	p        *proxy.Proxy
	client   *http.Client
	backends map[string]*testBackend
	health   *healthLog
	seen     seen
}

// TestCountsAgree sends known traffic through a proxy over backends that
// fail in known ways, scrapes /metrics from its admin listener over HTTP
// and checks every counter against what the client saw (statuses, the
// proxy's own answers, X-Fulcrum-Tries), what the backends saw (hits) and
// what OnHealth said (ejections): exactly, not within a tolerance.
func TestCountsAgree(t *testing.T) {
	const (
		ok        = proxy.OutcomeOK
		failed    = proxy.OutcomeFailed
		rejected  = proxy.OutcomeRejected
		timeout   = proxy.OutcomeTimeout
		errored   = proxy.OutcomeError
		cancelled = proxy.OutcomeCancelled
	)
	for _, c := range []struct {
		name     string
		cfg      proxy.Config
		backends []backendSpec
		run      func(t *testing.T, e *countsEnv)
		check    func(t *testing.T, e *countsEnv, s scrape)
	}{{
		// Every kind of failure, retried once; the failing backends are
		// ejected passively (3 failures in a row), and one that dies is
		// taken down by its active checks with no traffic to it.
		name: "failures, retries and ejections",
		cfg: proxy.Config{
			Retries: 1,
			// Long enough that only hang's attempts time out on a busy machine.
			Timeout: time.Second,
			Health:  &proxy.HealthCheck{Interval: 20 * time.Millisecond, Timeout: 5 * time.Second, Fall: 3, Rise: 1},
			Passive: &proxy.Passive{ConsecutiveFailures: 3, Ejection: time.Hour},
		},
		backends: []backendSpec{
			{"ok-0", answerOK, []proxy.Outcome{ok}},
			{"ok-1", answerOK, []proxy.Outcome{ok}},
			{"dies", answerOK, []proxy.Outcome{ok}},
			{"e500", status(http.StatusInternalServerError), []proxy.Outcome{failed}},
			{"full", status(http.StatusServiceUnavailable), []proxy.Outcome{rejected}},
			{"reset", reset, []proxy.Outcome{errored}},
			{"hang", hang, []proxy.Outcome{timeout}},
		},
		run: func(t *testing.T, e *countsEnv) {
			e.seen.send(t, e.client, e.p.URL(), 60)
			e.backends["dies"].srv.Close()
			eventually(t, "dies is taken down by its checks", func() bool { return e.health.downs("dies") == 1 })
			e.seen.send(t, e.client, e.p.URL(), 20)
		},
		check: func(t *testing.T, e *countsEnv, s scrape) {
			for _, b := range []struct {
				name            string
				active, passive int
				healthy         float64
			}{
				{"ok-0", 0, 0, 1}, {"ok-1", 0, 0, 1}, {"dies", 1, 0, 0},
				{"e500", 0, 1, 0}, {"full", 0, 1, 0}, {"reset", 0, 1, 0}, {"hang", 0, 1, 0},
			} {
				a := s.get("fulcrum_backend_ejections_total", L{"backend": b.name, "cause": "active"})
				p := s.get("fulcrum_backend_ejections_total", L{"backend": b.name, "cause": "passive"})
				if int(a) != b.active || int(p) != b.passive || int(a+p) != e.health.downs(b.name) {
					t.Errorf("%s: ejections active %v passive %v, want %d and %d; OnHealth said down %d times",
						b.name, a, p, b.active, b.passive, e.health.downs(b.name))
				}
				if h := s.get("fulcrum_backend_healthy", L{"backend": b.name}); h != b.healthy {
					t.Errorf("%s: healthy %v, want %v", b.name, h, b.healthy)
				}
				if m := s.get("fulcrum_backend_member", L{"backend": b.name}); m != 1 {
					t.Errorf("%s: member %v, want 1", b.name, m)
				}
			}
			// Each failing kind was seen, so the case tests what it says.
			for _, o := range []proxy.Outcome{failed, rejected, timeout, errored} {
				if s.get("fulcrum_backend_requests_total", L{"outcome": o.String()}) == 0 {
					t.Errorf("no attempt ended %s", o)
				}
			}
			if s.get("fulcrum_retries_total", nil) == 0 || s.get("fulcrum_proxy_responses_total", nil) == 0 {
				t.Errorf("no retries or no answers of the proxy's own: the case tests less than it says")
			}
		},
	}, {
		// The first attempt on slow never ends by itself: a hedge to fast
		// answers, and slow's attempt is cancelled.
		name: "hedges",
		cfg:  proxy.Config{Hedge: &proxy.Hedge{After: 5 * time.Millisecond, Max: 1}},
		backends: []backendSpec{
			{"fast", answerOK, []proxy.Outcome{ok}},
			{"slow", hang, nil},
		},
		run: func(t *testing.T, e *countsEnv) { e.seen.send(t, e.client, e.p.URL(), 20) },
		check: func(t *testing.T, e *countsEnv, s scrape) {
			hedges := s.get("fulcrum_hedges_total", nil)
			if hedges == 0 || s.get("fulcrum_backend_requests_total", L{"outcome": "cancelled"}) != hedges {
				t.Errorf("hedges %v, cancelled attempts %v: want as many, and some", hedges,
					s.get("fulcrum_backend_requests_total", L{"outcome": "cancelled"}))
			}
			if hits, c := e.backends["slow"].hits.Load(), s.get("fulcrum_backend_requests_total", L{"backend": "slow", "outcome": "cancelled"}); float64(hits) > c {
				t.Errorf("slow saw %d requests, but %v of its attempts were cancelled", hits, c)
			}
		},
	}, {
		// A budget that allows nothing: fail's 500 is not retried, and
		// slow's request is not hedged.
		name: "retry budget",
		cfg: proxy.Config{
			Retries:     1,
			Hedge:       &proxy.Hedge{After: 2 * time.Millisecond, Max: 1},
			RetryBudget: &proxy.RetryBudget{Ratio: 0, MinPerSecond: 0},
		},
		backends: []backendSpec{
			{"e500", status(http.StatusInternalServerError), []proxy.Outcome{failed}},
			{"slow", after(30 * time.Millisecond), []proxy.Outcome{ok}},
		},
		run: func(t *testing.T, e *countsEnv) { e.seen.send(t, e.client, e.p.URL(), 20) },
		check: func(t *testing.T, e *countsEnv, s scrape) {
			r := s.get("fulcrum_retry_budget_refusals_total", L{"kind": "retry"})
			h := s.get("fulcrum_retry_budget_refusals_total", L{"kind": "hedge"})
			if r == 0 || h == 0 || s.get("fulcrum_retries_total", nil) != 0 || s.get("fulcrum_hedges_total", nil) != 0 {
				t.Errorf("budget refusals: retries %v, hedges %v; sent: retries %v, hedges %v: want refusals of both, nothing sent",
					r, h, s.get("fulcrum_retries_total", nil), s.get("fulcrum_hedges_total", nil))
			}
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			checkLeaks(t)
			e := &countsEnv{backends: map[string]*testBackend{}, health: &healthLog{}}
			var bs []*testBackend
			for _, b := range c.backends {
				tb := newTestBackend(t, b.name, b.do)
				e.backends[b.name] = tb
				bs = append(bs, tb)
			}
			cfg := c.cfg
			cfg.OnHealth = e.health.record
			p, _ := startProxy(t, cfg, bs...)
			e.p, e.client = p, newClient(t)
			c.run(t, e)

			// A cancelled attempt ends in the background: wait for every
			// attempt to end, then compare.
			var s scrape
			eventually(t, "no attempt in flight", func() bool {
				s, _ = getMetrics(t, p.AdminAddr())
				return s.has("fulcrum_backend_in_flight_requests", nil) && s.get("fulcrum_backend_in_flight_requests", nil) == 0
			})
			checkCounts(t, e, c.backends, s, cfg.Hedge != nil)
			c.check(t, e, s)
		})
	}
}

// checkCounts checks what every case must satisfy. The cases have no
// failed attempt while a hedge of the same request is out (such a failure
// is neither retried nor the answer). hedging: a hedge may pick backends
// it hands back unused (picks beyond attempts).
func checkCounts(t *testing.T, e *countsEnv, specs []backendSpec, s scrape, hedging bool) {
	t.Helper()
	sent := float64(e.seen.sent)
	if got := s.get("fulcrum_requests_total", nil); got != sent {
		t.Errorf("fulcrum_requests_total %v, client sent %v", got, sent)
	}
	retries, hedges := s.get("fulcrum_retries_total", nil), s.get("fulcrum_hedges_total", nil)
	attempts := s.get("fulcrum_backend_requests_total", nil)
	if attempts != sent+retries+hedges {
		t.Errorf("attempts %v, want requests %v + retries %v + hedges %v", attempts, sent, retries, hedges)
	}
	// The proxy's tally of each request, as the client got it.
	if e.seen.withTries == e.seen.sent {
		tr := e.seen.tries
		for _, c := range []struct {
			name string
			got  float64
			want int
		}{
			{"retries", retries, tr.RetriesSent},
			{"hedges", hedges, tr.HedgesSent},
			{"hedges won", s.get("fulcrum_hedges_won_total", nil), e.seen.won},
			{"retries refused", s.get("fulcrum_retry_budget_refusals_total", L{"kind": "retry"}), tr.RetriesDenied},
			{"hedges refused", s.get("fulcrum_retry_budget_refusals_total", L{"kind": "hedge"}), tr.HedgesDenied},
		} {
			if c.got != float64(c.want) {
				t.Errorf("%s: metrics %v, X-Fulcrum-Tries %d", c.name, c.got, c.want)
			}
		}
	}
	// Every 2xx is one ok attempt; every other answer from an attempt
	// (a 5xx passed through, the proxy's 502 and 504) is one failed
	// attempt that was not retried.
	var twoxx, fromAttempt int
	for code, n := range e.seen.status {
		switch {
		case code < 300:
			twoxx += n
		case code >= 500:
			fromAttempt += n
		}
	}
	fromAttempt -= e.seen.proxy[http.StatusServiceUnavailable] + e.seen.proxy[http.StatusInternalServerError]
	if got := s.get("fulcrum_backend_requests_total", L{"outcome": "ok"}); got != float64(twoxx) {
		t.Errorf("ok attempts %v, client got %d 2xx answers", got, twoxx)
	}
	notOK := attempts - s.get("fulcrum_backend_requests_total", L{"outcome": "ok"}) - s.get("fulcrum_backend_requests_total", L{"outcome": "cancelled"})
	if notOK != retries+float64(fromAttempt) {
		t.Errorf("failed attempts %v, want retries %v + failed answers %d", notOK, retries, fromAttempt)
	}
	for _, code := range proxyCodes {
		got := s.get("fulcrum_proxy_responses_total", L{"code": strconv.Itoa(code)})
		if !s.has("fulcrum_proxy_responses_total", L{"code": strconv.Itoa(code)}) || got != float64(e.seen.proxy[code]) {
			t.Errorf("proxy's own %d answers: metrics %v, client %d", code, got, e.seen.proxy[code])
		}
	}
	for _, b := range specs {
		name := b.name
		var all, notCancelled float64
		byOutcome := map[proxy.Outcome]float64{}
		for o := range proxy.NumOutcomes {
			v := s.get("fulcrum_backend_requests_total", L{"backend": name, "outcome": o.String()})
			if !s.has("fulcrum_backend_requests_total", L{"backend": name, "outcome": o.String()}) {
				t.Errorf("%s: no %s series (every outcome's is there from the start)", name, o)
			}
			byOutcome[o] = v
			all += v
			if o != proxy.OutcomeCancelled {
				notCancelled += v
			}
		}
		if h := s.get("fulcrum_backend_request_duration_seconds", L{"backend": name}); h != notCancelled {
			t.Errorf("%s: latency histogram has %v samples, want the %v attempts not cancelled", name, h, notCancelled)
		}
		picks := s.get("fulcrum_backend_picks_total", L{"backend": name, "algorithm": "round-robin"})
		if picks < all || !hedging && picks != all {
			t.Errorf("%s: %v picks, %v attempts", name, picks, all)
		}
		if b.served != nil {
			var sum float64
			for _, o := range b.served {
				sum += byOutcome[o]
			}
			if hits := e.backends[name].hits.Load(); float64(hits) != sum || sum != all {
				t.Errorf("%s: its handler saw %d requests; metrics: %v attempts, %v of them %v", name, hits, all, sum, b.served)
			}
		}
	}
	if v := s.get("fulcrum_build_info", L{"algorithm": "round-robin"}); v != 1 {
		t.Errorf("fulcrum_build_info %v, want 1", v)
	}
}
