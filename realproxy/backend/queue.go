package backend

import "time"

// job is a request on the service path, from its arrival to its grant.
type job struct {
	arrival time.Duration // since the server's epoch
	u       float64       // service quantile, when hasU
	hasU    bool
	sized   bool          // a traced job (wire.Size): its service is size scaled by ref
	size    time.Duration // ... measured on a server of mean ref (0: unscaled)
	ref     time.Duration
	class   int        // index in Config.Classes; -1: none
	path    string     // for the tests' trace hook
	grant   chan grant // buffered 1: the worker that hands over its slot never blocks
}

// grant is a worker slot handed to a job, with the job's service period on
// the model's clock: start = max(arrival, the slot's previous end).
type grant struct {
	slot       int
	start, end time.Duration
	sl         sleeper // to wait on; the job gives it back to the pool
}

// slot is one worker. While busy, [start, end) is its job's service period;
// when free, end is when it became free in the model (a job cannot start on
// it earlier).
type slot struct {
	busy       bool
	start, end time.Duration
	sl         sleeper // the busy job's, for a crash to interrupt
}

// busyWithin is how much of the slot's current job lies before t.
func (sl *slot) busyWithin(t time.Duration) time.Duration {
	if !sl.busy {
		return 0
	}
	return min(max(t-sl.start, 0), sl.end-sl.start)
}

// fifo is the strict first-in first-out queue of jobs waiting for a worker:
// a ring buffer that grows by doubling.
type fifo struct {
	buf  []*job
	head int
	n    int
}

func (q *fifo) len() int { return q.n }

func (q *fifo) push(j *job) {
	if q.n == len(q.buf) {
		nb := make([]*job, max(8, 2*len(q.buf)))
		for i := range q.n {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = j
	q.n++
}

func (q *fifo) pop() *job {
	j := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return j
}

// remove takes j out of the queue, keeping the others' order; false if it
// is not there (a worker took it).
func (q *fifo) remove(j *job) bool {
	for i := range q.n {
		if q.buf[(q.head+i)%len(q.buf)] != j {
			continue
		}
		for k := i; k < q.n-1; k++ {
			q.buf[(q.head+k)%len(q.buf)] = q.buf[(q.head+k+1)%len(q.buf)]
		}
		q.buf[(q.head+q.n-1)%len(q.buf)] = nil
		q.n--
		return true
	}
	return false
}

func (q *fifo) clear() {
	clear(q.buf)
	q.head, q.n = 0, 0
}
