package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// framed is what a framer made of a stream: where each request ended, and
// the first request it refused and why.
type framed struct {
	ends []int64
	bad  int64 // -1 = none
	why  framingReason
}

func (r framed) String() string {
	return fmt.Sprintf("ends %v, refused %d (%s)", r.ends, r.bad, r.why)
}

// frame feeds in to a framer in pieces of at most size bytes (0 = at once).
func frame(in []byte, size int, limit int) framed {
	f := newFramer(limit)
	var r framed
	f.onEnd = func(end int64) { r.ends = append(r.ends, end) }
	if size <= 0 {
		size = len(in) + 1
	}
	for p := in; len(p) > 0; {
		k := min(size, len(p))
		f.feed(p[:k])
		p = p[k:]
	}
	r.bad = -1
	if f.bad != math.MaxInt64 {
		r.bad, r.why = f.bad, f.why
	}
	return r
}

func sameFramed(a, b framed) bool {
	return slices.Equal(a.ends, b.ends) && a.bad == b.bad && a.why == b.why
}

// The requests of the table's streams.
const (
	getA     = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	getB     = "GET /b?q=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n"
	postCL   = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
	postTE   = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"q;x\"\r\nhello\r\nA\r\n0123456789\r\n0;last\r\nX-Sum: 1\r\nY: 2\r\n\r\n"
	smuggled = "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
)

func TestFramer(t *testing.T) {
	for _, c := range []struct {
		name string
		reqs []string // well-framed requests, in order
		tail string   // what follows them
		bad  int64    // the request refused; -1 = none
		why  framingReason
	}{
		{"one GET", []string{getA}, "", -1, 0},
		{"pipelined", []string{getA, getB, getA}, "", -1, 0},
		{"Content-Length body", []string{postCL, getA}, "", -1, 0},
		{"chunked, extensions and trailers", []string{postTE, getB}, "", -1, 0},
		{"chunked, upper case", []string{"PUT / HTTP/1.1\r\nHost: x\r\ntransfer-encoding:  Chunked \r\n\r\nFF;a=b \r\n" + strings.Repeat("z", 255) + "\r\n000\r\n\r\n"}, "", -1, 0},
		{"chunked, white space after the size", []string{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 \t\r\nabc\r\n0\r\n\r\n"}, "", -1, 0},
		{"trailer lines end in LF", []string{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\n", getA}, "", -1, 0},
		{"empty trailer ends in LF", []string{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n", getA}, "", -1, 0},
		{"head lines end in LF", []string{"GET / HTTP/1.1\nHost: x\nContent-Length: 2\n\nok", getA}, "", -1, 0},
		{"CRLF between requests", []string{postCL, "\r\n" + getA, "\r\n\r\n" + getB}, "", -1, 0},
		{"names in any case", []string{"POST / HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 3\r\n\r\nabc", getA}, "", -1, 0},
		{"the same Content-Length twice", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length:3 \r\n\r\nabc", getA}, "", -1, 0},
		{"Content-Length with leading zeros", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 003\r\n\r\nabc"}, "", -1, 0},
		{"Content-Length: 0", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", getA}, "", -1, 0},
		{"look-alike names", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Lengthy: 5\r\nX-Transfer-Encoding: chunked\r\nContent-Lengt: 1\r\n\r\n", getA}, "", -1, 0},
		{"HTTP/1.2 is 1.1", []string{"POST / HTTP/1.2\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}, "", -1, 0},
		{"HTTP/1.0", []string{"GET / HTTP/1.0\r\nContent-Length: 1\r\n\r\nz"}, "", -1, 0},
		{"a body that looks like a request", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 32\r\n\r\n" + smuggled}, "", -1, 0},
		{"an incomplete body", nil, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", -1, 0},

		{"Content-Length then Transfer-Encoding", nil, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 0, reasonCLAndTE},
		{"Transfer-Encoding then Content-Length", []string{getA}, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + smuggled, 1, reasonCLAndTE},
		{"Transfer-Encoding twice", nil, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, reasonTEs},
		{"Content-Lengths that differ", nil, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc", 0, reasonCLs},
		{"Transfer-Encoding in HTTP/1.0", nil, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 0, reasonCLAndTE},
		{"only Transfer-Encoding in HTTP/1.0", nil, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, reasonTE10},
		{"obsolete line folding", nil, "POST / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Transfer-Encoding: chunked\r\n\r\n", 0, reasonFold},
		{"a folded Transfer-Encoding", nil, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\tchunked\r\n\r\n", 0, reasonFold},

		{"another transfer coding", nil, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 0, reasonCoding},
		{"codings listed", nil, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, reasonCoding},
		{"chunked, split", nil, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chun ked\r\n\r\n", 0, reasonCoding},
		{"a space before the colon", nil, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n", 0, reasonHeaderLine},
		{"no colon", []string{getA}, "GET / HTTP/1.1\r\nHost x\r\n\r\n", 1, reasonHeaderLine},
		{"an empty name", nil, "GET / HTTP/1.1\r\n: x\r\n\r\n", 0, reasonHeaderLine},
		{"a CR alone ends no head", nil, "GET / HTTP/1.1\r\nHost: x\r\n\rGET / HTTP/1.1\r\n\r\n", 0, reasonHeaderLine},
		{"a CR inside Content-Length", nil, "POST / HTTP/1.1\r\nContent-Length: 5\r5\r\n\r\n", 0, reasonHeaderLine},
		{"Content-Length not a number", nil, "POST / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n", 0, reasonContentLength},
		{"Content-Length empty", nil, "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", 0, reasonContentLength},
		{"Content-Length of two numbers", nil, "POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n", 0, reasonContentLength},
		{"Content-Length listed", nil, "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 0, reasonContentLength},
		{"Content-Length signed", nil, "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 0, reasonContentLength},
		{"Content-Length beyond 2^63-1", nil, "POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", 0, reasonContentLength},
		{"HTTP/2.0", nil, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, reasonRequestLine},
		{"HTTP/0.9", nil, "GET /\r\n", 0, reasonRequestLine},
		{"two spaces", nil, "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 0, reasonRequestLine},
		{"a version too long", nil, "GET / HTTP/1.10\r\nHost: x\r\n\r\n", 0, reasonRequestLine},
		{"garbage after an upgrade", []string{"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"}, "\x81\x05hello\r\n", 1, reasonRequestLine},
		{"a head too long", nil, "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 1100) + "\r\n\r\n", 0, reasonTooLong},
		{"a line too long", nil, "GET /" + strings.Repeat("a", 2000), 0, reasonTooLong},

		{"a chunk size line ending in LF", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 1, reasonChunk},
		{"an extension line ending in LF", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x\nhello\r\n0\r\n\r\n", 1, reasonChunk},
		{"a space before an extension", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\n", 1, reasonChunk},
		{"a space before the size", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 1, reasonChunk},
		{"no size", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n", 1, reasonChunk},
		{"a size of 17 digits", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n", 1, reasonChunk},
		{"data longer than its size", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello!\r\n0\r\n\r\n", 1, reasonChunk},
		{"a chunk ending in LF", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 1, reasonChunk},
		{"a CR alone after the trailer", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX", 1, reasonChunk},
		{"an extension too long", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + strings.Repeat("e", maxChunkLine) + "\r\nz\r\n0\r\n\r\n", 1, reasonChunk},
		{"a trailer too long", nil, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + strings.Repeat("t", maxTrailer) + "\r\n\r\n", 1, reasonChunk},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := strings.Join(c.reqs, "") + c.tail
			want := framed{bad: c.bad, why: c.why}
			off := int64(0)
			for _, r := range c.reqs {
				off += int64(len(r))
				want.ends = append(want.ends, off)
			}
			if c.bad < 0 {
				want.why = reasonNone
			}
			for _, size := range []int{0, 1, 2, 7} {
				if got := frame([]byte(in), size, 1024); !sameFramed(got, want) {
					t.Errorf("fed in pieces of %d: %v, want %v", size, got, want)
				}
			}
		})
	}
}

// Every split of a stream in two gives what feeding it at once does.
func TestFramerSplits(t *testing.T) {
	in := []byte(postTE + postCL + "\r\n" + getB + "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
	want := frame(in, 0, 1024)
	if len(want.ends) != 3 || want.bad != 3 || want.why != reasonCLAndTE {
		t.Fatalf("at once: %v", want)
	}
	for i := range in {
		f := newFramer(1024)
		var got framed
		f.onEnd = func(end int64) { got.ends = append(got.ends, end) }
		f.feed(in[:i])
		f.feed(in[i:])
		got.bad, got.why = f.bad, f.why
		if !sameFramed(got, want) {
			t.Fatalf("split at %d: %v, want %v", i, got, want)
		}
	}
}

// The connection publishes its framer's verdicts to the handler, request by
// request, and stops when hijacked.
func TestFramingConnVerdicts(t *testing.T) {
	checkLeaks(t)
	server, client := net.Pipe()
	defer client.Close()
	ln := framingListener{Listener: &oneConnListener{c: server}, limit: 1024}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fc := c.(*framingConn)
	go client.Write([]byte(getA + getB + "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"))
	buf := make([]byte, 4096)
	for fc.heads.Load() < 2 || fc.bad.Load() == math.MaxInt64 {
		if _, err := fc.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []framingReason{reasonNone, reasonNone, reasonCLAndTE, reasonCLAndTE} {
		if got := fc.verdict(); got != want {
			t.Errorf("request %d: %q, want %q", i, got, want)
		}
	}

	// Hijacked: nothing more is followed.
	server2, client2 := net.Pipe()
	defer client2.Close()
	ln.Listener = &oneConnListener{c: server2}
	c2, _ := ln.Accept()
	defer c2.Close()
	fc2 := c2.(*framingConn)
	connState(fc2, http.StateHijacked)
	go client2.Write([]byte("not http at all\r\n\r\n"))
	if _, err := fc2.Read(buf); err != nil {
		t.Fatal(err)
	}
	if fc2.bad.Load() != math.MaxInt64 || fc2.f.off != 0 {
		t.Errorf("hijacked connection still followed: bad %d after %d bytes", fc2.bad.Load(), fc2.f.off)
	}
}

// oneConnListener accepts c, then nothing.
type oneConnListener struct {
	net.Listener
	c net.Conn
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if l.c == nil {
		return nil, net.ErrClosed
	}
	c := l.c
	l.c = nil
	return c, nil
}

// goFramed reads in as Go's server does (net/http.ReadRequest, then the
// body, with the server's own checks after reading a head), returning where
// each request it accepted ends and the heads of those requests. It stops at
// the first request the server would refuse or whose body it could not read:
// the server closes the connection there.
func goFramed(in []byte) (ends []int64, heads [][]byte) {
	src := bytes.NewReader(in)
	br := bufio.NewReaderSize(src, 4096) // the server's: its limits are the buffer's
	consumed := func() int64 { return int64(len(in)-src.Len()) - int64(br.Buffered()) }
	lastMethod := ""
	for {
		if lastMethod == http.MethodPost { // the server's tolerance (server.go, readRequest)
			peek, _ := br.Peek(4)
			n := 0
			for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
				n++
			}
			br.Discard(n)
		}
		start := consumed()
		req, err := http.ReadRequest(br)
		if err != nil || req.ProtoMajor != 1 || consumed()-start > maxHeaderBytes {
			return
		}
		for k, vv := range req.Header {
			if !httpguts.ValidHeaderFieldName(k) {
				return
			}
			for _, v := range vv {
				if !httpguts.ValidHeaderFieldValue(v) {
					return
				}
			}
		}
		head := in[start:consumed()]
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		ends = append(ends, consumed())
		heads = append(heads, head)
		lastMethod = req.Method
	}
}

// holds reports whether a refusal for why is true of a request whose head,
// as Go read it, begins head (it may run on into the body).
func holds(why framingReason, head []byte) bool {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(head)))
	line, err := tp.ReadLine()
	if err != nil {
		return false
	}
	h, _ := tp.ReadMIMEHeader()
	te, cl := h["Transfer-Encoding"], h["Content-Length"]
	switch why {
	case reasonCLAndTE:
		return len(te) > 0 && len(cl) > 0
	case reasonTEs:
		return len(te) > 1
	case reasonCLs:
		return len(cl) > 1 && slices.ContainsFunc(cl, func(v string) bool {
			return strings.TrimLeft(strings.TrimSpace(v), "0") != strings.TrimLeft(strings.TrimSpace(cl[0]), "0")
		})
	case reasonTE10:
		return len(te) > 0 && strings.HasSuffix(line, "HTTP/1.0")
	case reasonFold:
		end := bytes.Index(head, []byte("\n\r\n"))
		if e := bytes.Index(head, []byte("\n\n")); e >= 0 && (end < 0 || e < end) {
			end = e
		}
		return end >= 0 && (bytes.Contains(head[:end], []byte("\n ")) || bytes.Contains(head[:end], []byte("\n\t")))
	}
	return false
}

// FuzzFraming checks that the framer never panics, that how its input is cut
// into reads does not matter, and that it agrees with Go's parser on where
// every request the server accepts ends: it may refuse one (deliberately:
// the refusal must be true of it; or because it cannot follow it, only where
// Go's server refuses it too), never end it elsewhere.
func FuzzFraming(f *testing.F) {
	for _, s := range []string{
		getA, getA + getB, postCL + getA, postTE + getB, postCL + "\r\n" + getA,
		"GET / HTTP/1.1\nHost: x\n\n",
		"POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\nContent-Length: 1\r\n\r\nz" + getA,
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\nT: 1\n\n" + getA,
		"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 03\r\n\r\nabc",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = maxHeaderBytes + 8<<10
		got := frame(in, 0, limit)
		for _, size := range []int{1, 3, len(in)/2 + 1} {
			if other := frame(in, size, limit); !sameFramed(other, got) {
				t.Fatalf("fed in pieces of %d: %v; at once: %v", size, other, got)
			}
		}
		ends, heads := goFramed(in)
		for i, end := range ends {
			switch {
			case got.bad >= 0 && int64(i) >= got.bad:
				if int64(i) == got.bad && !got.why.deliberate() {
					t.Fatalf("request %d (%q) refused (%s), which Go's server accepts", i, heads[i], got.why)
				}
				if int64(i) == got.bad && !holds(got.why, heads[i]) {
					t.Fatalf("request %d (%q) refused (%s), which is not true of it", i, heads[i], got.why)
				}
				return
			case i >= len(got.ends):
				t.Fatalf("request %d ends at %d for Go, not for the framer: %v", i, end, got)
			case got.ends[i] != end:
				t.Fatalf("request %d ends at %d for Go, at %d for the framer: %v", i, end, got.ends[i], got)
			}
		}
	})
}

// BenchmarkFraming measures the framer on the hot path: a browser's GET
// (one read per request), the same in 64-byte reads, and bodies of 64 KiB
// framed by Content-Length and by 1 KiB chunks.
func BenchmarkFraming(b *testing.B) {
	get := "GET /index.html?user=42&lang=en HTTP/1.1\r\nHost: www.example.com\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
		"Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"Cookie: fulcrum_session=0123456789abcdef0123456789abcdef\r\nConnection: keep-alive\r\n\r\n"
	body := strings.Repeat("x", 64<<10)
	cl := fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	var chunked strings.Builder
	chunked.WriteString("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	for i := 0; i < len(body); i += 1 << 10 {
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", 1<<10, body[i:i+1<<10])
	}
	chunked.WriteString("0\r\n\r\n")
	for _, c := range []struct {
		name string
		req  string
		read int
	}{
		{"get", get, 0},
		{"get-64B-reads", get, 64},
		{"cl-64KiB", cl, 32 << 10},
		{"chunked-64KiB", chunked.String(), 32 << 10},
	} {
		b.Run(c.name, func(b *testing.B) {
			in := []byte(c.req)
			read := c.read
			if read == 0 {
				read = len(in)
			}
			f := newFramer(maxHeadFollowed)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				for p := in; len(p) > 0; {
					k := min(read, len(p))
					f.feed(p[:k])
					p = p[k:]
				}
			}
			if f.bad != math.MaxInt64 || f.heads == 0 {
				b.Fatalf("refused: %s", f.why)
			}
		})
	}
}
