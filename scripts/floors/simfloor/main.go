// Command simfloor is the least an event-driven simulator with Fulcrum's
// model can do per request, timed beside the tight reference loop
// (../shared/anchors/refsim) and the engine, to tell how much of the gap
// between them is the model's and how much the engine's (issue 15).
//
// It simulates what refsim does (Poisson arrivals, power of d choices over
// in-flight counts, N FIFO single-worker servers with exponential service)
// the way Fulcrum's engine must, and nothing more:
//
//   - each arrival draws its gap, its service quantile u and its client, as
//     traffic.Stream does; the service time is the exponential's quantile of
//     u (one log), rounded to the nanosecond, because every algorithm of a
//     run sees the same job sizes whatever servers they land on;
//   - completions are events in a 4-ary heap ordered by (time, sequence), a
//     completion followed by the next job of its server costs one sift, and
//     arrivals are drawn inline, not pushed, as the engine does; the
//     balancer sees each completion in time order, as any algorithm's
//     Finished must;
//   - the latency of each request goes into a histogram.
//
// What it leaves out is everything a real run needs: the Balancer
// interface, attempts (retries, hedges, timeouts, network delays), health,
// faults, the figures (per-server counts, HDR histograms, timelines, batch
// means, client affinity) and the results. refsim goes further than this
// floor the other way: it keeps no event queue at all (Lindley's recursion,
// queue lengths read lazily), which only works for a load-blind model of
// single-worker FIFO servers whose balancer never needs to be told of a
// completion.
//
// Output is refsim's line, so the two are compared field by field:
//
//	go run ./scripts/floors/simfloor -requests 5000000
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simfloor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.servers, "servers", 100, "servers")
	fs.IntVar(&c.d, "d", 2, "choices")
	fs.Float64Var(&c.load, "load", 0.9, "load per server, in (0, 1)")
	fs.IntVar(&c.requests, "requests", 10_000_000, "requests")
	fs.Uint64Var(&c.seed, "seed", 1, "seed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := c.check(); err != nil {
		fmt.Fprintln(stderr, "simfloor:", err)
		return 2
	}
	start := time.Now()
	r := simulate(c)
	el := time.Since(start)
	fmt.Fprintf(stdout, "requests=%d servers=%d d=%d load=%.2f mean_T=%.4f (units of mean service) elapsed=%s rate=%.0f req/s\n",
		c.requests, c.servers, c.d, c.load, r.meanT, el.Round(time.Millisecond), float64(c.requests)/el.Seconds())
	return 0
}

type config struct {
	servers, d, requests int
	load                 float64
	seed                 uint64
}

func (c config) check() error {
	switch {
	case c.servers < 1:
		return errors.New("-servers must be at least 1")
	case c.d < 1 || c.d > c.servers:
		return fmt.Errorf("-d must be between 1 and -servers (%d)", c.servers)
	case !(c.load > 0 && c.load < 1):
		return errors.New("-load must be in (0, 1)")
	case c.requests < 10:
		return errors.New("-requests must be at least 10")
	}
	return nil
}

// meanService is the servers' mean service time in ns (1 time unit).
const meanService = 10e6

type result struct {
	meanT float64 // mean response time after the first tenth, in mean service times
	done  int
	hist  [64]int64 // latencies by bit length of their ns
}

type event struct {
	at  int64
	seq uint64
	srv int32
	job int32
}

func before(a, b *event) bool { return a.at < b.at || (a.at == b.at && a.seq < b.seq) }

// heap4 is a 4-ary min-heap of events, as the engine's.
type heap4 struct{ h []event }

func (q *heap4) push(e event) {
	q.h = append(q.h, e)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !before(&e, &q.h[p]) {
			break
		}
		q.h[i] = q.h[p]
		i = p
	}
	q.h[i] = e
}

// replaceTop puts e in the root's place and sifts it down.
func (q *heap4) replaceTop(e event) {
	n := len(q.h)
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if before(&q.h[k], &q.h[m]) {
				m = k
			}
		}
		if !before(&q.h[m], &e) {
			break
		}
		q.h[i] = q.h[m]
		i = m
	}
	q.h[i] = e
}

func (q *heap4) pop() {
	n := len(q.h) - 1
	last := q.h[n]
	q.h = q.h[:n]
	if n > 0 {
		q.replaceTop(last)
	}
}

type job struct {
	arrival int64
	u       float64
	measure bool
}

type server struct {
	inflight int
	busy     bool
	queue    []int32 // a ring of job indices, its length a power of two
	head, n  int
}

func (s *server) enqueue(j int32) {
	if s.n == len(s.queue) {
		q := make([]int32, max(16, 2*len(s.queue)))
		for i := 0; i < s.n; i++ {
			q[i] = s.queue[(s.head+i)&(len(s.queue)-1)]
		}
		s.queue, s.head = q, 0
	}
	s.queue[(s.head+s.n)&(len(s.queue)-1)] = j
	s.n++
}

func (s *server) dequeue() int32 {
	j := s.queue[s.head]
	s.head = (s.head + 1) & (len(s.queue) - 1)
	s.n--
	return j
}

func simulate(c config) result {
	rng := rand.New(rand.NewPCG(c.seed, 0x9e3779b97f4a7c15))
	srv := make([]server, c.servers)
	var (
		jobs  []job
		free  []int32
		q     heap4
		seq   uint64
		res   result
		sum   float64
		count int
		picks = make([]int, c.d)
	)
	gap := meanService / (c.load * float64(c.servers))
	service := func(u float64) int64 { return int64(-meanService*math.Log(1-u) + 0.5) }
	t := 0.0
	var nextAt int64
	var nextU float64
	draw := func() {
		t += gap * rng.ExpFloat64()
		nextAt, nextU = int64(math.Round(t)), rng.Float64()
		_ = rng.IntN(1000) // the client, drawn as traffic.Stream draws it
	}
	draw()
	warm := c.requests / 10
	sent := 0
	for res.done < c.requests {
		if sent < c.requests && (len(q.h) == 0 || nextAt < q.h[0].at) {
			now := nextAt
			best := pick(rng, srv, picks)
			var ji int32
			if k := len(free); k > 0 {
				ji, free = free[k-1], free[:k-1]
			} else {
				jobs = append(jobs, job{})
				ji = int32(len(jobs) - 1)
			}
			jobs[ji] = job{arrival: now, u: nextU, measure: sent >= warm}
			s := &srv[best]
			s.inflight++
			if s.busy {
				s.enqueue(ji)
			} else {
				s.busy = true
				seq++
				q.push(event{at: now + service(nextU), seq: seq, srv: int32(best), job: ji})
			}
			sent++
			draw()
			continue
		}
		e := q.h[0]
		s := &srv[e.srv]
		s.inflight--
		jb := &jobs[e.job]
		lat := e.at - jb.arrival
		res.hist[bits.Len64(uint64(lat))]++
		if jb.measure {
			sum += float64(lat)
			count++
		}
		free = append(free, e.job)
		res.done++
		if s.n > 0 {
			ji := s.dequeue()
			seq++
			q.replaceTop(event{at: e.at + service(jobs[ji].u), seq: seq, srv: e.srv, job: ji})
		} else {
			s.busy = false
			q.pop()
		}
	}
	res.meanT = sum / float64(count) / meanService
	return res
}

// pick returns the server with the fewest in flight among d distinct ones
// drawn uniformly, ties to the earlier draw. Two choices are drawn as p2c
// draws them (two draws, no rejection).
func pick(rng *rand.Rand, srv []server, picks []int) int {
	n := len(srv)
	if len(picks) == 2 {
		x0, x1 := rng.IntN(n), rng.IntN(n-1)
		if x1 >= x0 {
			x1++
		}
		if srv[x1].inflight < srv[x0].inflight {
			return x1
		}
		return x0
	}
	best := -1
	for k := range picks {
	draw:
		for {
			c := rng.IntN(n)
			for _, p := range picks[:k] {
				if p == c {
					continue draw
				}
			}
			picks[k] = c
			break
		}
		if c := picks[k]; best < 0 || srv[c].inflight < srv[best].inflight {
			best = c
		}
	}
	return best
}
