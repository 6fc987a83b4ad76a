package promexport

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

// Hub gathers the metrics of the proxies a run starts one after another
// (bench run --admin): each proxy's in a registry of its own, labelled
// with the algorithm's label and the balancer instance, and Go's and the
// process's collectors once. A new proxy of the same label and instance (the
// next repetition) replaces the last one's metrics, so that a scrape
// after a measurement still sees its final counts until then, and two
// proxies' series never clash. It is a prometheus.Gatherer, safe for
// concurrent use.
type Hub struct {
	runtime *prometheus.Registry

	mu     sync.Mutex
	order  []hubKey
	byKey  map[hubKey]*Metrics
	gather prometheus.Gatherers // runtime, then byKey's in order; rebuilt on change
}

type hubKey struct {
	label    string
	balancer int
}

// NewHub returns an empty Hub.
func NewHub() *Hub {
	h := &Hub{runtime: prometheus.NewRegistry(), byKey: map[hubKey]*Metrics{}}
	h.runtime.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h.gather = prometheus.Gatherers{h.runtime}
	return h
}

// Observer returns the observer of a new proxy measuring label as balancer
// instance balancer, whose metrics replace those of the last proxy of the
// same label and instance.
func (h *Hub) Observer(label string, balancer int) proxy.Observer {
	m := New(Options{Algorithm: label, Labels: prometheus.Labels{"balancer": strconv.Itoa(balancer)}})
	k := hubKey{label, balancer}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.byKey[k]; !ok {
		h.order = append(h.order, k)
	}
	h.byKey[k] = m
	g := prometheus.Gatherers{h.runtime}
	for _, k := range h.order {
		g = append(g, h.byKey[k].reg)
	}
	h.gather = g
	return m
}

// Gather is prometheus.Gatherer's: every proxy's metrics, merged by name.
func (h *Hub) Gather() ([]*dto.MetricFamily, error) {
	h.mu.Lock()
	g := h.gather
	h.mu.Unlock()
	return g.Gather()
}
