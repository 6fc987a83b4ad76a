package logimport

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// genServer is one backend of a generated log: its service-time family and
// mean.
type genServer struct {
	name   string
	family string // exponential | lognormal
	mean   time.Duration
	cv     float64 // lognormal
}

// genRequest is one request of a generated log, as the truth the import
// must recover.
type genRequest struct {
	arrival time.Time     // ms resolution, as logs print it
	server  int           // index into the servers
	service time.Duration // at ms resolution, as the log's timers have it
	latency time.Duration
	client  string
}

// generate draws n requests: Poisson arrivals at rate per second from
// start, each sent to a server uniformly at random, with a service time of
// its server's family. Times are kept at the millisecond, as HAProxy and
// NGINX print them: a timer is the difference of two clocks read in whole
// ms, so it is unbiased.
func generate(seed uint64, n int, rate float64, servers []genServer) []genRequest {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)
	t := 0.0 // seconds
	out := make([]genRequest, n)
	for i := range out {
		t += rng.ExpFloat64() / rate
		s := rng.IntN(len(servers))
		var x float64 // seconds
		sv := servers[s]
		m := sv.mean.Seconds()
		switch sv.family {
		case "exponential":
			x = rng.ExpFloat64() * m
		case "lognormal":
			sigma2 := math.Log1p(sv.cv * sv.cv)
			mu := math.Log(m) - sigma2/2
			x = math.Exp(mu + math.Sqrt(sigma2)*rng.NormFloat64())
		}
		ms := func(sec float64) int64 { return int64(math.Floor(sec * 1000)) }
		arrMS := ms(t)
		sent := t + 0.0002 // HAProxy's own handling and the connect
		done := sent + x
		end := done + 0.0001
		out[i] = genRequest{
			arrival: start.Add(time.Duration(arrMS) * time.Millisecond),
			server:  s,
			service: time.Duration(ms(done)-ms(sent)) * time.Millisecond,
			latency: time.Duration(ms(end)-arrMS) * time.Millisecond,
			client:  fmt.Sprintf("10.1.%d.%d", rng.IntN(4), rng.IntN(250)),
		}
	}
	return out
}

// inLogOrder returns the requests in the order a balancer logs them: when
// each ends.
func inLogOrder(reqs []genRequest) []genRequest {
	out := append([]genRequest(nil), reqs...)
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].arrival.Add(out[i].latency).Before(out[j].arrival.Add(out[j].latency))
	})
	return out
}

// writeHAProxy writes reqs as HAProxy's HTTP log (option httplog), syslog
// prefix included, in the order given:
//
//	Nov 30 23:59:00 lb1 haproxy[1234]: 10.1.0.7:40112 [30/Nov/2026:23:59:00.123] web~ app/srv1 0/0/0/45/46 200 512 - - ---- 3/3/1/1/0 0/0 "GET /api HTTP/1.1"
func writeHAProxy(w io.Writer, reqs []genRequest, servers []genServer) error {
	for i, r := range reqs {
		tr := r.service.Milliseconds()
		ta := r.latency.Milliseconds()
		tc := int64(0)
		if ta < tr+tc {
			ta = tr + tc
		}
		_, err := fmt.Fprintf(w, "%s lb1 haproxy[1234]: %s:%d [%s] web~ app/%s 0/0/%d/%d/%d 200 512 - - ---- 3/3/1/1/0 0/0 \"GET /api/%d HTTP/1.1\"\n",
			r.arrival.Add(r.latency).Format(time.Stamp), r.client, 40000+i%20000,
			r.arrival.Format("02/Jan/2006:15:04:05.000"), servers[r.server].name, tc, tr, ta, i)
		if err != nil {
			return err
		}
	}
	return nil
}

// writeNginx writes reqs in the fulcrum log_format (NginxLogFormat),
// servers as their addresses (the name is taken for one).
func writeNginx(w io.Writer, reqs []genRequest, servers []genServer) error {
	for _, r := range reqs {
		end := r.arrival.Add(r.latency)
		_, err := fmt.Fprintf(w, "time=%d.%03d request_time=%.3f upstream_time=\"%.3f\" upstream=\"%s\" status=200 client=%s\n",
			end.Unix(), end.Nanosecond()/1e6, r.latency.Seconds(), r.service.Seconds(), servers[r.server].name, r.client)
		if err != nil {
			return err
		}
	}
	return nil
}

// writeEnvoy writes reqs in Envoy's default access log format, or as its
// JSON form.
func writeEnvoy(w io.Writer, reqs []genRequest, servers []genServer, asJSON bool) error {
	for i, r := range reqs {
		start := r.arrival.Format("2006-01-02T15:04:05.000Z")
		var err error
		if asJSON {
			_, err = fmt.Fprintf(w, `{"start_time":"%s","method":"GET","path":"/api/%d","protocol":"HTTP/1.1","response_code":200,"response_flags":"-","bytes_received":0,"bytes_sent":512,"duration":%d,"upstream_service_time":"%d","x_forwarded_for":"%s","user_agent":"gen","request_id":"r%d","authority":"api","upstream_host":"%s"}`+"\n",
				start, i, r.latency.Milliseconds(), r.service.Milliseconds(), r.client, i, servers[r.server].name)
		} else {
			_, err = fmt.Fprintf(w, "[%s] \"GET /api/%d HTTP/1.1\" 200 - 0 512 %d %d \"%s\" \"gen\" \"r%d\" \"api\" \"%s\"\n",
				start, i, r.latency.Milliseconds(), r.service.Milliseconds(), r.client, i, servers[r.server].name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
