package logimport

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

func init() {
	register(&Format{
		Name: "haproxy",
		Derives: "HAProxy's HTTP log format (option httplog), with or without a syslog prefix: " +
			"time = the request date in brackets (ms; read as UTC, only differences matter); " +
			"client = the client address without its port; server = the server name after the backend's '/'; " +
			"service = Tr, the server's response time (it includes the network to the server and back, " +
			"not the queue at HAProxy, which is Tw); latency = Ta (Tt in HAProxy before 1.7), the request's active time; " +
			"outcome = timeout when the termination state starts with 's' or the status is 504, " +
			"rejected for <NOSRV> (no server could take it), failed for a 5xx status or Tr -1, else ok. " +
			"A request HAProxy retried is one line: its server is the last one tried",
		line: haproxyLine,
	})
}

// haproxyLine reads one HTTP log line:
//
//	[syslog prefix] 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 ...
func haproxyLine(line []byte, e *entry) error {
	open := -1
	for i := bytes.IndexByte(line, '['); i >= 0; {
		if isHAProxyDate(line[i+1:]) {
			open = i
			break
		}
		j := bytes.IndexByte(line[i+1:], '[')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if open < 1 {
		return errors.New("no request date in brackets ([06/Feb/2009:12:14:14.655]): not an HTTP log line")
	}
	// The client address is the word before the date.
	head := bytes.TrimRight(line[:open], " ")
	client := head[bytes.LastIndexByte(head, ' ')+1:]
	if k := bytes.LastIndexByte(client, ':'); k > 0 {
		client = client[:k]
	}
	at, err := haproxyDate(line[open+1 : open+25])
	if err != nil {
		return err
	}
	rest := line[open+26:]
	var f [10][]byte
	n := 0
	for n < len(f) {
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) == 0 {
			break
		}
		k := bytes.IndexByte(rest, ' ')
		if k < 0 {
			k = len(rest)
		}
		f[n], rest = rest[:k], rest[k:]
		n++
	}
	// frontend backend/server timers status bytes cc cs tsc conns queues
	if n < 8 {
		return fmt.Errorf("%d fields after the date, want at least 8 (frontend, backend/server, timers, status, bytes, cookies, termination state): a TCP log or a custom format?", n)
	}
	slash := bytes.IndexByte(f[1], '/')
	if slash < 0 {
		return fmt.Errorf("%q is not backend/server", f[1])
	}
	server := f[1][slash+1:]
	var timers [5]int64
	ts := f[2]
	for k := range timers {
		end := bytes.IndexByte(ts, '/')
		if k == 4 {
			end = len(ts)
		} else if end < 0 {
			return fmt.Errorf("timers %q: want five, TR/Tw/Tc/Tr/Ta", f[2])
		}
		v, err := strconv.ParseInt(string(bytes.TrimPrefix(ts[:end], []byte("+"))), 10, 64)
		if err != nil || v < -1 {
			return fmt.Errorf("timers %q: want five numbers of ms (or -1), TR/Tw/Tc/Tr/Ta", f[2])
		}
		timers[k] = v
		if k < 4 {
			ts = ts[end+1:]
		}
	}
	status, err := strconv.Atoi(string(f[3]))
	if err != nil {
		return fmt.Errorf("status %q is not a number", f[3])
	}
	tsc := f[7]
	e.at = at
	e.client = string(client)
	e.server = string(server)
	tr, ta := timers[3], timers[4]
	if tr >= 0 {
		e.service = time.Duration(tr) * time.Millisecond
	}
	if ta >= 0 {
		e.latency = time.Duration(ta) * time.Millisecond
	}
	switch {
	case len(tsc) > 0 && tsc[0] == 's' || status == 504:
		e.outcome = "timeout"
	case string(server) == "<NOSRV>":
		e.outcome, e.server = "rejected", ""
	case status >= 500 || tr < 0:
		e.outcome = "failed"
	default:
		e.outcome = "ok"
	}
	return nil
}

// isHAProxyDate reports whether b starts with dd/Mon/yyyy:hh:mm:ss.mmm].
func isHAProxyDate(b []byte) bool {
	if len(b) < 25 || b[24] != ']' {
		return false
	}
	return b[2] == '/' && b[6] == '/' && b[11] == ':' && b[14] == ':' && b[17] == ':' && b[20] == '.'
}

var months = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

// haproxyDate reads dd/Mon/yyyy:hh:mm:ss.mmm as UTC, in ns.
func haproxyDate(b []byte) (int64, error) {
	num := func(s []byte) int {
		v := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	day, year, hh, mm, ss, ms := num(b[0:2]), num(b[7:11]), num(b[12:14]), num(b[15:17]), num(b[18:20]), num(b[21:24])
	mon, ok := months[string(b[3:6])]
	if !ok || day < 1 || day > 31 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 || ms < 0 {
		return 0, fmt.Errorf("date %q is not dd/Mon/yyyy:hh:mm:ss.mmm", b)
	}
	return time.Date(year, mon, day, hh, mm, ss, ms*int(time.Millisecond), time.UTC).UnixNano(), nil
}
