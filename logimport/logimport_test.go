package logimport

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/logimport/logtest"
	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/trace"
)

var genServers = []logtest.Server{
	{Name: "srv1", Family: "exponential", Mean: 80 * time.Millisecond},
	{Name: "srv2", Family: "lognormal", Mean: 120 * time.Millisecond, CV: 1},
	{Name: "srv3", Family: "exponential", Mean: 40 * time.Millisecond},
}

// readTrace reads a whole trace.
func readTrace(t *testing.T, path string) []trace.Record {
	t.Helper()
	out, err := trace.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// recordKey orders records for comparison: requests that arrive in the
// same millisecond may come out in any order.
func recordKey(r trace.Record) string {
	return strings.Join([]string{(r.Time).String(), r.Client, r.Server, r.Service.String(), r.Latency.String(), r.Outcome}, "|")
}

// checkImported compares an imported trace with the generated truth,
// request by request.
func checkImported(t *testing.T, got []trace.Record, reqs []logtest.Request, servers []logtest.Server, latency bool) {
	t.Helper()
	if len(got) != len(reqs) {
		t.Fatalf("%d records, want %d", len(got), len(reqs))
	}
	zero := reqs[0].Arrival
	for _, r := range reqs {
		if r.Arrival.Before(zero) {
			zero = r.Arrival
		}
	}
	var want []string
	for _, r := range reqs {
		lat := trace.Unknown
		if latency {
			lat = r.Latency
		}
		want = append(want, recordKey(trace.Record{Time: r.Arrival.Sub(zero), Client: r.Client, Server: servers[r.Server].Name,
			Service: r.Service, Latency: lat, Outcome: trace.OK}))
	}
	var have []string
	for i, r := range got {
		if i > 0 && r.Time < got[i-1].Time {
			t.Fatalf("record %d at %v before record %d at %v", i, r.Time, i-1, got[i-1].Time)
		}
		have = append(have, recordKey(r))
	}
	slices.Sort(want)
	slices.Sort(have)
	for i := range want {
		if want[i] != have[i] {
			t.Fatalf("first difference (sorted): got %s, want %s", have[i], want[i])
		}
	}
}

// TestHAProxy: a generated HAProxy log, in the order HAProxy writes it
// (when each request ends), plain and gzipped, imports to exactly the
// requests generated, in arrival order.
func TestHAProxy(t *testing.T) {
	reqs := logtest.Generate(1, 20000, 200, genServers)
	var log bytes.Buffer
	if err := logtest.WriteHAProxy(&log, logtest.InLogOrder(reqs), genServers); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "haproxy.log")
	os.WriteFile(plain, log.Bytes(), 0o644)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(log.Bytes())
	zw.Close()
	gz := filepath.Join(dir, "haproxy.log.1.gz")
	os.WriteFile(gz, z.Bytes(), 0o644)

	for _, in := range []string{plain, gz} {
		out := filepath.Join(dir, "trace.csv")
		rep, err := Import("haproxy", []string{in}, out, Options{Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Lines != 20000 || rep.Written != 20000 || rep.Skipped != 0 {
			t.Errorf("%s: report %+v", in, rep)
		}
		checkImported(t, readTrace(t, out), reqs, genServers, true)
	}
}

// TestHAProxyLines: the outcomes and fields HAProxy's termination states
// and timers give, and lines that are not HTTP log lines.
func TestHAProxyLines(t *testing.T) {
	for _, c := range []struct {
		name, line string
		want       entry
		err        string
	}{
		{"ok", `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"`,
			entry{client: "10.0.1.2", server: "srv1", service: 69 * time.Millisecond, latency: 109 * time.Millisecond, outcome: "ok"}, ""},
		{"syslog and +Tt", `Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/+109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`,
			entry{client: "10.0.1.2", server: "srv1", service: 69 * time.Millisecond, latency: 109 * time.Millisecond, outcome: "ok"}, ""},
		{"server timeout", `10.0.1.2:1 [06/Feb/2009:12:14:14.655] fe be/srv2 0/0/1/-1/30001 504 194 - - sH-- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`,
			entry{client: "10.0.1.2", server: "srv2", service: trace.Unknown, latency: 30001 * time.Millisecond, outcome: "timeout"}, ""},
		{"no server", `10.0.1.2:1 [06/Feb/2009:12:14:14.655] fe be/<NOSRV> 0/-1/-1/-1/0 503 212 - - SC-- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`,
			entry{client: "10.0.1.2", service: trace.Unknown, latency: 0, outcome: "rejected"}, ""},
		{"server error", `10.0.1.2:1 [06/Feb/2009:12:14:14.655] fe be/srv1 0/0/1/5/6 500 10 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`,
			entry{client: "10.0.1.2", server: "srv1", service: 5 * time.Millisecond, latency: 6 * time.Millisecond, outcome: "failed"}, ""},
		{"ipv6", `[2001:db8::1]:443 [06/Feb/2009:12:14:14.655] fe be/srv1 0/0/1/5/6 200 10 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`,
			entry{client: "[2001:db8::1]", server: "srv1", service: 5 * time.Millisecond, latency: 6 * time.Millisecond, outcome: "ok"}, ""},
		{"tcp log", `10.0.1.2:1 [06/Feb/2009:12:14:14.655] fe be/srv1 0/0/5 212 --`, entry{}, "fields after the date"},
		{"no date", `haproxy started`, entry{}, "no request date"},
		{"bad timers", `10.0.1.2:1 [06/Feb/2009:12:14:14.655] fe be/srv1 0/0/x/5/6 200 10 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, entry{}, "timers"},
		{"bad month", `10.0.1.2:1 [06/Fev/2009:12:14:14.655] fe be/srv1 0/0/1/5/6 200 10 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, entry{}, "date"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e entry
			e.reset()
			err := haproxyLine([]byte(c.line), &e)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("error %v, want one about %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e.at = 0
			if e != c.want {
				t.Errorf("got %+v, want %+v", e, c.want)
			}
		})
	}
}

// TestSkips: unreadable lines are counted, the first few kept with their
// line numbers, and the rest imported; strict makes the first an error; a
// log with no usable line, a truncated gzip and a log too far out of order
// are reported as documented, and no trace is left behind on an error.
func TestSkips(t *testing.T) {
	reqs := logtest.Generate(2, 50, 20, genServers)
	var log bytes.Buffer
	logtest.WriteHAProxy(&log, reqs, genServers)
	lines := strings.SplitAfter(log.String(), "\n")
	mixed := strings.Join(lines[:10], "") + "garbage line\n\n" + strings.Join(lines[10:], "") + "another bad one\n"
	dir := t.TempDir()
	in := filepath.Join(dir, "mixed.log")
	os.WriteFile(in, []byte(mixed), 0o644)
	out := filepath.Join(dir, "t.csv")

	rep, err := Import("haproxy", []string{in}, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Written != 50 || rep.Skipped != 2 || len(rep.Examples) != 2 ||
		rep.Examples[0].Line != 11 || rep.Examples[1].Line != 53 {
		t.Errorf("report %+v", rep)
	}
	os.Remove(out)
	if _, err := Import("haproxy", []string{in}, out, Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "mixed.log:11: no request date") {
		t.Errorf("strict: %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed import left %s", out)
	}

	none := filepath.Join(dir, "none.log")
	os.WriteFile(none, []byte("nothing\nto see\n"), 0o644)
	if _, err := Import("haproxy", []string{none}, out, Options{}); err == nil || !strings.Contains(err.Error(), "no usable line") {
		t.Errorf("no usable line: %v", err)
	}

	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(log.Bytes())
	zw.Close()
	cut := filepath.Join(dir, "cut.log.gz")
	os.WriteFile(cut, z.Bytes()[:z.Len()*2/3], 0o644)
	rep, err = Import("haproxy", []string{cut}, out, Options{})
	if err != nil || len(rep.Truncated) != 1 || rep.Written == 0 || rep.Written >= 50 {
		t.Errorf("truncated gzip: %v, report %+v", err, rep)
	}
	if _, err := Import("haproxy", []string{cut}, out+"2", Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("truncated gzip, strict: %v", err)
	}

	// Out of order by more than the window: the late line is skipped.
	late := strings.Join(lines[20:40], "") + lines[0]
	lp := filepath.Join(dir, "late.log")
	os.WriteFile(lp, []byte(late), 0o644)
	rep, err = Import("haproxy", []string{lp}, out, Options{Reorder: time.Millisecond})
	if err != nil || rep.Skipped != 1 || !strings.Contains(rep.Examples[0].Reason, "out of arrival order") {
		t.Errorf("late line: %v, %+v", err, rep)
	}

	if _, err := Import("apache", []string{in}, out, Options{}); err == nil || !strings.Contains(err.Error(), `unknown format "apache"`) {
		t.Errorf("unknown format: %v", err)
	}
}

// TestFormats: the same generated requests, logged by NGINX (fulcrum
// log_format) and Envoy (default format, text and JSON) in completion
// order, import to the same trace.
func TestFormats(t *testing.T) {
	reqs := logtest.Generate(3, 5000, 100, genServers)
	logged := logtest.InLogOrder(reqs)
	dir := t.TempDir()
	for _, c := range []struct {
		format string
		write  func(io.Writer) error
	}{
		{"nginx", func(w io.Writer) error { return logtest.WriteNginx(w, logged, genServers) }},
		{"envoy", func(w io.Writer) error { return logtest.WriteEnvoy(w, logged, genServers, false) }},
		{"envoy-json", func(w io.Writer) error { return logtest.WriteEnvoy(w, logged, genServers, true) }},
	} {
		t.Run(c.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.write(&b); err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(dir, c.format+".log")
			os.WriteFile(in, b.Bytes(), 0o644)
			out := filepath.Join(dir, c.format+".csv")
			rep, err := Import(c.format, []string{in}, out, Options{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Written != 5000 {
				t.Errorf("report %+v", rep)
			}
			checkImported(t, readTrace(t, out), reqs, genServers, true)
		})
	}
}

// TestOutcomes: how each format's codes and flags become outcomes.
func TestOutcomes(t *testing.T) {
	for _, c := range []struct {
		format, line, outcome, server string
	}{
		{"nginx", `time=100.500 request_time=0.010 upstream_time="0.004, 0.005" upstream="10.0.0.1:80, 10.0.0.2:80" status=200 client=1.2.3.4`, "ok", "10.0.0.2:80"},
		{"nginx", `time=100.500 request_time=0.010 upstream_time="-" upstream="-" status=503 client=1.2.3.4`, "rejected", ""},
		{"nginx", `time=100.500 request_time=60.000 upstream_time="60.000" upstream="10.0.0.1:80" status=504 client=1.2.3.4`, "timeout", "10.0.0.1:80"},
		{"nginx", `time=100.500 request_time=0.010 upstream_time="0.010" upstream="10.0.0.1:80" status=500 client=1.2.3.4`, "failed", "10.0.0.1:80"},
		{"envoy", `[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0" "locations" "tcp://10.0.2.1:80"`, "ok", "tcp://10.0.2.1:80"},
		{"envoy", `[2016-04-15T20:17:00.310Z] "GET / HTTP/1.1" 503 UH 0 19 0 - "-" "curl" "id" "api" "-"`, "rejected", ""},
		{"envoy", `[2016-04-15T20:17:00.310Z] "GET / HTTP/1.1" 504 UT 0 24 15000 - "-" "curl" "id" "api" "10.0.0.1:80"`, "timeout", "10.0.0.1:80"},
		{"envoy", `[2016-04-15T20:17:00.310Z] "GET / HTTP/1.1" 503 UF,URX 0 91 3 - "-" "curl" "id" "api" "10.0.0.1:80"`, "failed", "10.0.0.1:80"},
		{"envoy-json", `{"start_time":"2016-04-15T20:17:00.310Z","response_code":200,"response_flags":"-","duration":5,"upstream_service_time":"4","downstream_remote_address":"10.0.0.9:5555","upstream_host":"10.0.0.1:80"}`, "ok", "10.0.0.1:80"},
	} {
		var e entry
		e.reset()
		if err := Formats[c.format].line([]byte(c.line), &e); err != nil {
			t.Errorf("%s %q: %v", c.format, c.line, err)
			continue
		}
		if e.outcome != c.outcome || e.server != c.server {
			t.Errorf("%s %q: outcome %q server %q, want %q %q", c.format, c.line, e.outcome, e.server, c.outcome, c.server)
		}
	}
}

// TestVegeta: vegeta's results in its three encodings import alike, with
// the server and service time from Fulcrum's response headers.
func TestVegeta(t *testing.T) {
	reqs := logtest.Generate(4, 2000, 100, genServers)
	logged := logtest.InLogOrder(reqs)
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		enc  func(io.Writer) vegeta.Encoder
	}{
		{"gob", vegeta.NewEncoder}, {"csv", vegeta.NewCSVEncoder}, {"json", vegeta.NewJSONEncoder},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			enc := c.enc(&b)
			for _, r := range logged {
				h := http.Header{}
				h.Set(wire.Backend, genServers[r.Server].Name)
				h.Set(wire.Service, strconv.FormatInt(r.Service.Microseconds(), 10))
				if err := enc.Encode(&vegeta.Result{Code: 200, Timestamp: r.Arrival, Latency: r.Latency, Headers: h}); err != nil {
					t.Fatal(err)
				}
			}
			in := filepath.Join(dir, "results."+c.name)
			os.WriteFile(in, b.Bytes(), 0o644)
			out := filepath.Join(dir, c.name+".csv")
			rep, err := Import("vegeta", []string{in}, out, Options{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Written != 2000 {
				t.Errorf("report %+v", rep)
			}
			got := readTrace(t, out)
			for i := range got {
				got[i].Client = "" // vegeta knows no client
			}
			noClients := append([]logtest.Request(nil), reqs...)
			for i := range noClients {
				noClients[i].Client = ""
			}
			checkImported(t, got, noClients, genServers, true)
		})
	}
}
