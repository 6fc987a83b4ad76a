package algorithms

// prequal: Probing to Reduce Queuing and Latency (Wydrowski, Kleinberg,
// Rumble and Archer, "Load is not what you should balance: Introducing
// Prequal", NSDI 2024). After every request the balancer probes
// probes_per_query distinct random healthy backends; each answer (the
// backend's requests in flight, RIF, and its recent latency) joins a pool of
// at most pool_size probes, the oldest evicted first. A pick uses the pool
// with the paper's hot/cold lexicographic rule (§4):
//
//   - a probe is hot when its RIF is above θ, the q_rif quantile of the RIFs
//     of the last pool_size probe answers (the paper's estimate of the RIF
//     distribution), and cold otherwise;
//   - if any probe in the pool is cold, the cold one with the lowest latency
//     wins (ties: lower RIF, then the older probe), an idle backend's (RIF
//     0) ranking as 0 (see probe.latency); else the hot one with the lowest
//     RIF (ties: lower latency, then the older probe).
//
// Before choosing, probes older than max_age and backends no longer listed
// or healthy are dropped. A probe can serve reuse picks (default 2; the
// paper bounds reuse likewise) and leaves the pool when used up; each use
// adds one to the RIF of every probe of that backend in the pool (the
// request just sent is in flight there now). max_age (default 1s) is a
// backstop: at 3 probes per query the pool turns over far faster. With the pool empty, Pick falls back to p2c: the
// fewer in flight of two distinct random healthy backends.
//
// The engine sends the probes and delivers the answers (Prober); nothing
// here does I/O or reads a clock. Pick does not allocate: the pool and the
// RIF history are fixed arrays sized by pool_size at construction.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

var (
	prequalProbes = Int{Name: "probes_per_query", Default: 3, Min: 1,
		Doc: "r_probe, distinct random healthy backends probed after each pick"}
	prequalPool = Int{Name: "pool_size", Default: 16, Min: 1,
		Doc: "most probe answers kept; the oldest is evicted first",
		Check: func(n int) error {
			if n > maxPrequalPool {
				return fmt.Errorf("must be <= %d, got %d", maxPrequalPool, n)
			}
			return nil
		}}
	prequalMaxAge = Duration{Name: "max_age", Default: time.Second,
		Doc: "probe answers older than this are dropped"}
	prequalReuse = Int{Name: "reuse", Default: 2, Min: 1,
		Doc: "picks one probe answer may serve before it leaves the pool"}
	prequalQRIF = Float{Name: "q_rif", Default: 0.84, Above: 0,
		Doc: "hot/cold quantile: hot when RIF is above this quantile of recent RIFs (<= 1)",
		Check: func(q float64) error {
			if q > 1 {
				return fmt.Errorf("must be a number in (0, 1], got %v", q)
			}
			return nil
		}}
)

// maxPrequalPool bounds pool_size: Pick scans the pool linearly.
const maxPrequalPool = 1024

type prequalConfig struct {
	probes, pool, reuse int
	maxAge              time.Duration
	qRIF                float64
}

// newPrequalSpec builds prequal from its Spec's params. It has no Fits:
// probes_per_query larger than the backends just probes all of them.
func newPrequalSpec(p Params, src rand.Source) (Balancer, error) {
	return newPrequal(src, prequalConfig{
		probes: p.Int(prequalProbes.Name),
		pool:   p.Int(prequalPool.Name),
		maxAge: p.Duration(prequalMaxAge.Name),
		reuse:  p.Int(prequalReuse.Name),
		qRIF:   p.Float(prequalQRIF.Name),
	}), nil
}

// probe is one probe answer in the pool.
type probe struct {
	id   int
	rif  int
	lat  time.Duration
	at   time.Duration // when the answer arrived
	uses int
}

// latency is the probe's latency for the cold comparison: what it reported,
// except that an idle backend (RIF 0, counting this balancer's uses since)
// ranks as 0. Its reported latency is an EWMA of the requests it finished
// before it went idle, which no finished request refreshes while it stays
// idle; trusting it shunned idle servers for their last queue's waits, and
// the pool herded onto busy ones (at load 0.8 on 10 FIFO servers, mean
// latency 178 ms against random's 5.3 ms; ranking idle ones first, 3.4 ms).
func (p *probe) latency() time.Duration {
	if p.rif == 0 {
		return 0
	}
	return p.lat
}

type prequalBalancer struct {
	table
	r   *rand.Rand
	cfg prequalConfig

	mu   sync.Mutex // guards everything below
	pool []probe    // oldest first; cap cfg.pool
	hist []int      // RIFs of the last cfg.pool answers, a ring
	hpos int        // next slot of hist to write
	hn   int        // answers in hist
	tmp  []int      // scratch for the quantile
	hot  int        // θ: a probe with RIF > hot is hot
}

func newPrequal(src rand.Source, c prequalConfig) *prequalBalancer {
	return &prequalBalancer{
		r:    rand.New(src),
		cfg:  c,
		pool: make([]probe, 0, c.pool),
		hist: make([]int, c.pool),
		tmp:  make([]int, c.pool),
		hot:  math.MaxInt,
	}
}

func (b *prequalBalancer) Update(now time.Duration, backends []Backend) {
	b.update(backends)
}

// ProbeTargets implements Prober: probes_per_query distinct healthy
// backends drawn uniformly (all of them when fewer are healthy), appended
// to dst.
func (b *prequalBalancer) ProbeTargets(now time.Duration, dst []int) []int {
	s := b.load()
	n := len(s.healthy)
	d := min(b.cfg.probes, n)
	switch {
	case d == n:
		for _, i := range s.healthy {
			dst = append(dst, s.backends[i].ID)
		}
	case d <= maxDrawn:
		var buf [maxDrawn]int
		sampleDistinct(b.r, n, buf[:d])
		for _, x := range buf[:d] {
			dst = append(dst, s.backends[s.healthy[x]].ID)
		}
	default:
		sel := selection{n: n, d: d}
		for x := sel.next(b.r); x >= 0; x = sel.next(b.r) {
			dst = append(dst, s.backends[s.healthy[x]].ID)
		}
	}
	return dst
}

// ProbeResult implements Prober: the answer joins the pool, evicting the
// oldest probe when the pool is full, and θ is recomputed from the RIFs of
// the last pool_size answers.
func (b *prequalBalancer) ProbeResult(id int, now time.Duration, inflight int, latency time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pool) == cap(b.pool) {
		copy(b.pool, b.pool[1:])
		b.pool = b.pool[:len(b.pool)-1]
	}
	b.pool = append(b.pool, probe{id: id, rif: inflight, lat: latency, at: now})

	b.hist[b.hpos] = inflight
	b.hpos = (b.hpos + 1) % len(b.hist)
	b.hn = min(b.hn+1, len(b.hist))
	t := b.tmp[:b.hn]
	copy(t, b.hist[:b.hn])
	slices.Sort(t)
	// The q-quantile by the nearest rank ceil(q n) (1-based).
	k := int(math.Ceil(b.cfg.qRIF*float64(b.hn))) - 1
	b.hot = t[min(max(k, 0), b.hn-1)]
}

// Pick chooses from the probe pool by the hot/cold rule, else falls back to
// p2c over in-flight counts.
func (b *prequalBalancer) Pick(req Request) (int, error) {
	s := b.load()
	if i := b.fromPool(s, req.Now); i >= 0 {
		return s.take(i), nil
	}
	i, seen := b.choose(s)
	return b.reserveOrRetry(s, i, seen, b.choose)
}

// fromPool drops expired, used-up and ineligible probes, chooses one by the
// hot/cold rule, counts its use and returns its backend's index in s, or -1.
func (b *prequalBalancer) fromPool(s *snapshot, now time.Duration) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.pool[:0]
	for _, p := range b.pool {
		if now-p.at > b.cfg.maxAge || p.uses >= b.cfg.reuse {
			continue
		}
		if i := s.indexOf(p.id); i < 0 || !s.backends[i].Healthy {
			continue
		}
		kept = append(kept, p)
	}
	b.pool = kept
	best, bestHot := -1, false
	for k := range b.pool {
		p := &b.pool[k]
		hot := p.rif > b.hot
		if best < 0 {
			best, bestHot = k, hot
			continue
		}
		q := &b.pool[best]
		switch {
		case hot != bestHot:
			if !hot {
				best, bestHot = k, hot
			}
		case !hot: // both cold: lowest latency, then lowest RIF
			if pl, ql := p.latency(), q.latency(); pl < ql || (pl == ql && p.rif < q.rif) {
				best = k
			}
		default: // both hot: lowest RIF, then lowest latency
			if p.rif < q.rif || (p.rif == q.rif && p.lat < q.lat) {
				best = k
			}
		}
	}
	if best < 0 {
		return -1
	}
	p := &b.pool[best]
	p.uses++
	id := p.id
	for k := range b.pool {
		if b.pool[k].id == id {
			b.pool[k].rif++
		}
	}
	i := s.indexOf(id)
	if p.uses >= b.cfg.reuse {
		b.pool = slices.Delete(b.pool, best, best+1)
	}
	return i
}

// choose is the fallback: the fewer in flight of two distinct random
// healthy backends, the first drawn winning a tie.
func (b *prequalBalancer) choose(s *snapshot) (int, int64) {
	switch n := len(s.healthy); n {
	case 0:
		return -1, 0
	case 1:
		i := s.healthy[0]
		return i, s.count(i)
	default:
		var pair [2]int
		return s.leastOfDrawn(b.r, pair[:])
	}
}
