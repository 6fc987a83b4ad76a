package algorithms

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// benchBackends: 100 healthy backends with weights 1..4.
func benchBackends() []Backend {
	bs := makeBackends(100)
	for i := range bs {
		bs[i].Weight = float64(1 + i%4)
	}
	return bs
}

// BenchmarkPick measures one request's worth of calls, Pick + Started +
// Finished, from one goroutine over 100 backends (the simulator's case).
func BenchmarkPick(b *testing.B) {
	for _, info := range List() {
		b.Run(info.Name, func(b *testing.B) {
			bal, err := New(info.Name, nil, rand.NewPCG(1, 2))
			if err != nil {
				b.Fatal(err)
			}
			bal.Update(0, benchBackends())
			b.ReportAllocs()
			key := uint64(0)
			for b.Loop() {
				key++
				now := time.Duration(key)
				id, err := bal.Pick(Request{Now: now, Key: key})
				if err != nil {
					b.Fatal(err)
				}
				bal.Started(id, now)
				bal.Finished(id, now, 0, true)
			}
		})
	}
}

// BenchmarkPickParallel is the proxy's case: many goroutines, a LockedSource.
func BenchmarkPickParallel(b *testing.B) {
	for _, info := range List() {
		b.Run(info.Name, func(b *testing.B) {
			bal, err := New(info.Name, nil, LockedSource(rand.NewPCG(1, 2)))
			if err != nil {
				b.Fatal(err)
			}
			bal.Update(0, benchBackends())
			b.ReportAllocs()
			b.ResetTimer() // RunParallel does not: leave Update's allocations out
			var goroutines atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				key := goroutines.Add(1) << 40 // apart from the other goroutines' keys
				for pb.Next() {
					key++
					id, err := bal.Pick(Request{Key: key})
					if err != nil {
						b.Error(err)
						return
					}
					bal.Started(id, 0)
					bal.Finished(id, 0, 0, true)
				}
			})
		})
	}
}

// BenchmarkPickScale measures Pick + Started + Finished from one goroutine
// for the balancers that looked at every backend on every pick (the three
// least-loaded ones, weighted-round-robin's current weights,
// bounded-load-hash's total in flight), at 10 to 100,000 backends (issue
// 15), in a loaded state: each backend has 0 to 3 requests in flight
// (seeded), weights 1..4, so there are ties but not everything is tied.
func BenchmarkPickScale(b *testing.B) {
	for _, name := range []string{"least-connections", "weighted-least-connections", "least-response-time",
		"weighted-round-robin", "bounded-load-hash"} {
		for _, n := range []int{10, 100, 1000, 10000, 100000} {
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) { benchPickLoaded(b, name, n) })
		}
	}
}

// BenchmarkPickCrossover runs BenchmarkPickScale's loop with the scan and
// with the tree forced, around treeMinHealthy, to place the threshold.
func BenchmarkPickCrossover(b *testing.B) {
	for _, name := range []string{"least-connections", "weighted-least-connections", "least-response-time"} {
		for _, n := range []int{16, 32, 64, 128, 256, 512} {
			for _, path := range []struct {
				name string
				min  int
			}{{"scan", math.MaxInt}, {"tree", 0}} {
				b.Run(fmt.Sprintf("%s/n=%d/%s", name, n, path.name), func(b *testing.B) {
					SetTreeMinHealthy(b, path.min)
					benchPickLoaded(b, name, n)
				})
			}
		}
	}
}

// BenchmarkWRRCrossover is BenchmarkPickCrossover for weighted-round-robin's
// tree (wrrtree.go), with 4 distinct weights.
func BenchmarkWRRCrossover(b *testing.B) {
	for _, n := range []int{16, 32, 64, 128, 256, 512} {
		for _, path := range []struct {
			name string
			min  int
		}{{"scan", math.MaxInt}, {"tree", 0}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, path.name), func(b *testing.B) {
				SetWRRTreeMinHealthy(b, path.min)
				benchPickLoaded(b, "weighted-round-robin", n)
			})
		}
	}
}

// benchPickLoaded is BenchmarkPickScale's loop for one balancer at n backends.
func benchPickLoaded(b *testing.B, name string, n int) {
	bal, err := New(name, nil, rand.NewPCG(1, 2))
	if err != nil {
		b.Fatal(err)
	}
	bs := makeBackends(n)
	for i := range bs {
		bs[i].Weight = float64(1 + i%4)
	}
	bal.Update(0, bs)
	r := rand.New(rand.NewPCG(3, 4))
	for id := range n {
		load(bal, id, r.IntN(4))
	}
	bal.Update(0, bs) // a new snapshot: a balancer that caches counts reads them afresh
	b.ReportAllocs()
	key := uint64(0)
	for b.Loop() {
		key++
		now := time.Duration(key) * time.Microsecond
		id, err := bal.Pick(Request{Now: now, Key: key})
		if err != nil {
			b.Fatal(err)
		}
		bal.Started(id, now)
		bal.Finished(id, now, time.Duration(key%1000)*time.Microsecond, true)
	}
}
