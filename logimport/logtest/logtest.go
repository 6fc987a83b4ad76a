// Package logtest generates access logs from a known model, for tests of
// importing and fitting: Poisson arrivals at a known rate, servers with
// known service-time families and means, and the exact line formats of
// HAProxy, NGINX (Fulcrum's log_format) and Envoy (default and JSON), in
// the order a balancer writes them (when each request ends).
package logtest

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Server is one backend of a generated log: its service-time family and
// mean.
type Server struct {
	Name   string
	Family string // exponential | lognormal
	Mean   time.Duration
	CV     float64 // lognormal
}

// Request is one request of a generated log, as the truth the import
// must recover.
type Request struct {
	Arrival time.Time     // ms resolution, as logs print it
	Server  int           // index into the servers
	Service time.Duration // at ms resolution, as the log's timers have it
	Latency time.Duration
	Client  string
}

// generate draws n requests: Poisson arrivals at rate per second from
// start, each sent to a server uniformly at random, with a service time of
// its server's family. Times are kept at the millisecond, as HAProxy and
// NGINX print them: a timer is the difference of two clocks read in whole
// ms, so it is unbiased.
func Generate(seed uint64, n int, rate float64, servers []Server) []Request {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)
	t := 0.0 // seconds
	out := make([]Request, n)
	for i := range out {
		t += rng.ExpFloat64() / rate
		s := rng.IntN(len(servers))
		var x float64 // seconds
		sv := servers[s]
		m := sv.Mean.Seconds()
		switch sv.Family {
		case "exponential":
			x = rng.ExpFloat64() * m
		case "lognormal":
			sigma2 := math.Log1p(sv.CV * sv.CV)
			mu := math.Log(m) - sigma2/2
			x = math.Exp(mu + math.Sqrt(sigma2)*rng.NormFloat64())
		}
		ms := func(sec float64) int64 { return int64(math.Floor(sec * 1000)) }
		arrMS := ms(t)
		sent := t + 0.0002 // HAProxy's own handling and the connect
		done := sent + x
		end := done + 0.0001
		out[i] = Request{
			Arrival: start.Add(time.Duration(arrMS) * time.Millisecond),
			Server:  s,
			Service: time.Duration(ms(done)-ms(sent)) * time.Millisecond,
			Latency: time.Duration(ms(end)-arrMS) * time.Millisecond,
			Client:  fmt.Sprintf("10.1.%d.%d", rng.IntN(4), rng.IntN(250)),
		}
	}
	return out
}

// inLogOrder returns the requests in the order a balancer logs them: when
// each ends.
func InLogOrder(reqs []Request) []Request {
	out := append([]Request(nil), reqs...)
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Arrival.Add(out[i].Latency).Before(out[j].Arrival.Add(out[j].Latency))
	})
	return out
}

// writeHAProxy writes reqs as HAProxy's HTTP log (option httplog), syslog
// prefix included, in the order given:
//
//	Nov 30 23:59:00 lb1 haproxy[1234]: 10.1.0.7:40112 [30/Nov/2026:23:59:00.123] web~ app/srv1 0/0/0/45/46 200 512 - - ---- 3/3/1/1/0 0/0 "GET /api HTTP/1.1"
func WriteHAProxy(w io.Writer, reqs []Request, servers []Server) error {
	for i, r := range reqs {
		tr := r.Service.Milliseconds()
		ta := r.Latency.Milliseconds()
		tc := int64(0)
		if ta < tr+tc {
			ta = tr + tc
		}
		_, err := fmt.Fprintf(w, "%s lb1 haproxy[1234]: %s:%d [%s] web~ app/%s 0/0/%d/%d/%d 200 512 - - ---- 3/3/1/1/0 0/0 \"GET /api/%d HTTP/1.1\"\n",
			r.Arrival.Add(r.Latency).Format(time.Stamp), r.Client, 40000+i%20000,
			r.Arrival.Format("02/Jan/2006:15:04:05.000"), servers[r.Server].Name, tc, tr, ta, i)
		if err != nil {
			return err
		}
	}
	return nil
}

// writeNginx writes reqs in the fulcrum log_format (NginxLogFormat),
// servers as their addresses (the name is taken for one).
func WriteNginx(w io.Writer, reqs []Request, servers []Server) error {
	for _, r := range reqs {
		end := r.Arrival.Add(r.Latency)
		_, err := fmt.Fprintf(w, "time=%d.%03d request_time=%.3f upstream_time=\"%.3f\" upstream=\"%s\" status=200 client=%s\n",
			end.Unix(), end.Nanosecond()/1e6, r.Latency.Seconds(), r.Service.Seconds(), servers[r.Server].Name, r.Client)
		if err != nil {
			return err
		}
	}
	return nil
}

// writeEnvoy writes reqs in Envoy's default access log format, or as its
// JSON form.
func WriteEnvoy(w io.Writer, reqs []Request, servers []Server, asJSON bool) error {
	for i, r := range reqs {
		start := r.Arrival.Format("2006-01-02T15:04:05.000Z")
		var err error
		if asJSON {
			_, err = fmt.Fprintf(w, `{"start_time":"%s","method":"GET","path":"/api/%d","protocol":"HTTP/1.1","response_code":200,"response_flags":"-","bytes_received":0,"bytes_sent":512,"duration":%d,"upstream_service_time":"%d","x_forwarded_for":"%s","user_agent":"gen","request_id":"r%d","authority":"api","upstream_host":"%s"}`+"\n",
				start, i, r.Latency.Milliseconds(), r.Service.Milliseconds(), r.Client, i, servers[r.Server].Name)
		} else {
			_, err = fmt.Fprintf(w, "[%s] \"GET /api/%d HTTP/1.1\" 200 - 0 512 %d %d \"%s\" \"gen\" \"r%d\" \"api\" \"%s\"\n",
				start, i, r.Latency.Milliseconds(), r.Service.Milliseconds(), r.Client, i, servers[r.Server].Name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
