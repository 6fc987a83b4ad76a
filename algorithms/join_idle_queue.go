package algorithms

// join-idle-queue: JIQ-Random (Lu, Xie, Kliot, Geller, Larus and Greenberg,
// "Join-Idle-Queue: A novel load balancing algorithm for dynamically
// scalable web services", Performance 2011). Each balancer keeps an I-queue
// of backends that told it they are idle; a backend that becomes idle (no
// request in service or queued) announces itself to one balancer chosen
// uniformly at random, and then sends nothing more until it becomes idle
// again. A request goes to the first backend of the I-queue that is still
// listed and healthy (the ones that are not are dropped on the way), which
// leaves the queue; when the I-queue is empty the request goes to a
// uniformly random healthy backend, as JIQ-Random does.
//
// The I-queue is a FIFO of IDs holding each ID at most once, so it is
// bounded by the number of backends: an announcement from a backend already
// listed changes nothing.

import (
	"math/rand/v2"
	"sync"
	"time"
)

type jiqBalancer struct {
	table
	r *rand.Rand

	mu     sync.Mutex // guards the I-queue
	queue  []int      // ring buffer of IDs, len a power of two (or 0)
	head   int
	size   int
	listed []bool // by ID: in the I-queue
}

func newJoinIdleQueue(src rand.Source) Balancer {
	return &jiqBalancer{r: rand.New(src)}
}

func (b *jiqBalancer) Update(now time.Duration, backends []Backend) {
	b.update(backends)
}

// Idle implements IdleTracker: id joins the back of the I-queue unless it is
// in it already. IDs out of range are ignored.
func (b *jiqBalancer) Idle(id int, now time.Duration) {
	if id < 0 || id > maxID {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.listed) <= id {
		b.listed = append(b.listed, false)
	}
	if b.listed[id] {
		return
	}
	if b.size == len(b.queue) {
		q := make([]int, max(2*len(b.queue), 16))
		for i := range b.size {
			q[i] = b.queue[(b.head+i)&(len(b.queue)-1)]
		}
		b.queue, b.head = q, 0
	}
	b.queue[(b.head+b.size)&(len(b.queue)-1)] = id
	b.size++
	b.listed[id] = true
}

// Pick pops the I-queue until it finds a backend still listed and healthy
// (an idle one), else picks a uniformly random healthy backend.
func (b *jiqBalancer) Pick(req Request) (int, error) {
	s := b.load()
	if i := b.popIdle(s); i >= 0 {
		return s.take(i), nil
	}
	n := len(s.healthy)
	if n == 0 {
		return -1, ErrNoBackend
	}
	return s.take(s.healthy[b.r.IntN(n)]), nil
}

// popIdle returns the index in s of the first healthy backend of the
// I-queue, removing it and every stale or unhealthy ID before it, or -1.
func (b *jiqBalancer) popIdle(s *snapshot) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.size > 0 {
		id := b.queue[b.head]
		b.head = (b.head + 1) & (len(b.queue) - 1)
		b.size--
		b.listed[id] = false
		if i := s.indexOf(id); i >= 0 && s.backends[i].Healthy {
			return i
		}
	}
	return -1
}
