package backend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSleep measures how late each way of waiting wakes (p50/p90/p99
// of the lateness past the deadline, negative = early) and its CPU time per
// wait (the process's user+system time, less the background load's rate
// measured beforehand), with 4 and 16 concurrent sleepers, alone and beside
// a loopback HTTP load such as the proxy makes. The package doc has results.
//
//	go test -run - -bench Sleep -benchtime 400x ./realproxy/backend/
func BenchmarkSleep(b *testing.B) {
	ways := []struct {
		name string
		wait func(c *clock, sl sleeper, d time.Duration)
	}{
		{"time.Sleep", func(_ *clock, _ sleeper, d time.Duration) { time.Sleep(d) }},
		{"nanosleep", func(_ *clock, _ sleeper, d time.Duration) {
			ts := syscall.NsecToTimespec(int64(d))
			_ = syscall.Nanosleep(&ts, nil)
		}},
		{"timerfd", func(_ *clock, sl sleeper, d time.Duration) { sl.sleep(d) }},
		{"timerfd+lead", func(c *clock, sl sleeper, d time.Duration) { c.until(sl, c.now()+d) }},
	}
	for _, load := range []bool{false, true} {
		for _, par := range []int{4, 16} {
			for _, d := range []time.Duration{700 * time.Microsecond, 2300 * time.Microsecond, 6300 * time.Microsecond} {
				for _, way := range ways {
					name := fmt.Sprintf("load=%v/par=%d/d=%v/%s", load, par, d, way.name)
					b.Run(name, func(b *testing.B) {
						var bg float64 // background CPU per wall second
						if load {
							stop := httpLoad(b)
							defer stop()
							c0, t0 := cpuTime(), time.Now()
							time.Sleep(300 * time.Millisecond)
							bg = float64(cpuTime()-c0) / float64(time.Since(t0))
						}
						benchSleep(b, par, d, bg, way.wait)
					})
				}
			}
		}
	}
}

func benchSleep(b *testing.B, par int, d time.Duration, bg float64, wait func(*clock, sleeper, time.Duration)) {
	c := newClock()
	sls := make([]sleeper, par)
	for p := range sls {
		sls[p] = newSleeper()
		defer sls[p].close()
	}
	for range 64 { // let the lead settle
		wait(c, sls[0], d)
	}
	lates := make([][]time.Duration, par)
	n := max(b.N/par, 1)
	cpu0, t0 := cpuTime(), time.Now()
	b.ResetTimer()
	var wg sync.WaitGroup
	for p := range par {
		wg.Go(func() {
			for range n {
				t0 := time.Now()
				wait(c, sls[p], d)
				lates[p] = append(lates[p], time.Since(t0)-d)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	cpu := float64(cpuTime()-cpu0) - bg*float64(time.Since(t0))
	all := slices.Concat(lates...)
	slices.Sort(all)
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / 1e3 }
	b.ReportMetric(q(0.5), "p50-late-µs")
	b.ReportMetric(q(0.9), "p90-late-µs")
	b.ReportMetric(q(0.99), "p99-late-µs")
	b.ReportMetric(cpu/float64(len(all))/1e3, "cpu-µs/wait")
	b.ReportMetric(0, "ns/op")
}

// httpLoad runs about 2000 loopback HTTP requests per second until stopped.
func httpLoad(b *testing.B) (stop func()) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(okBody) }))
	tr := &http.Transport{}
	c := &http.Client{Transport: tr}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tk := time.NewTicker(500 * time.Microsecond)
		defer tk.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tk.C:
				wg.Go(func() {
					if r, err := c.Get(srv.URL); err == nil {
						r.Body.Close()
					}
				})
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
		tr.CloseIdleConnections()
		srv.Close()
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestTimerfdSleeper: on Linux the default sleeper is a timerfd (not the Go
// timer fallback); a short sleep arms it and reads one expiration, and the
// fd is open until close.
func TestTimerfdSleeper(t *testing.T) {
	sl, ok := newSleeper().(*timerfdSleeper)
	if !ok {
		t.Fatalf("newSleeper() = %T; want a *timerfdSleeper on Linux", newSleeper())
	}
	for _, d := range []time.Duration{0, time.Microsecond, 200 * time.Microsecond} {
		if !sl.sleep(d) {
			t.Errorf("sleep(%v) returned false", d)
		}
		// One expiration, as a native-endian uint64.
		if n := binary.NativeEndian.Uint64(sl.buf[:]); n != 1 {
			t.Errorf("sleep(%v): the timerfd read %d expirations; want 1", d, n)
		}
	}
	if err := syscall.Fstat(sl.fd, new(syscall.Stat_t)); err != nil {
		t.Errorf("fstat on the timerfd before close: %v", err)
	}
	sl.close()
	if _, err := sl.f.Read(sl.buf[:]); !errors.Is(err, os.ErrClosed) {
		t.Errorf("a read after close: %v; want os.ErrClosed", err)
	}
}
