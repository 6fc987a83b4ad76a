package fit

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/trace"
)

// Options tune FitTrace.
type Options struct {
	// Sample bounds the service times kept per server (and per class) for
	// fitting: a uniform reservoir sample of the trace's, so that memory
	// does not grow with the trace. Default 200,000.
	Sample int
	// Seed seeds the reservoirs.
	Seed uint64
}

// Trace is what FitTrace found in a trace.
type Trace struct {
	File     string
	Requests int64
	Arrivals *Arrivals
	Servers  []ServerFit // by name; only servers with service times
	Classes  []ClassFit  // nil when the trace has none
	Clients  int         // distinct clients (at most maxClients counted)
	// ClientsCapped: there were more than maxClients distinct clients.
	ClientsCapped bool
	// NoService counts requests without a service time (not fitted).
	NoService int64
}

// ServerFit is one backend's fitted service time.
type ServerFit struct {
	Name     string // as in the trace
	Requests int64
	Service  *Service
	// Concurrency is the most requests the trace shows in service at once
	// on the server (each from its end, arrival + latency, back by its
	// service time), when the trace has latencies; else enough workers
	// for its work at 70% utilisation (Little: rate x mean service / 0.7).
	// Either way at least 1. Peak says which.
	Concurrency int
	Peak        bool
}

// busyTracker follows one server's requests in service, for its peak
// concurrency: the ends of those whose service has begun, in a min-heap.
type busyTracker struct {
	ends    []float64
	peak    int
	work    float64 // total service, seconds
	timed   bool    // every request had a latency
	touched bool
}

func (b *busyTracker) add(r *trace.Record) {
	b.work += r.Service.Seconds()
	if !b.touched {
		b.touched, b.timed = true, true
	}
	if r.Latency < 0 {
		b.timed = false
		return
	}
	end := (r.Time + r.Latency).Seconds()
	start := end - r.Service.Seconds()
	for len(b.ends) > 0 && b.ends[0] <= start {
		heap.Pop((*floatHeap)(&b.ends))
	}
	heap.Push((*floatHeap)(&b.ends), end)
	b.peak = max(b.peak, len(b.ends))
}

type floatHeap []float64

func (h floatHeap) Len() int           { return len(h) }
func (h floatHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h floatHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *floatHeap) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *floatHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ClassFit is one class: its share of the requests and its size, the
// ratio of its mean service to the mean over every class.
type ClassFit struct {
	Name     string
	Requests int64
	Size     float64
}

const maxClients = 1 << 20

// reservoir keeps a uniform sample of at most cap values.
type reservoir struct {
	x []float64
	n int64
}

func (r *reservoir) add(v float64, cap int, rng *rand.Rand) {
	r.n++
	if len(r.x) < cap {
		r.x = append(r.x, v)
		return
	}
	if k := rng.Int64N(r.n); k < int64(cap) {
		r.x[k] = v
	}
}

// FitTrace reads the trace at path, streaming, and fits it. Memory grows
// with the number of requests only by their arrival times (8 bytes each);
// service times are sampled. A trace with classes is read twice: the
// classes' sizes first, then the servers' service times scaled by them.
func FitTrace(path string, opt Options) (*Trace, error) {
	if opt.Sample <= 0 {
		opt.Sample = 200_000
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6669))
	out := &Trace{File: path}
	var times []float64
	servers := map[string]*reservoir{}
	type sum struct {
		n int64
		s float64
	}
	classes := map[string]*sum{}
	clients := map[string]struct{}{}
	busy := map[string]*busyTracker{}
	fitted := func(r *trace.Record) bool {
		return r.Service >= 0 && r.Server != "" && (r.Outcome == "" || r.Outcome == trace.OK)
	}
	err := each(path, func(r *trace.Record) {
		out.Requests++
		times = append(times, r.Time.Seconds())
		if r.Client != "" {
			if _, ok := clients[r.Client]; !ok {
				if len(clients) < maxClients {
					clients[r.Client] = struct{}{}
				} else {
					out.ClientsCapped = true
				}
			}
		}
		if r.Service < 0 {
			out.NoService++
		}
		if !fitted(r) {
			return
		}
		bt := busy[r.Server]
		if bt == nil {
			bt = &busyTracker{}
			busy[r.Server] = bt
		}
		bt.add(r)
		if r.Class != "" {
			c := classes[r.Class]
			if c == nil {
				c = &sum{}
				classes[r.Class] = c
			}
			c.n++
			c.s += r.Service.Seconds()
			return
		}
		rs := servers[r.Server]
		if rs == nil {
			rs = &reservoir{}
			servers[r.Server] = rs
		}
		rs.add(r.Service.Seconds(), opt.Sample, rng)
	})
	if err != nil {
		return nil, err
	}
	if out.Requests == 0 {
		return nil, fmt.Errorf("fit: %s has no requests", path)
	}
	out.Clients = len(clients)
	if out.Arrivals, err = FitArrivals(times); err != nil {
		return nil, fmt.Errorf("fit: %s: %w", path, err)
	}
	times = nil

	// Classes: a class's size is its mean service over the mean of all;
	// a server's sample is then each service divided by its class's size,
	// the server's draw for a request of size 1.
	if len(classes) > 0 {
		var all, n float64
		for _, c := range classes {
			all += c.s
			n += float64(c.n)
		}
		mean := all / n
		size := map[string]float64{}
		for name, c := range classes {
			size[name] = c.s / float64(c.n) / mean
			out.Classes = append(out.Classes, ClassFit{Name: name, Requests: c.n, Size: round4(size[name])})
		}
		sort.Slice(out.Classes, func(i, j int) bool { return out.Classes[i].Name < out.Classes[j].Name })
		err := each(path, func(r *trace.Record) {
			if r.Class == "" || !fitted(r) {
				return
			}
			rs := servers[r.Server]
			if rs == nil {
				rs = &reservoir{}
				servers[r.Server] = rs
			}
			rs.add(r.Service.Seconds()/size[r.Class], opt.Sample, rng)
		})
		if err != nil {
			return nil, err
		}
	}
	for _, n := range slices.Sorted(maps.Keys(servers)) {
		s := servers[n]
		if len(s.x) < 2 {
			continue
		}
		fs, err := FitService(s.x)
		if err != nil {
			return nil, fmt.Errorf("fit: server %s: %w", n, err)
		}
		sf := ServerFit{Name: n, Requests: s.n, Service: fs}
		if bt := busy[n]; bt != nil && bt.timed {
			sf.Concurrency, sf.Peak = max(bt.peak, 1), true
		} else if bt != nil && out.Arrivals.Span > 0 {
			sf.Concurrency = max(1, int(math.Ceil(bt.work/out.Arrivals.Span.Seconds()/0.7)))
		} else {
			sf.Concurrency = 1
		}
		out.Servers = append(out.Servers, sf)
	}
	if len(out.Servers) == 0 {
		return nil, errors.New("fit: " + path + " has no service times with a server: nothing to fit the servers to (a trace from a log without upstream times?)")
	}
	return out, nil
}

// each calls fn with every record of the trace at path.
func each(path string, fn func(*trace.Record)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	defer f.Close()
	rd, err := trace.NewReader(path, f)
	if err != nil {
		return err
	}
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fn(&r)
	}
}

// groupName turns a backend's name ("10.0.0.1:80") into a server group
// name the scenario format accepts, as replay finds it again
// (scenarios.SafeName).
func groupName(s string, i int) string {
	if n := scenarios.SafeName(s); n != "" {
		return n
	}
	return "server" + strconv.Itoa(i)
}

// Scenario writes a scenario for the fit: its YAML, commented with what
// was chosen and how well it fits. algorithms is the algorithms key's
// YAML (e.g. "[round-robin, least-connections, p2c]").
func (t *Trace) Scenario(name, algorithms string) []byte {
	return t.scenario(name, algorithms, "")
}

// ReplayScenario is Scenario with the trace's own arrivals (process:
// trace, file: traceFile, which should be absolute) instead of the fitted
// process: the servers are fitted, the arrivals, clients, classes and job
// sizes replayed exactly.
func (t *Trace) ReplayScenario(name, algorithms, traceFile string) []byte {
	return t.scenario(name, algorithms, traceFile)
}

func (t *Trace) scenario(name, algorithms, replay string) []byte {
	var b strings.Builder
	a := t.Arrivals
	fmt.Fprintf(&b, "# Proposed by `sim fit %s`: %d requests over %v.\n", filepath.Base(t.File), t.Requests, a.Span.Round(time.Millisecond))
	fmt.Fprintf(&b, "# Arrivals: %s at %.4g req/s. Index of dispersion %.3g over %v windows (Poisson: 1; bursty above %.3g).\n",
		a.Process(), a.Rate, a.IDC, a.Window.Round(time.Microsecond), a.IDCLimit)
	if a.Profile != nil {
		fmt.Fprintf(&b, "# The rate changes over time (chi-square %.1f on %d bins, p = %.2g): a profile follows.\n", a.ProfileChi2, profileBins, a.ProfileP)
	}
	for _, s := range t.Servers {
		fmt.Fprintf(&b, "# %s: %d requests; %s", s.Name, s.Requests, describe(s.Service.Best))
		for _, c := range s.Service.Candidates {
			if c.Spec.Dist != s.Service.Best.Spec.Dist {
				fmt.Fprintf(&b, "; %s KS %.3f", c.Spec.Dist, c.KS)
			}
		}
		if s.Service.Floor > 0 {
			fmt.Fprintf(&b, " (zeros read as %v)", s.Service.Floor)
		}
		b.WriteString("\n")
	}
	b.WriteString("# Concurrency: the most requests each server had in service at once in the trace (from their ends back by\n" +
		"# their service times), or, without latencies, enough workers for its work at 70% utilisation; check it.\n")
	fmt.Fprintf(&b, "name: %s\n", name)
	fmt.Fprintf(&b, "description: %s\n", strconv.Quote(fmt.Sprintf("fitted from %s (%d requests over %v): %s arrivals at %.4g req/s, %d servers",
		filepath.Base(t.File), t.Requests, a.Span.Round(time.Millisecond), a.Process(), a.Rate, len(t.Servers))))
	b.WriteString("seed: 1\n")
	if replay != "" {
		fmt.Fprintf(&b, "arrivals: {process: trace, file: %s}\n", strconv.Quote(replay))
	} else {
		fmt.Fprintf(&b, "duration: %s\n", durText(a.Span))
		t.writeArrivals(&b)
	}
	if t.Classes != nil {
		b.WriteString("classes:\n")
		for _, c := range t.Classes {
			fmt.Fprintf(&b, "  - {name: %s, weight: %d, size: %g}\n", groupName(c.Name, 0), c.Requests, c.Size)
		}
	}
	if t.Clients > 0 {
		fmt.Fprintf(&b, "clients: %d\n", t.Clients)
	}
	b.WriteString("servers:\n")
	for i, s := range t.Servers {
		fmt.Fprintf(&b, "  - {name: %s, count: 1, concurrency: %d, service: %s}\n", groupName(s.Name, i), s.Concurrency, specText(s.Service.Best.Spec))
	}
	fmt.Fprintf(&b, "algorithms: %s\n", algorithms)
	return []byte(b.String())
}

// writeArrivals writes the fitted arrival process.
func (t *Trace) writeArrivals(b *strings.Builder) {
	a := t.Arrivals
	b.WriteString("arrivals:\n")
	fmt.Fprintf(b, "  process: %s\n  rate: %s\n", a.Process(), strconv.FormatFloat(round4(a.Rate), 'g', -1, 64))
	if a.States != nil {
		b.WriteString("  states:\n")
		for _, s := range a.States {
			fmt.Fprintf(b, "    - {factor: %g, mean_sojourn: %s}\n", s.Factor, durText(s.MeanSojourn))
		}
	}
	if a.Profile != nil {
		b.WriteString("  profile:\n")
		for _, p := range a.Profile {
			fmt.Fprintf(b, "    - {at: %s, factor: %g}\n", durText(p.At), p.Factor)
		}
	}
}

// describe says what a candidate is and how well it fits.
func describe(c Candidate) string {
	if c.Spec.Dist == "constant" {
		return "constant " + durText(c.Spec.Value)
	}
	return fmt.Sprintf("%s %s (KS %.3f)", c.Spec.Dist, specText(c.Spec), c.KS)
}

// specText writes a distribution as a scenario file does.
func specText(s dist.Spec) string {
	switch s.Dist {
	case "constant":
		return fmt.Sprintf("{dist: constant, value: %s}", durText(s.Value))
	case "exponential":
		return fmt.Sprintf("{dist: exponential, mean: %s}", durText(s.Mean))
	case "lognormal", "gamma":
		return fmt.Sprintf("{dist: %s, mean: %s, cv: %g}", s.Dist, durText(s.Mean), s.CV)
	case "weibull":
		return fmt.Sprintf("{dist: weibull, mean: %s, shape: %g}", durText(s.Mean), s.Shape)
	case "pareto":
		return fmt.Sprintf("{dist: pareto, mean: %s, alpha: %g}", durText(s.Mean), s.Alpha)
	}
	return "{dist: " + s.Dist + "}"
}

// durText writes d to the microsecond, as a scenario's duration.
func durText(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	us := d.Round(time.Microsecond)
	if us == 0 {
		us = time.Microsecond
	}
	return strings.ReplaceAll(us.String(), "µ", "u")
}
