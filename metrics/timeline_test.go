package metrics

import (
	"math"
	"testing"
	"time"
)

func TestTimelineWidth(t *testing.T) {
	for _, tc := range []struct {
		expected, want time.Duration
	}{
		{10 * time.Second, 100 * time.Millisecond},
		{12 * time.Second, 200 * time.Millisecond},
		{40 * time.Second, 500 * time.Millisecond},
		{100 * time.Second, time.Second},
		{time.Millisecond, time.Millisecond},
	} {
		if got := TimelineWidth(tc.expected); got != tc.want {
			t.Errorf("TimelineWidth(%v) = %v, want %v", tc.expected, got, tc.want)
		}
	}
}

func TestTimelineWindows(t *testing.T) {
	tl := NewTimeline(time.Second, 500*time.Millisecond)
	for i := range 100 {
		at := time.Duration(i) * 10 * time.Millisecond // 0 .. 990ms: window 0
		tl.Arrival(at)
		tl.Complete(at, time.Duration(i+1)*time.Millisecond)
	}
	tl.Arrival(2500 * time.Millisecond) // window 2; window 1 stays empty
	tl.Error(2500 * time.Millisecond)
	r := tl.Report()
	if r.WindowMS != 1000 || r.WarmupMS != 500 || len(r.Windows) != 3 {
		t.Fatalf("timeline %+v", r)
	}
	w := r.Windows[0]
	if w.Requests != 100 || w.Completed != 100 || w.Errors != 0 {
		t.Errorf("window 0 counts %+v", w)
	}
	if math.Abs(w.MeanMS-50.5) > 1e-9 {
		t.Errorf("mean %v, want 50.5", w.MeanMS)
	}
	// 2 significant digits: within 1%.
	if math.Abs(w.P50MS-50)/50 > 0.02 || math.Abs(w.P99MS-99)/99 > 0.02 {
		t.Errorf("p50 %v p99 %v, want about 50 and 99", w.P50MS, w.P99MS)
	}
	if r.Windows[1].Requests != 0 || r.Windows[1].StartMS != 1000 {
		t.Errorf("window 1 %+v", r.Windows[1])
	}
	if w2 := r.Windows[2]; w2.Requests != 1 || w2.Errors != 1 || w2.Completed != 0 || w2.StartMS != 2000 {
		t.Errorf("window 2 %+v", w2)
	}
}
