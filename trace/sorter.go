package trace

import (
	"container/heap"
	"fmt"
	"time"
)

// Sorter writes records that come in order of completion (as balancers log
// them and load generators report them) in order of arrival: it holds each
// record until no record still to come can arrive before it, which is the
// case once the latest arrival added is Window later. A record that comes
// later than that cannot be placed and is refused.
//
// Memory grows with the records in one window, not with the trace.
type Sorter struct {
	// Rebase makes the first record written the trace's time 0: for
	// records whose times are on some other clock (a log's dates, from an
	// origin a window before the first one seen).
	Rebase bool

	w      *Writer
	window time.Duration
	buf    recordHeap
	seq    int64
	latest time.Duration // the latest arrival added
	out    time.Duration // the last arrival written
	wrote  bool
	origin time.Duration // with Rebase: the first arrival written
}

// NewSorter writes through w, reordering within window.
func NewSorter(w *Writer, window time.Duration) *Sorter {
	return &Sorter{w: w, window: window}
}

// LateError is a record that arrived before one already written.
type LateError struct {
	Time, Written, Window time.Duration
}

func (e *LateError) Error() string {
	return fmt.Sprintf("arrived %v before a request already written: more than %v out of arrival order", e.Written-e.Time, e.Window)
}

// Add adds r, and writes every record the window has passed. A record
// older than one already written is a *LateError (and is not written).
func (s *Sorter) Add(r Record) error {
	if s.wrote && r.Time < s.out {
		return &LateError{Time: r.Time, Written: s.out, Window: s.window}
	}
	s.seq++
	heap.Push(&s.buf, seqRecord{r, s.seq})
	s.latest = max(s.latest, r.Time)
	return s.drain(s.latest - s.window)
}

// Flush writes every record held.
func (s *Sorter) Flush() error { return s.drain(1<<63 - 1) }

// Origin is, with Rebase, the time on the records' own clock of the
// trace's time 0 (the first record written).
func (s *Sorter) Origin() time.Duration { return s.origin }

// Held is how many records wait to be written.
func (s *Sorter) Held() int { return s.buf.Len() }

// drain writes the records that arrived before until, in order.
func (s *Sorter) drain(until time.Duration) error {
	for s.buf.Len() > 0 && s.buf[0].Time < until {
		r := heap.Pop(&s.buf).(seqRecord)
		if !s.wrote && s.Rebase {
			s.origin = r.Time
		}
		s.out, s.wrote = r.Time, true
		r.Time -= s.origin
		if err := s.w.Write(r.Record); err != nil {
			return err
		}
	}
	return nil
}

// seqRecord keeps the order of records with equal arrival times: the order
// they were added.
type seqRecord struct {
	Record
	seq int64
}

type recordHeap []seqRecord

func (h recordHeap) Len() int { return len(h) }
func (h recordHeap) Less(i, j int) bool {
	return h[i].Time < h[j].Time || h[i].Time == h[j].Time && h[i].seq < h[j].seq
}
func (h recordHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *recordHeap) Push(x any)   { *h = append(*h, x.(seqRecord)) }
func (h *recordHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
