package realproxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/scenarios"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// arrivalQuery precedes the arrival's index in each target's URL, so that a
// result names the arrival it answers whatever order the workers ran in.
const arrivalQuery = "/?arrival="

// maxArrivals bounds the schedule Run keeps in memory (40 bytes an arrival,
// so 200 MB): a real run measures thousands to a few hundred thousand
// requests. A variable for the tests.
var maxArrivals = 5_000_000

// schedule is a scenario's arrivals, computed before the attack: the same
// schedule (model.Arrivals: the same stream, cut by the same stopping
// rule) as the simulator's.
type schedule struct {
	arrivals []traffic.Arrival
	// warm is the number of arrivals before the warm-up's end: arrival k is
	// measured if k >= warm.
	warm int
	// The measured window, from the start of the run: from the warm-up's end
	// to the last measured arrival (request cap) or to the duration.
	windowStart, windowEnd time.Duration
	// classes says the requests carry their class (wire.Class).
	classes bool
}

// newSchedule draws all of sc's arrivals.
func newSchedule(sc *scenarios.Scenario) (*schedule, error) {
	arr, err := model.NewArrivals(sc)
	if err != nil {
		return nil, fmt.Errorf("realproxy: %w", err)
	}
	s := &schedule{classes: len(sc.Classes) > 0}
	if n := model.ExpectedArrivals(sc); n > 0 {
		s.arrivals = make([]traffic.Arrival, 0, min(n+n/16+16, int64(maxArrivals)))
	}
	var a traffic.Arrival
	defer arr.Close()
	for arr.Next(&a) {
		if len(s.arrivals) == maxArrivals {
			return nil, fmt.Errorf("realproxy: scenario %s needs more than %d arrivals per algorithm; the real engine keeps its schedule in memory: lower requests (--requests) or duration", sc.Name, maxArrivals)
		}
		s.arrivals = append(s.arrivals, a)
	}
	if err := arr.Err(); err != nil {
		return nil, fmt.Errorf("realproxy: %w", err)
	}
	_, warm := arr.Counts()
	s.warm = int(warm)
	s.windowStart, s.windowEnd = arr.Window()
	return s, nil
}

// Measured is how many arrivals fall after the warm-up.
func (s *schedule) measured() int { return len(s.arrivals) - s.warm }

// pacer is the schedule as a vegeta.Pacer: hit number hits (from 0) goes out
// at arrivals[hits].At after the attack began. Pace is a pure function of
// its arguments; a late attacker gets wait 0 until it has caught up, so
// lateness never accumulates.
type pacer struct{ at []time.Duration }

var _ vegeta.Pacer = pacer{}

func newPacer(s *schedule) pacer {
	at := make([]time.Duration, len(s.arrivals))
	for i, a := range s.arrivals {
		at[i] = a.At
	}
	return pacer{at: at}
}

// Pace returns the wait until arrival number hits, and stop once every
// arrival has been sent.
func (p pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= uint64(len(p.at)) {
		return 0, true
	}
	return max(p.at[hits]-elapsed, 0), false
}

// Rate is the schedule's rate around elapsed, in hits per second: the
// arrivals within half a second on either side.
func (p pacer) Rate(elapsed time.Duration) float64 {
	const half = 500 * time.Millisecond
	lo := sort.Search(len(p.at), func(i int) bool { return p.at[i] >= elapsed-half })
	hi := sort.Search(len(p.at), func(i int) bool { return p.at[i] >= elapsed+half })
	return float64(hi-lo) / (2 * half).Seconds()
}

// targeter hands out the schedule's arrivals in hit order: GET
// <proxy>/?arrival=k with arrival k's service quantile and client. urls[b]
// is balancer instance b's proxy. Once ctx is done, or the schedule is
// exhausted, it fails, which stops the attack.
func (s *schedule) targeter(ctx context.Context, urls []string) vegeta.Targeter {
	var next atomic.Uint64
	return func(tgt *vegeta.Target) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		k := next.Add(1) - 1
		if k >= uint64(len(s.arrivals)) {
			return vegeta.ErrNoTargets
		}
		a := &s.arrivals[k]
		tgt.Method = http.MethodGet
		tgt.URL = urls[a.Balancer] + arrivalQuery + strconv.FormatUint(k, 10)
		tgt.Header = http.Header{
			wire.Quantile: {strconv.FormatFloat(a.U, 'g', -1, 64)},
			wire.Client:   {strconv.Itoa(a.Client)},
		}
		if s.classes {
			tgt.Header[wire.Class] = []string{strconv.Itoa(a.Class)}
		}
		if a.Sized {
			tgt.Header[wire.Size] = []string{strconv.FormatInt(int64(a.Size), 10)}
			tgt.Header[wire.SizeRef] = []string{strconv.FormatInt(int64(a.Ref), 10)}
		}
		return nil
	}
}

// arrivalOf returns the arrival index in a result's URL.
func arrivalOf(url string) (int, error) {
	i := strings.LastIndex(url, arrivalQuery)
	if i < 0 {
		return 0, errors.New("realproxy: result for a URL without an arrival: " + url)
	}
	k, err := strconv.Atoi(url[i+len(arrivalQuery):])
	if err != nil || k < 0 {
		return 0, errors.New("realproxy: result for a URL with a bad arrival: " + url)
	}
	return k, nil
}
