// Package promexport exports a real proxy's metrics to Prometheus: a
// proxy.Observer that counts what realproxy/proxy tells it, in a registry
// of its own (never the global default registry, so that the several
// proxies of one process, bench run's or a test's, never collide), served
// by promhttp on the proxy's admin listener (DESIGN.md §9).
//
// Every metric is named fulcrum_*, in base units (seconds), counters ending
// in _total, and carries the const label algorithm (the algorithm's name,
// or bench run's label for it; bench run adds balancer, the instance):
//
//	fulcrum_build_info{version,revision,goversion}          1
//	fulcrum_requests_total                                   client requests balanced
//	fulcrum_proxy_responses_total{code}                      the proxy's own answers: 500, 502, 503, 504
//	fulcrum_retries_total                                    retries sent
//	fulcrum_hedges_total, fulcrum_hedges_won_total           hedges sent, and those whose answer won
//	fulcrum_retry_budget_refusals_total{kind}                retries or hedges the budget refused
//	fulcrum_backend_picks_total{backend}                     the balancer's picks
//	fulcrum_backend_requests_total{backend,outcome}          attempts, by proxy.Outcome
//	fulcrum_backend_request_duration_seconds{backend}        attempts' latency, pick to end (not cancelled ones)
//	fulcrum_backend_in_flight_requests{backend}              attempts in flight
//	fulcrum_backend_healthy{backend}                         1 if the balancer may pick it
//	fulcrum_backend_member{backend}                          1 if it is in the backend set (discovery)
//	fulcrum_backend_ejections_total{backend,cause}           active checks taking it down, passive ejections
//
// with Go's and the process's standard collectors (go_*, process_*) beside
// them. The hot path touches pre-resolved children only: a backend's
// counters and histogram are looked up once, when the proxy first knows
// the backend (proxy.Observer.Backend), and its gauges are read at scrape
// time from atomics.
package promexport

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

// DurationBuckets are the attempt latency histogram's upper bounds, in
// seconds: 1-2.5-5 steps from 100µs (a loopback hop) to 10s (beyond any
// timeout worth measuring).
var DurationBuckets = []float64{
	0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5, 10,
}

// proxyCodes are the statuses the proxy answers with itself
// (proxy.Observer.Answered), whose counters exist from the start, at 0.
var proxyCodes = []int{
	http.StatusInternalServerError, http.StatusBadGateway,
	http.StatusServiceUnavailable, http.StatusGatewayTimeout,
}

// Options configure a Metrics.
type Options struct {
	// Algorithm is the algorithm label's value: the proxy's algorithm, or
	// the label a run measures it under.
	Algorithm string
	// Labels are more const labels on every fulcrum_ metric (bench run:
	// balancer).
	Labels prometheus.Labels
	// Runtime registers Go's and the process's collectors in the
	// registry too: for a process that has one proxy (a Hub registers
	// them once for all of its proxies).
	Runtime bool
}

// Metrics is one proxy's metrics: its proxy.Observer (Config.Observer) and
// the registry they are in. It is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests  prometheus.Counter
	answers   *prometheus.CounterVec
	answerFor map[int]prometheus.Counter // proxyCodes' children, read-only
	retries   prometheus.Counter
	hedges    prometheus.Counter
	hedgesWon prometheus.Counter
	refusals  [2]prometheus.Counter // [0] retries, [1] hedges

	picks     *prometheus.CounterVec
	outcomes  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	ejections *prometheus.CounterVec

	mu       sync.Mutex
	backends []*backendMetrics // by ID; read by the gauges at scrape time
}

// New returns the metrics of one proxy, registered in a registry of their
// own.
func New(opt Options) *Metrics {
	labels := prometheus.Labels{"algorithm": opt.Algorithm}
	for k, v := range opt.Labels {
		labels[k] = v
	}
	m := &Metrics{reg: prometheus.NewRegistry(), answerFor: map[int]prometheus.Counter{}}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
		m.reg.MustRegister(c)
		return c
	}
	counterVec := func(name, help string, vars ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, vars)
		m.reg.MustRegister(c)
		return c
	}
	m.requests = counter("fulcrum_requests_total", "Client requests the proxy balanced (each once, whatever its attempts).")
	m.answers = counterVec("fulcrum_proxy_responses_total",
		"Answers the proxy made itself, with no backend's answer: 503 nothing eligible, 502 the last attempt failed, 504 it timed out, 500 the strategy failed.", "code")
	for _, code := range proxyCodes {
		m.answerFor[code] = m.answers.WithLabelValues(strconv.Itoa(code))
	}
	m.retries = counter("fulcrum_retries_total", "Retries sent (attempts after a failed one).")
	m.hedges = counter("fulcrum_hedges_total", "Hedges sent (attempts while an earlier one was still out).")
	m.hedgesWon = counter("fulcrum_hedges_won_total", "Hedges whose answer was the request's.")
	refusals := counterVec("fulcrum_retry_budget_refusals_total", "Retries and hedges the retry budget refused.", "kind")
	m.refusals = [2]prometheus.Counter{refusals.WithLabelValues("retry"), refusals.WithLabelValues("hedge")}

	m.picks = counterVec("fulcrum_backend_picks_total", "Backends the balancer picked (hedges' unused picks included).", "backend")
	m.outcomes = counterVec("fulcrum_backend_requests_total",
		"Attempts sent to each backend, by how they ended: ok (< 500), failed (5xx but 503, or broken off), rejected (503), timeout, error (no answer), cancelled (the client left, or a hedge won).",
		"backend", "outcome")
	m.durations = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:        "fulcrum_backend_request_duration_seconds",
		Help:        "Attempts' latency from the pick to the end of the answer, cancelled ones left out.",
		ConstLabels: labels,
		Buckets:     DurationBuckets,
	}, []string{"backend"})
	m.reg.MustRegister(m.durations)
	m.ejections = counterVec("fulcrum_backend_ejections_total",
		"Backends taken out: by failed active checks (cause active), or by passive ejection after consecutive failures (passive).", "backend", "cause")
	m.reg.MustRegister(newGauges(m, labels), newBuildInfo(labels))
	if opt.Runtime {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Registry is the metrics' own registry.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus's text format at /metrics, and
// nothing else (404): what a proxy's admin listener serves
// (proxy.Config.AdminHandler).
func (m *Metrics) Handler() http.Handler { return Handler(m.reg) }

// Handler serves g's metrics at /metrics (GET or HEAD), and nothing else.
func Handler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}

// Backend is proxy.Observer.Backend: it resolves the backend's children
// once, so that its events are atomic adds.
func (m *Metrics) Backend(id int, name string) proxy.BackendObserver {
	b := &backendMetrics{
		name:     name,
		picks:    m.picks.WithLabelValues(name),
		duration: m.durations.WithLabelValues(name),
		ejected:  [2]prometheus.Counter{m.ejections.WithLabelValues(name, "active"), m.ejections.WithLabelValues(name, "passive")},
	}
	for o := range proxy.NumOutcomes {
		b.outcomes[o] = m.outcomes.WithLabelValues(name, o.String())
	}
	b.healthy.Store(true) // every backend starts healthy
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.backends) <= id {
		m.backends = append(m.backends, nil)
	}
	m.backends[id] = b
	return b
}

// Request is proxy.Observer.Request.
func (m *Metrics) Request() { m.requests.Inc() }

// Answered is proxy.Observer.Answered.
func (m *Metrics) Answered(status int) {
	if c, ok := m.answerFor[status]; ok {
		c.Inc()
		return
	}
	m.answers.WithLabelValues(strconv.Itoa(status)).Inc()
}

// Retried is proxy.Observer.Retried.
func (m *Metrics) Retried() { m.retries.Inc() }

// Hedged is proxy.Observer.Hedged.
func (m *Metrics) Hedged() { m.hedges.Inc() }

// HedgeWon is proxy.Observer.HedgeWon.
func (m *Metrics) HedgeWon() { m.hedgesWon.Inc() }

// BudgetRefused is proxy.Observer.BudgetRefused.
func (m *Metrics) BudgetRefused(hedge bool) {
	if hedge {
		m.refusals[1].Inc()
	} else {
		m.refusals[0].Inc()
	}
}

// backendMetrics is one backend's pre-resolved children and gauges.
type backendMetrics struct {
	name     string
	picks    prometheus.Counter
	outcomes [proxy.NumOutcomes]prometheus.Counter
	duration prometheus.Observer
	ejected  [2]prometheus.Counter // [0] active, [1] passive

	inflight atomic.Int64
	healthy  atomic.Bool
	member   atomic.Bool
}

func (b *backendMetrics) Picked()  { b.picks.Inc() }
func (b *backendMetrics) Started() { b.inflight.Add(1) }

func (b *backendMetrics) Done(o proxy.Outcome, d time.Duration) {
	b.inflight.Add(-1)
	b.outcomes[o].Inc()
	if o != proxy.OutcomeCancelled {
		b.duration.Observe(d.Seconds())
	}
}

func (b *backendMetrics) Health(healthy bool) { b.healthy.Store(healthy) }
func (b *backendMetrics) Member(in bool)      { b.member.Store(in) }

func (b *backendMetrics) Ejected(passive bool) {
	if passive {
		b.ejected[1].Inc()
	} else {
		b.ejected[0].Inc()
	}
}

// gauges reads the backends' in-flight counts, health and membership at
// scrape time: kept as atomics on the hot path, not as prometheus.Gauges
// (whose float adds are compare-and-swap loops).
type gauges struct {
	m                         *Metrics
	inflight, healthy, member *prometheus.Desc
}

func newGauges(m *Metrics, labels prometheus.Labels) *gauges {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, []string{"backend"}, labels)
	}
	return &gauges{
		m:        m,
		inflight: desc("fulcrum_backend_in_flight_requests", "Attempts sent to the backend and not yet ended."),
		healthy:  desc("fulcrum_backend_healthy", "1 if the balancer may pick the backend (its active checks pass and it is not ejected), else 0."),
		member:   desc("fulcrum_backend_member", "1 if the backend is in the set the balancer lists (a discovery source's), else 0 (it left: drained, then idle)."),
	}
}

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.inflight
	ch <- g.healthy
	ch <- g.member
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	g.m.mu.Lock()
	list := slices.Clone(g.m.backends)
	g.m.mu.Unlock()
	for _, b := range list {
		if b == nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(g.inflight, prometheus.GaugeValue, float64(b.inflight.Load()), b.name)
		ch <- prometheus.MustNewConstMetric(g.healthy, prometheus.GaugeValue, boolValue(b.healthy.Load()), b.name)
		ch <- prometheus.MustNewConstMetric(g.member, prometheus.GaugeValue, boolValue(b.member.Load()), b.name)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// newBuildInfo is fulcrum_build_info: 1, with the module's version and VCS
// revision (as the go command stamped them; "(devel)" and "" for a build
// from a work tree without VCS stamping) and the Go version.
func newBuildInfo(labels prometheus.Labels) prometheus.Collector {
	version, revision := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "fulcrum_build_info",
		Help:        "1, labelled with Fulcrum's version and VCS revision and the Go version it was built with.",
		ConstLabels: mergeLabels(labels, prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()}),
	})
	g.Set(1)
	return g
}

func mergeLabels(a, b prometheus.Labels) prometheus.Labels {
	out := make(prometheus.Labels, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
