// Command genlog writes a large access log from a known model (package
// logimport/logtest), for measuring sim import on logs of any size:
//
//	go run ./scripts/genlog -format haproxy -lines 5500000 | gzip > big.log.gz
//
// Poisson arrivals at -rate, two servers (exponential mean 80ms, lognormal
// mean 120ms cv 1), written in chunks of 100,000 requests, each chunk in
// the order a balancer logs it (by completion), so memory stays small.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fulcrum-lb/fulcrum/logimport/logtest"
)

func main() {
	format := flag.String("format", "haproxy", "haproxy | nginx | envoy | envoy-json")
	lines := flag.Int("lines", 1_000_000, "requests to write")
	rate := flag.Float64("rate", 2000, "arrivals per second")
	flag.Parse()
	servers := []logtest.Server{
		{Name: "srv1", Family: "exponential", Mean: 80 * time.Millisecond},
		{Name: "srv2", Family: "lognormal", Mean: 120 * time.Millisecond, CV: 1},
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	var offset time.Duration
	const chunk = 100_000
	for done, seed := 0, uint64(1); done < *lines; seed++ {
		n := min(chunk, *lines-done)
		reqs := logtest.Generate(seed, n, *rate, servers)
		last := reqs[len(reqs)-1].Arrival
		for i := range reqs {
			reqs[i].Arrival = reqs[i].Arrival.Add(offset)
		}
		offset += last.Sub(reqs[0].Arrival.Add(-offset)) + time.Millisecond
		if err := write(w, *format, logtest.InLogOrder(reqs), servers); err != nil {
			fmt.Fprintln(os.Stderr, "genlog:", err)
			os.Exit(1)
		}
		done += n
	}
}

func write(w io.Writer, format string, reqs []logtest.Request, servers []logtest.Server) error {
	switch format {
	case "haproxy":
		return logtest.WriteHAProxy(w, reqs, servers)
	case "nginx":
		return logtest.WriteNginx(w, reqs, servers)
	case "envoy":
		return logtest.WriteEnvoy(w, reqs, servers, false)
	case "envoy-json":
		return logtest.WriteEnvoy(w, reqs, servers, true)
	}
	return fmt.Errorf("unknown format %q", format)
}
