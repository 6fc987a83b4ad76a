package algotest_test

// Deliberately broken strategies, each run through the kit on a fake
// testing.TB, to show that the kit catches the bug and says what it is.

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/algorithms"
	"github.com/fulcrum-lb/fulcrum/algorithms/algotest"
)

// fakeTB records what a check reports. Fatal stops the check as it stops
// a test: runtime.Goexit, so run the check with fakeTB.run.
type fakeTB struct {
	testing.TB // nil: a method not overridden here panics
	mu         sync.Mutex
	errors     []string
	fatal      bool
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return "fake" }
func (f *fakeTB) Logf(string, ...any) {
}
func (f *fakeTB) Log(...any) {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	f.mu.Lock()
	f.fatal = true
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.errors) > 0
}

// run runs check on f in its own goroutine, as the testing package runs a
// test, and returns the messages reported.
func (f *fakeTB) run(check func(testing.TB)) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(f)
	}()
	<-done
	return f.errors
}

// wantReport fails t unless one of got contains every one of want.
func wantReport(t *testing.T, got []string, want ...string) {
	t.Helper()
	for _, g := range got {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(g, w)
		}
		if ok {
			t.Logf("the kit said: %s", g)
			return
		}
	}
	t.Errorf("no report says %q; got:\n%s", want, strings.Join(got, "\n"))
}

// unhealthyPicker checks that some backend is healthy, then picks among
// all the listed ones: a classic slip.
type unhealthyPicker struct {
	leastOfK
	listed []int
}

func (b *unhealthyPicker) Update(now time.Duration, backends []algorithms.Backend) {
	b.leastOfK.Update(now, backends)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.listed = b.listed[:0]
	for _, be := range backends {
		b.listed = append(b.listed, be.ID)
	}
}

func (b *unhealthyPicker) Pick(req algorithms.Request) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.healthy) == 0 {
		return -1, algorithms.ErrNoBackend
	}
	id := b.listed[b.r.IntN(len(b.listed))]
	b.inflight[id]++
	return id, nil
}

func TestBrokenPicksUnhealthy(t *testing.T) {
	f := &fakeTB{}
	got := f.run(func(t testing.TB) {
		algotest.ConformanceFunc(t, func(src rand.Source) (algorithms.Balancer, error) {
			return &unhealthyPicker{leastOfK: leastOfK{k: 2, r: rand.New(src)}}, nil
		})
	})
	if !f.fatal {
		t.Error("the kit did not stop at the first broken rule")
	}
	wantReport(t, got, "NoBackend", "picked backend", "which is unhealthy")
}

// forgetful is least-of-k (k = all: least-connections) whose Finished
// forgets to take the request out of its count, and which does not tell
// its counts: the kit must see the drift in its picks.
type forgetful struct {
	algorithms.Balancer // only the Balancer's methods: no InFlight
}

func (forgetful) Finished(id int, now, latency time.Duration, ok bool) {}

func newForgetful(src rand.Source) (algorithms.Balancer, error) {
	return forgetful{&leastOfK{k: 1 << 20, r: rand.New(src)}}, nil
}

func TestBrokenForgetsFinishedConformance(t *testing.T) {
	f := &fakeTB{}
	got := f.run(func(t testing.TB) { algotest.ConformanceFunc(t, newForgetful) })
	wantReport(t, got, "FinishedFreesLoad", "never picked", "does Finished take requests out of the strategy's load?")
}

func TestBrokenForgetsFinishedProperty(t *testing.T) {
	b, _ := newForgetful(rand.NewPCG(1, 2))
	f := &fakeTB{}
	got := f.run(func(t testing.TB) {
		algotest.Property(t, b, algotest.RandomLoad(1, 2000), algotest.LeastLoaded(0))
	})
	wantReport(t, got, "requests in flight, but backend", "least-loaded allows at most the minimum + 0")
}

// forgetfulCounting forgets as forgetful does but tells its counts, so the
// kit catches it at the first Finished.
type forgetfulCounting struct{ *leastOfK }

func (forgetfulCounting) Finished(id int, now, latency time.Duration, ok bool) {}

func TestBrokenForgetsFinishedCounts(t *testing.T) {
	f := &fakeTB{}
	got := f.run(func(t testing.TB) {
		algotest.ConformanceFunc(t, func(src rand.Source) (algorithms.Balancer, error) {
			return forgetfulCounting{&leastOfK{k: 2, r: rand.New(src)}}, nil
		})
	})
	wantReport(t, got, "Finished must take the request out of the count")
}

func TestBrokenReadsClock(t *testing.T) {
	f := &fakeTB{}
	got := f.run(func(t testing.TB) { algotest.CheckPurity(t, "testdata/clockreader") })
	wantReport(t, got, "clockreader.go:32: use of time.Since")
	wantReport(t, got, "clockreader.go:33: use of time.Now")
	wantReport(t, got, "reads time from its arguments")
	if len(got) != 3 {
		t.Errorf("want 2 findings and the advice, got:\n%s", strings.Join(got, "\n"))
	}
}

// The kit passes a correct strategy: the example's.
func TestLeastOfKConforms(t *testing.T) {
	algotest.Conformance(t, leastOfKSpec)
}

func TestLeastOfKLeastLoaded(t *testing.T) {
	b, err := leastOfKSpec.Build(map[string]any{"k": 6}, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	algotest.Property(t, b, algotest.RandomLoad(1, 10000), algotest.LeastLoaded(0))
}

func TestConformanceRefusesBadSpec(t *testing.T) {
	s := leastOfKSpec
	s.Params = []algorithms.Param{algorithms.Int{Name: "k", Default: 0, Min: 1}}
	f := &fakeTB{}
	got := f.run(func(t testing.TB) { algotest.Conformance(t, s) })
	wantReport(t, got, "least-of-k with its default params", `the default 0 is refused`)
}

func TestScript(t *testing.T) {
	// A scripted load: least-connections must go where the script says.
	b, err := algorithms.New("least-connections", nil, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	var picks []int
	record := func(s algotest.State) error {
		picks = append(picks, s.Picked)
		return nil
	}
	algotest.Property(t, b, algotest.Script{
		algotest.SetBackends(algotest.Backends(3)...),
		algotest.Picks(3), // one each
		algotest.Finish(1),
		algotest.Advance(time.Millisecond),
		algotest.Picks(1), // 1 is idle
		algotest.FinishAll(),
		algotest.SetBackends(),
		algotest.Picks(1), // nothing listed
	}, record)
	if len(picks) != 5 || picks[3] != 1 || picks[4] != -1 {
		t.Errorf("picks %v, want 3 distinct, then 1, then -1", picks)
	}
}

func TestPurityOfThisKitsExample(t *testing.T) {
	// algotest itself is test machinery, not a strategy: it starts
	// goroutines. The check says so.
	found, err := algotest.Impurities(".")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(found, "\n"), "go statement") {
		t.Errorf("Impurities(algotest) = %v, want a go statement", found)
	}
	if _, err := algotest.Impurities("testdata/nothing-here"); err == nil {
		t.Error("Impurities of a missing directory: no error")
	}
}
