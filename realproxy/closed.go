package realproxy

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/model"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/traffic"
)

// shot is one request's result, with the arrival it answers: what the
// collector needs from either load generator (vegeta's open loop, or the
// closed loop below).
type shot struct {
	res      *vegeta.Result
	arr      traffic.Arrival
	measured bool
}

// closedLoop drives a closed loop (DESIGN.md §7, model.Users) against the
// proxies at urls: one goroutine per user, each sleeping until its
// request's time (its previous answer plus a think draw, on the run's
// clock from start), sending it, waiting for the answer, and drawing the
// next. vegeta cannot wait for answers, so this is the load generator; it
// records vegeta's Result for each request, as vegeta would, so that
// vegeta's own tools read a closed run's results too. Each result goes to
// shots; capped is called once, with the issue time of the request that
// reached the request cap (the measured window's end). It returns when
// every user is done or ctx is, with shots closed.
func closedLoop(ctx context.Context, us *model.Users, client *http.Client, urls []string, label string,
	start time.Time, shots chan<- shot, capped func(at time.Duration)) {
	defer close(shots)
	var (
		mu   sync.Mutex // guards us
		seq  atomic.Uint64
		once sync.Once
		wg   sync.WaitGroup
	)
	for u := range us.Len() {
		mu.Lock()
		arr, ok := us.Start(u)
		mu.Unlock()
		if !ok {
			continue
		}
		wg.Go(func() {
			for {
				if !sleepUntil(ctx, start.Add(arr.At)) {
					return
				}
				mu.Lock()
				measured, ok := us.Issue(u, arr)
				cap := us.Capped()
				mu.Unlock()
				if !ok {
					return
				}
				if cap {
					once.Do(func() { capped(arr.At) })
				}
				res := hit(ctx, client, urls[arr.Balancer], u, arr, label, seq.Add(1)-1)
				select {
				case shots <- shot{res: res, arr: arr, measured: measured}:
				case <-ctx.Done():
					return
				}
				mu.Lock()
				arr, ok = us.Next(u, time.Since(start))
				mu.Unlock()
				if !ok {
					return
				}
			}
		})
	}
	wg.Wait()
}

// hit sends user u's request arr and returns its result as vegeta records
// one: sent at Timestamp, answered after Latency, with the status code,
// the response's headers and the bytes read.
func hit(ctx context.Context, client *http.Client, url string, u int, arr traffic.Arrival, label string, seq uint64) *vegeta.Result {
	target := url + "/?user=" + strconv.Itoa(u)
	res := &vegeta.Result{Attack: label, Seq: seq, Method: http.MethodGet, URL: target, Timestamp: time.Now()}
	defer func() { res.Latency = time.Since(res.Timestamp) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	req.Header = http.Header{
		wire.Quantile: {strconv.FormatFloat(arr.U, 'g', -1, 64)},
		wire.Client:   {strconv.Itoa(arr.Client)},
		wire.Class:    {strconv.Itoa(arr.Class)},
	}
	resp, err := client.Do(req)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	res.BytesIn = uint64(n)
	res.Code = uint16(resp.StatusCode)
	res.Headers = resp.Header
	if err != nil {
		res.Error = err.Error()
	} else if res.Code < 200 || res.Code >= 400 {
		res.Error = resp.Status
	}
	return res
}
