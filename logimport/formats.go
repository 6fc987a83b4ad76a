package logimport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
	"github.com/fulcrum-lb/fulcrum/trace"
)

// NginxLogFormat is the log_format to add to nginx.conf's http block (and
// to name in access_log) for logs this package can import. Keys may come
// in any order and others may be added.
const NginxLogFormat = `log_format fulcrum 'time=$msec request_time=$request_time '
                   'upstream_time="$upstream_response_time" upstream="$upstream_addr" '
                   'status=$status client=$remote_addr';
access_log /var/log/nginx/fulcrum.log fulcrum;`

func init() {
	register(&Format{
		Name: "nginx",
		Derives: "NGINX with the log_format of `sim import --nginx-format` (time=$msec request_time=$request_time " +
			"upstream_time=\"$upstream_response_time\" upstream=\"$upstream_addr\" status=$status client=$remote_addr): " +
			"$msec is when the line was written, so time = $msec - $request_time (ms resolution); latency = $request_time; " +
			"service = $upstream_response_time and server = $upstream_addr, the last of each when NGINX tried several upstreams " +
			"(the one that answered; the time includes the network to it); " +
			"outcome = rejected for 502/503 with no upstream, timeout for 504, failed for another 5xx, else ok",
		line: nginxLine,
	})
	register(&Format{
		Name: "envoy",
		Derives: "Envoy's default access log format ([%START_TIME%] \"%REQ(:METHOD)% ... %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% " +
			"%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" " +
			"\"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"): time = START_TIME; " +
			"latency = DURATION; service = x-envoy-upstream-service-time (the upstream's time, network included; ms); " +
			"server = UPSTREAM_HOST; client = X-Forwarded-For; outcome = timeout for flag UT or 504, rejected for flags UH, UO " +
			"or NR, failed for another 5xx or code 0, else ok",
		line: envoyLine,
	})
	register(&Format{
		Name: "envoy-json",
		Derives: "Envoy's access log as JSON (json_format) with the default format's fields under their usual names: " +
			"start_time, duration, upstream_service_time (or x_envoy_upstream_service_time), upstream_host, response_code, " +
			"response_flags, x_forwarded_for (or downstream_remote_address, without its port); read as the envoy format",
		line: envoyJSONLine,
	})
	register(&Format{
		Name: "vegeta",
		Derives: "vegeta's results, binary (gob), CSV or JSON (told apart by their first bytes): time = the request's " +
			"timestamp; latency = its latency; server and service from Fulcrum's response headers (" + wire.Backend + ", " +
			wire.Service + ") when the results kept them; no client; outcome = timeout for 504 or a timeout error, " +
			"rejected for 503 " + wire.ErrorNoBackend + ", failed for another error or 5xx, else ok",
		stream: vegetaStream,
	})
	register(&Format{
		Name:    "trace",
		Derives: "Fulcrum's own trace CSV (DESIGN.md §8), as is: to merge, reorder or check traces",
		stream:  traceStream,
	})
}

// nginxLine reads one line of the fulcrum log_format (NginxLogFormat).
func nginxLine(line []byte, e *entry) error {
	var msec, reqTime, upTime, up, status, client string
	seen := 0
	for rest := string(line); rest != ""; {
		rest = strings.TrimLeft(rest, " ")
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			break
		}
		key, val := rest[:eq], ""
		rest = rest[eq+1:]
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return fmt.Errorf("%s: no closing quote", key)
			}
			val, rest = rest[1:1+end], rest[2+end:]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		switch key {
		case "time":
			msec, seen = val, seen|1
		case "request_time":
			reqTime, seen = val, seen|2
		case "upstream_time":
			upTime = val
		case "upstream":
			up = val
		case "status":
			status, seen = val, seen|4
		case "client":
			client = val
		}
	}
	if seen != 7 {
		return errors.New("not the fulcrum log_format: time=, request_time= and status= are required (see `sim import --nginx-format`)")
	}
	end, ok := decimalNS(msec)
	if !ok {
		return fmt.Errorf("time=%q is not $msec (seconds since the epoch, e.g. 1764547140.123)", msec)
	}
	rt, ok := decimalNS(reqTime)
	if !ok {
		return fmt.Errorf("request_time=%q is not a number of seconds", reqTime)
	}
	code, err := strconv.Atoi(status)
	if err != nil {
		return fmt.Errorf("status=%q is not a number", status)
	}
	e.at = end - rt
	e.latency = time.Duration(rt)
	e.client = client
	e.server = lastOf(up)
	if s := lastOf(upTime); s != "" {
		if d, ok := decimalNS(s); ok {
			e.service = time.Duration(d)
		} else {
			return fmt.Errorf("upstream_time=%q is not $upstream_response_time", upTime)
		}
	}
	switch {
	case e.server == "" && (code == 502 || code == 503):
		e.outcome = trace.Rejected
	case code == 504:
		e.outcome = trace.Timeout
	case code >= 500:
		e.outcome = trace.Failed
	default:
		e.outcome = trace.OK
	}
	return nil
}

// lastOf is the last of NGINX's list of upstream values ("a, b : c"),
// or "" for "-".
func lastOf(s string) string {
	if i := strings.LastIndex(s, ", "); i >= 0 {
		s = s[i+2:]
	}
	if i := strings.LastIndex(s, " : "); i >= 0 {
		s = s[i+3:]
	}
	if s = strings.TrimSpace(s); s == "-" {
		return ""
	}
	return s
}

// decimalNS reads non-negative decimal seconds (ms or finer) into ns.
func decimalNS(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 11 {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, false
	}
	ns := w * 1e9
	scale := int64(1e9)
	for i, c := range []byte(frac) {
		if c < '0' || c > '9' {
			return 0, false
		}
		if i < 9 {
			scale /= 10
			ns += int64(c-'0') * scale
		}
	}
	return ns, true
}

// envoyFields splits an Envoy text line into its words, a bracketed or
// quoted word being one.
func envoyFields(line string) ([]string, error) {
	var out []string
	for rest := line; ; {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return out, nil
		}
		switch rest[0] {
		case '[', '"':
			close := byte(']')
			if rest[0] == '"' {
				close = '"'
			}
			end := strings.IndexByte(rest[1:], close)
			if end < 0 {
				return nil, fmt.Errorf("field %d: no closing %c", len(out)+1, close)
			}
			out = append(out, rest[1:1+end])
			rest = rest[2+end:]
		default:
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			out = append(out, rest[:end])
			rest = rest[end:]
		}
	}
}

// envoyLine reads one line of Envoy's default format.
func envoyLine(line []byte, e *entry) error {
	f, err := envoyFields(string(line))
	if err != nil {
		return err
	}
	if len(f) < 13 {
		return fmt.Errorf("%d fields, want the default format's 13 ([START_TIME] \"request\" code flags received sent duration upstream-time \"xff\" \"agent\" \"id\" \"authority\" \"upstream\")", len(f))
	}
	return envoyEntry(e, f[0], f[2], f[3], f[6], f[7], f[12], f[8])
}

// envoyEntry fills e from the default format's fields, as strings.
func envoyEntry(e *entry, start, code, flags, duration, upTime, upHost, client string) error {
	t, err := time.Parse(time.RFC3339Nano, start)
	if err != nil {
		return fmt.Errorf("START_TIME %q is not a date (2016-04-15T20:17:00.310Z)", start)
	}
	c, err := strconv.Atoi(code)
	if err != nil {
		return fmt.Errorf("RESPONSE_CODE %q is not a number", code)
	}
	ms, err := strconv.ParseFloat(duration, 64)
	if err != nil || ms < 0 {
		return fmt.Errorf("DURATION %q is not a number of ms", duration)
	}
	e.at = t.UnixNano()
	e.latency = time.Duration(ms * float64(time.Millisecond))
	if upTime != "-" && upTime != "" {
		v, err := strconv.ParseFloat(upTime, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("upstream service time %q is not a number of ms", upTime)
		}
		e.service = time.Duration(v * float64(time.Millisecond))
	}
	if upHost != "-" {
		e.server = upHost
	}
	if client != "-" {
		e.client = client
	}
	has := func(flag string) bool {
		for _, f := range strings.Split(flags, ",") {
			if f == flag {
				return true
			}
		}
		return false
	}
	switch {
	case has("UT") || c == 504:
		e.outcome = trace.Timeout
	case has("UH") || has("UO") || has("NR"):
		e.outcome = trace.Rejected
	case c >= 500 || c == 0:
		e.outcome = trace.Failed
	default:
		e.outcome = trace.OK
	}
	return nil
}

// envoyJSONLine reads one line of Envoy's JSON access log.
func envoyJSONLine(line []byte, e *entry) error {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			switch v := m[k].(type) {
			case string:
				return v
			case float64:
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
		return "-"
	}
	start := str("start_time")
	if start == "-" {
		return errors.New("no start_time: not an Envoy access log line")
	}
	client := str("x_forwarded_for", "x-forwarded-for")
	if client == "-" {
		if a := str("downstream_remote_address"); a != "-" {
			if k := strings.LastIndexByte(a, ':'); k > 0 {
				a = a[:k]
			}
			client = a
		}
	}
	return envoyEntry(e, start, str("response_code"), str("response_flags"), str("duration"),
		str("upstream_service_time", "x_envoy_upstream_service_time", "x-envoy-upstream-service-time"), str("upstream_host"), client)
}

// vegetaStream reads vegeta's results in any of its encodings.
func vegetaStream(r io.Reader, emit func(*entry, error) error) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	first, _ := br.Peek(1)
	if len(first) == 0 {
		return nil
	}
	var e entry
	if first[0] == '{' || first[0] >= '0' && first[0] <= '9' {
		decode := vegeta.NewCSVDecoder
		if first[0] == '{' {
			decode = vegeta.NewJSONDecoder
		}
		return eachLine(br, func(line []byte, tooLong bool) error {
			if tooLong {
				return emit(nil, fmt.Errorf("a line of over %d bytes", maxLine))
			}
			var res vegeta.Result
			if err := decode(bytes.NewReader(append(line, '\n'))).Decode(&res); err != nil {
				return emit(nil, fmt.Errorf("not a vegeta result: %v", err))
			}
			e.reset()
			vegetaEntry(&res, &e)
			return emit(&e, nil)
		})
	}
	dec := vegeta.NewDecoder(br)
	for {
		var res vegeta.Result
		err := dec.Decode(&res)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w (%v)", io.ErrUnexpectedEOF, err)
		}
		e.reset()
		vegetaEntry(&res, &e)
		if err := emit(&e, nil); err != nil {
			return err
		}
	}
}

func vegetaEntry(r *vegeta.Result, e *entry) {
	e.at = r.Timestamp.UnixNano()
	e.latency = r.Latency
	e.server = r.Headers.Get(wire.Backend)
	if us, err := strconv.ParseInt(r.Headers.Get(wire.Service), 10, 64); err == nil && us >= 0 {
		e.service = time.Duration(us) * time.Microsecond
	}
	timeout := strings.Contains(strings.ToLower(r.Error), "timeout") || strings.Contains(r.Error, "deadline exceeded")
	switch {
	case r.Code == 504 || timeout:
		e.outcome = trace.Timeout
	case r.Code == 503 && r.Headers.Get(wire.Error) == wire.ErrorNoBackend:
		e.outcome = trace.Rejected
	case r.Code == 0 || r.Code >= 500 || r.Error != "":
		e.outcome = trace.Failed
	default:
		e.outcome = trace.OK
	}
}

// traceStream reads a trace; a line that breaks its rules is skipped.
func traceStream(r io.Reader, emit func(*entry, error) error) error {
	rd, err := trace.NewReader("trace", r)
	if err != nil {
		return err
	}
	var e entry
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var te *trace.Error
			if !errors.As(err, &te) {
				return err
			}
			if err := emit(nil, err); err != nil {
				return err
			}
			continue
		}
		e = entry{at: int64(rec.Time), client: rec.Client, class: rec.Class, server: rec.Server,
			service: rec.Service, latency: rec.Latency, outcome: rec.Outcome}
		if err := emit(&e, nil); err != nil {
			return err
		}
	}
}
