package proxy

// Request framing checked on the raw bytes, against request smuggling
// (RFC 9112 §6.3 and §11.2). Go's server accepts a request with both
// Content-Length and Transfer-Encoding: chunked and silently drops the
// Content-Length (net/http/transfer.go, fixLength), as RFC 9112 allows; a
// proxy in front of this one that framed the request by its Content-Length
// would then disagree with it on where the next request starts. nginx
// (>= 1.21.1) answers such a request 400 and closes the connection, and so
// does this proxy; the header the decision needs is gone by the time a
// handler sees the request, so the bytes are read as they pass.
//
// framer follows each connection's requests as Go's parser does (the
// request line's version, the framing headers, then the body: Content-Length
// bytes, or chunks with their extensions and trailers) to find where every
// request starts on a keep-alive connection, and notes the first request to
// refuse:
//
//   - Content-Length and Transfer-Encoding together, more than one
//     Transfer-Encoding line, Content-Length values that differ,
//     Transfer-Encoding in an HTTP/1.0 request (nginx refuses it: Go would
//     ignore it and frame by Content-Length), and obsolete line folding
//     (RFC 9112 §5.2 lets a server refuse it; Go folds it);
//   - anything it cannot follow (a malformed request line, header line,
//     Content-Length, chunk or trailer, an unsupported transfer coding, a head
//     longer than the server takes): it fails closed, refusing that request
//     and every later one on the connection. It is no more lenient than Go's
//     parser where that matters (Go rejects these too, and closes the
//     connection after a malformed body), so a well-formed connection is
//     never refused: FuzzFraming checks that it agrees with
//     net/http.ReadRequest on where requests end.
//
// The handler asks its connection for the verdict on the request it is
// serving (framingHandler): Go serves the requests of an HTTP/1 connection
// one at a time, in order, so the n-th call of the handler on a connection
// is its n-th request. Once a request is refused the connection closes after
// the answer, so the scanner stops there, and it stops when the connection is
// hijacked (an upgrade: the bytes are no longer HTTP).
//
// framingConn also keeps Config.ClientTimeout, an inactivity timeout like
// HAProxy's `timeout client`: while a request body is arriving, each read
// waits at most that long for the client's next bytes, and each write of the
// response at most that long for the client to take them. Go's own server
// timeouts are absolute (ReadTimeout for the whole request, WriteTimeout for
// the whole response), which would cut a large upload or download that is
// making progress.

import (
	"bytes"
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/realproxy/wire"
)

// A refusal's reason, as the 400 answer gives it.
type framingReason uint8

const (
	reasonNone framingReason = iota
	// Refused by choice: framing that two parsers may read differently.
	reasonCLAndTE
	reasonTEs
	reasonCLs
	reasonTE10
	reasonFold
	// Refused because the scanner could not follow (fail closed).
	reasonRequestLine
	reasonHeaderLine
	reasonContentLength
	reasonCoding
	reasonChunk
	reasonTooLong
	reasonUnseen
)

var framingReasons = [...]string{
	reasonNone:          "",
	reasonCLAndTE:       "Content-Length and Transfer-Encoding together (request smuggling?)",
	reasonTEs:           "more than one Transfer-Encoding",
	reasonCLs:           "Content-Length values that differ",
	reasonTE10:          "Transfer-Encoding in an HTTP/1.0 request",
	reasonFold:          "obsolete line folding in the header",
	reasonRequestLine:   "malformed request line (not HTTP/1.x)",
	reasonHeaderLine:    "malformed header line",
	reasonContentLength: "malformed Content-Length",
	reasonCoding:        "unsupported Transfer-Encoding (only chunked)",
	reasonChunk:         "malformed chunked body",
	reasonTooLong:       "request head too long",
	reasonUnseen:        "request framing not seen", // never: the handler runs after its head was read
}

func (r framingReason) String() string { return framingReasons[r] }

// deliberate reports whether r refuses framing the scanner understood, as
// opposed to framing it could not follow.
func (r framingReason) deliberate() bool { return r >= reasonCLAndTE && r <= reasonFold }

// Limits of what framer follows, as Go's server's: a chunk-size line fits
// its 4 KiB read buffer with its CRLF (net/http/internal/chunked.go), and so
// do trailers (transfer.go, seeUpcomingDoubleCRLF).
const (
	maxChunkLine = 4096 - 2
	maxTrailer   = 4096
)

// framer's states.
type framerState uint8

const (
	fsStart        framerState = iota // CR and LF before a request line (RFC 9112 §2.2)
	fsReqLine                         // the request line, to its LF
	fsLineStart                       // the first byte of a header line, or the empty line
	fsHeadCR                          // after the empty line's CR
	fsName                            // a header name, to its colon
	fsValue                           // an uninteresting header value, to its LF
	fsCL                              // a Content-Length value
	fsTE                              // a Transfer-Encoding value
	fsBody                            // Content-Length bytes of body
	fsChunkSize                       // a chunk's size, hex
	fsChunkExt                        // a chunk extension, to its CR
	fsChunkOWS                        // white space after a chunk's size
	fsChunkLF                         // the chunk-size line's LF
	fsChunkData                       // a chunk's data
	fsChunkCR                         // the CR after a chunk's data
	fsChunkDataLF                     // the LF after it
	fsTrailerStart                    // the first byte of a trailer line, or the empty line
	fsTrailerCR                       // after the empty line's CR
	fsTrailer                         // a trailer line, to its LF
	fsDone                            // refused or stopped: nothing more to follow
)

// Header names framer looks for, lower case.
const (
	nameCL = "content-length"
	nameTE = "transfer-encoding"
)

// framer follows the requests of one connection's byte stream (see the
// file's comment). It is not safe for concurrent use: the connection's
// reader feeds it.
type framer struct {
	limit int // the longest request head followed, bytes

	st    framerState
	off   int64         // bytes fed so far, those being fed included
	heads int64         // request heads read to their end
	bad   int64         // the first request to refuse; math.MaxInt64 = none
	why   framingReason // why bad is refused
	n     int           // bytes of the current head, chunk-size line or trailer

	// The request line.
	spaces int
	proto  [10]byte // after the second space; 10 = longer than "HTTP/1.1\r"
	protoN int
	minor  byte // HTTP/1.minor

	// The current header line.
	nameN     int
	isCL      bool   // the name so far matches nameCL
	isTE      bool   // ... nameTE
	cr        bool   // a CR was seen in the value: LF must follow
	digits    int    // digits so far of a Content-Length, or of a chunk's size
	val       uint64 // ... their value
	trailing  bool   // Content-Length: white space after the digits
	teN       int    // Transfer-Encoding: bytes of "chunked" matched
	teBad     bool   // ... the value is not "chunked"
	teStarted bool   // ... past the leading white space
	teWS      bool   // ... white space after the value began

	// The current request.
	cl        int64  // Content-Length; -1 = none
	teLines   int    // Transfer-Encoding lines
	teChunked bool   // the only Transfer-Encoding is chunked
	rem       uint64 // bytes of the body, or of the chunk, still to come

	// onEnd, if set, is called with the offset where each request ends (tests).
	onEnd func(end int64)
}

func newFramer(limit int) framer {
	return framer{limit: limit, bad: math.MaxInt64, cl: -1}
}

// inBody reports whether the framer is inside a request body.
func (f *framer) inBody() bool { return f.st >= fsBody && f.st <= fsTrailer }

// refuse refuses the current request (the one whose head is being read, or
// the next one if its head was read) and stops following.
func (f *framer) refuse(why framingReason) {
	f.bad, f.why, f.st = f.heads, why, fsDone
}

// feed follows p, the next bytes of the stream.
func (f *framer) feed(p []byte) {
	f.off += int64(len(p))
	for len(p) > 0 && f.st != fsDone {
		switch f.st {
		case fsStart:
			i := 0
			for i < len(p) && (p[i] == '\r' || p[i] == '\n') {
				i++
			}
			p = p[i:]
			f.head(i)
			if len(p) > 0 && f.st == fsStart {
				f.st = fsReqLine
			}

		case fsReqLine:
			line, rest, eol := cutLine(p)
			f.requestLine(line)
			p = rest
			if f.head(len(line)); !eol || f.st == fsDone {
				break
			}
			if f.head(1); f.st == fsDone {
				break
			}
			if f.minor = f.version(); f.minor == 0xff {
				f.refuse(reasonRequestLine)
				break
			}
			f.st = fsLineStart

		case fsLineStart:
			switch p[0] {
			case '\r':
				p = p[1:]
				f.st = fsHeadCR
				f.head(1)
			case '\n':
				p = p[1:]
				f.endHead(len(p))
			case ' ', '\t':
				f.refuse(reasonFold)
			default:
				f.nameN, f.isCL, f.isTE = 0, true, true
				f.st = fsName
			}

		case fsHeadCR:
			if p[0] != '\n' {
				f.refuse(reasonHeaderLine)
				break
			}
			p = p[1:]
			f.endHead(len(p))

		case fsName:
			p = f.name(p)

		case fsValue:
			// Go rejects the bytes a value must not hold (a CR, a NUL); only
			// where the line ends matters here, and both end it at its LF.
			line, rest, eol := cutLine(p)
			p = rest
			f.head(len(line))
			if eol && f.st != fsDone {
				f.head(1)
				f.st = fsLineStart
			}

		case fsCL:
			p = f.contentLength(p)

		case fsTE:
			p = f.transferEncoding(p)

		case fsBody:
			k := min(uint64(len(p)), f.rem)
			p = p[k:]
			if f.rem -= k; f.rem == 0 {
				f.endRequest(len(p))
			}

		case fsChunkSize:
			p = f.chunkSize(p)

		case fsChunkExt:
			// Go ignores an extension's syntax; the line must end in CRLF
			// with no other CR or LF in it.
			i := 0
			for i < len(p) && p[i] != '\r' && p[i] != '\n' {
				i++
			}
			p = p[i:]
			if f.chunkLine(i); len(p) == 0 || f.st == fsDone {
				break
			}
			if p[0] == '\n' {
				f.refuse(reasonChunk)
				break
			}
			p = p[1:]
			f.st = fsChunkLF
			f.chunkLine(1)

		case fsChunkOWS:
			switch p[0] {
			case ' ', '\t':
			case '\r':
				f.st = fsChunkLF
			default:
				f.refuse(reasonChunk)
				continue
			}
			p = p[1:]
			f.chunkLine(1)

		case fsChunkLF:
			if p[0] != '\n' {
				f.refuse(reasonChunk)
				break
			}
			p = p[1:]
			f.n = 0
			if f.val == 0 {
				f.st = fsTrailerStart
			} else {
				f.rem, f.st = f.val, fsChunkData
			}

		case fsChunkData:
			k := min(uint64(len(p)), f.rem)
			p = p[k:]
			if f.rem -= k; f.rem == 0 {
				f.st = fsChunkCR
			}

		case fsChunkCR:
			if p[0] != '\r' {
				f.refuse(reasonChunk)
				break
			}
			p = p[1:]
			f.st = fsChunkDataLF

		case fsChunkDataLF:
			if p[0] != '\n' {
				f.refuse(reasonChunk)
				break
			}
			p = p[1:]
			f.st, f.digits, f.val, f.n = fsChunkSize, 0, 0, 0

		case fsTrailerStart:
			switch p[0] {
			case '\r':
				p = p[1:]
				f.st = fsTrailerCR
				f.trailer(1)
			case '\n':
				p = p[1:]
				f.endRequest(len(p))
			default:
				f.st = fsTrailer
			}

		case fsTrailerCR:
			if p[0] != '\n' {
				f.refuse(reasonChunk)
				break
			}
			p = p[1:]
			f.endRequest(len(p))

		case fsTrailer:
			line, rest, eol := cutLine(p)
			p = rest
			f.trailer(len(line))
			if eol && f.st != fsDone {
				f.trailer(1)
				f.st = fsTrailerStart
			}
		}
	}
}

// head counts k more bytes of the request head, refusing a head longer than
// the limit.
func (f *framer) head(k int) {
	if f.n += k; f.n > f.limit {
		f.refuse(reasonTooLong)
	}
}

// chunkLine counts k more bytes of a chunk-size line.
func (f *framer) chunkLine(k int) {
	if f.n += k; f.n > maxChunkLine {
		f.refuse(reasonChunk)
	}
}

// trailer counts k more bytes of the trailer section.
func (f *framer) trailer(k int) {
	if f.n += k; f.n > maxTrailer {
		f.refuse(reasonChunk)
	}
}

// name follows a header name to its colon, noting whether it is one of the
// framing headers (case-insensitive). A name is a token: Go's server rejects
// any other byte (a space before the colon included).
func (f *framer) name(p []byte) []byte {
	i := 0
	for ; i < len(p) && p[i] != ':'; i++ {
		c := p[i]
		if !tokenByte[c] {
			f.refuse(reasonHeaderLine)
			return nil
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		f.isCL = f.isCL && f.nameN < len(nameCL) && nameCL[f.nameN] == c
		f.isTE = f.isTE && f.nameN < len(nameTE) && nameTE[f.nameN] == c
		f.nameN++
	}
	if f.head(i); i == len(p) || f.st == fsDone {
		return nil // the name goes on in the next read
	}
	if f.head(1); f.st == fsDone {
		return nil
	}
	f.cr = false
	switch {
	case f.nameN == 0:
		f.refuse(reasonHeaderLine)
	case f.isCL && f.nameN == len(nameCL):
		f.digits, f.trailing, f.val = 0, false, 0
		f.st = fsCL
	case f.isTE && f.nameN == len(nameTE):
		f.teN, f.teBad, f.teStarted, f.teWS = 0, false, false, false
		f.st = fsTE
	default:
		f.st = fsValue
	}
	return p[i+1:]
}

// chunkSize follows a chunk's size: 1 to 16 hex digits (Go's limit), then
// an extension, white space or the line's CRLF.
func (f *framer) chunkSize(p []byte) []byte {
	i := 0
	for ; i < len(p); i++ {
		d := unhex(p[i])
		if d < 0 {
			break
		}
		if f.digits == 16 {
			f.refuse(reasonChunk)
			return nil
		}
		f.val = f.val<<4 | uint64(d)
		f.digits++
	}
	p = p[i:]
	if f.chunkLine(i); len(p) == 0 || f.st == fsDone {
		return p
	}
	if f.digits == 0 {
		f.refuse(reasonChunk)
		return nil
	}
	switch p[0] {
	case ';':
		f.st = fsChunkExt
	case ' ', '\t': // Go trims white space at the line's end, before cutting off an extension
		f.st = fsChunkOWS
	case '\r':
		f.st = fsChunkLF
	default:
		f.refuse(reasonChunk)
		return nil
	}
	f.chunkLine(1)
	return p[1:]
}

// cutLine returns p up to its first LF, what follows the LF, and whether
// there was one.
func cutLine(p []byte) (line, rest []byte, eol bool) {
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		return p[:i], p[i+1:], true
	}
	return p, nil, false
}

// requestLine follows a piece of the request line. Go splits it at its
// first two spaces (net/http/request.go, parseRequestLine): what follows the
// second is the version.
func (f *framer) requestLine(b []byte) {
	for f.spaces < 2 {
		i := bytes.IndexByte(b, ' ')
		if i < 0 {
			return
		}
		f.spaces++
		b = b[i+1:]
	}
	for _, c := range b {
		if f.protoN == len(f.proto) {
			return
		}
		f.proto[f.protoN] = c
		f.protoN++
	}
}

// version returns the request's HTTP/1 minor version, or 0xff if the request
// line is not Go's "METHOD TARGET HTTP/1.d" (Go reads HTTP/1.2 to HTTP/1.9 as
// 1.1; it rejects other versions, and answers "PRI * HTTP/2.0" only to close
// the connection).
func (f *framer) version() byte {
	p := f.proto[:f.protoN]
	if len(p) > 0 && p[len(p)-1] == '\r' { // bufio.Reader.ReadLine drops a CR before the LF
		p = p[:len(p)-1]
	}
	if f.spaces < 2 || len(p) != len("HTTP/1.1") || string(p[:7]) != "HTTP/1." || p[7] < '0' || p[7] > '9' {
		return 0xff
	}
	return p[7] - '0'
}

// contentLength follows a Content-Length value: white space, decimal digits
// (Go's strconv.ParseUint(v, 10, 63)), white space, then the line's end.
func (f *framer) contentLength(p []byte) []byte {
	for i, c := range p {
		if f.cr && c != '\n' {
			f.refuse(reasonHeaderLine)
			return nil
		}
		switch {
		case c == ' ' || c == '\t':
			f.trailing = f.digits > 0
		case '0' <= c && c <= '9':
			if f.trailing || f.val > (math.MaxInt64-uint64(c-'0'))/10 {
				f.refuse(reasonContentLength)
				return nil
			}
			f.val = f.val*10 + uint64(c-'0')
			f.digits++
		case c == '\r':
			f.cr = true
		case c == '\n':
			if f.head(i + 1); f.st == fsDone {
				return nil
			}
			if f.digits == 0 {
				f.refuse(reasonContentLength)
				return nil
			}
			if v := int64(f.val); f.cl >= 0 && f.cl != v {
				f.refuse(reasonCLs)
				return nil
			} else {
				f.cl = v
			}
			f.st = fsLineStart
			return p[i+1:]
		default:
			f.refuse(reasonContentLength)
			return nil
		}
	}
	f.head(len(p))
	return nil
}

// transferEncoding follows a Transfer-Encoding value: Go takes only
// "chunked", in any case, with white space around it (textproto trims it).
func (f *framer) transferEncoding(p []byte) []byte {
	const chunked = "chunked"
	for i, c := range p {
		if f.cr && c != '\n' {
			f.refuse(reasonHeaderLine)
			return nil
		}
		switch c {
		case '\n':
			if f.head(i + 1); f.st == fsDone {
				return nil
			}
			f.teLines++
			f.teChunked = !f.teBad && f.teN == len(chunked)
			f.st = fsLineStart
			return p[i+1:]
		case '\r':
			f.cr = true
		case ' ', '\t':
			f.teWS = f.teStarted
		default:
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if f.teWS || f.teN == len(chunked) || chunked[f.teN] != c {
				f.teBad = true
			} else {
				f.teN++
			}
			f.teStarted = true
		}
	}
	f.head(len(p))
	return nil
}

// endHead is the end of a request's head, rem bytes before the end of
// those being fed: refuse the request, or follow its body.
func (f *framer) endHead(rem int) {
	switch {
	case f.teLines > 0 && f.cl >= 0:
		f.refuse(reasonCLAndTE)
		return
	case f.teLines > 1:
		f.refuse(reasonTEs)
		return
	case f.teLines == 1 && f.minor == 0:
		f.refuse(reasonTE10)
		return
	case f.teLines == 1 && !f.teChunked:
		f.refuse(reasonCoding)
		return
	}
	f.heads++
	switch {
	case f.teChunked:
		f.st, f.digits, f.val, f.n = fsChunkSize, 0, 0, 0
	case f.cl > 0:
		f.rem, f.st = uint64(f.cl), fsBody
	default:
		f.endRequest(rem)
	}
}

// endRequest is the end of a request, rem bytes before the end of those
// being fed.
func (f *framer) endRequest(rem int) {
	if f.onEnd != nil {
		f.onEnd(f.off - int64(rem))
	}
	f.st, f.n, f.spaces, f.protoN = fsStart, 0, 0, 0
	f.cl, f.teLines, f.teChunked = -1, 0, false
}

// unhex returns the value of hex digit c, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// tokenByte reports the bytes of an HTTP token (RFC 9110 §5.6.2): a header
// name's.
var tokenByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// framingListener is the server's listener: its connections follow their
// requests' framing and keep the client inactivity timeout.
type framingListener struct {
	net.Listener
	limit int           // the longest request head followed
	idle  time.Duration // Config.ClientTimeout
}

func (l framingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	fc := &framingConn{Conn: c, f: newFramer(l.limit), idle: l.idle}
	fc.bad.Store(math.MaxInt64)
	return fc, nil
}

// framingConn is a client connection whose bytes framer follows as the
// server reads them. The server reads a connection from one goroutine at a
// time (its background read included); its handler asks for verdicts from
// another.
type framingConn struct {
	net.Conn
	f    framer        // the reader's
	idle time.Duration // the client inactivity timeout; 0 = none

	heads   atomic.Int64  // f.heads, for the handler
	bad     atomic.Int64  // f.bad, for the handler
	why     atomic.Uint32 // f.why, stored before bad
	served  atomic.Int64  // the handler's calls so far
	stopped atomic.Bool   // hijacked: no more following, no inactivity timeout
	armed   atomic.Bool   // a read inactivity deadline is set

	mu        sync.Mutex // guards the deadlines
	readDL    time.Time  // the server's own read deadline
	writeDL   time.Time  // ... and write deadline
	readIdle  time.Time  // the inactivity deadline for reads; zero = none
	writeIdle time.Time  // ... for writes
}

func (c *framingConn) Read(p []byte) (int, error) {
	if c.idle > 0 {
		c.armRead()
	}
	n, err := c.Conn.Read(p)
	if n > 0 && c.f.st != fsDone && !c.stopped.Load() {
		c.f.feed(p[:n])
		c.heads.Store(c.f.heads)
		if c.f.st == fsDone {
			c.why.Store(uint32(c.f.why))
			c.bad.Store(c.f.bad)
		}
	}
	return n, err
}

// armRead sets the deadline of the next read: the server's own, and within
// a request body the inactivity timeout from now (between requests the
// server's idle and read-header timeouts apply; a body is what its absolute
// ReadTimeout would cut).
func (c *framingConn) armRead() {
	body := c.f.inBody() && !c.stopped.Load()
	if !body && !c.armed.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readIdle = time.Time{}
	if body {
		c.readIdle = time.Now().Add(c.idle)
	}
	c.armed.Store(body)
	c.Conn.SetReadDeadline(earliest(c.readDL, c.readIdle))
}

// Write gives the client the inactivity timeout to take p.
func (c *framingConn) Write(p []byte) (int, error) {
	if c.idle > 0 && !c.stopped.Load() {
		c.mu.Lock()
		c.writeIdle = time.Now().Add(c.idle)
		c.Conn.SetWriteDeadline(earliest(c.writeDL, c.writeIdle))
		c.mu.Unlock()
	}
	return c.Conn.Write(p)
}

// The server's deadlines are kept, and combined with the inactivity ones:
// it sets them per request, and sets one in the past to interrupt a read,
// which must not be undone.

func (c *framingConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDL = t
	return c.Conn.SetReadDeadline(earliest(t, c.readIdle))
}

func (c *framingConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeDL = t
	return c.Conn.SetWriteDeadline(earliest(t, c.writeIdle))
}

func (c *framingConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDL, c.writeDL = t, t
	if err := c.Conn.SetReadDeadline(earliest(t, c.readIdle)); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(earliest(t, c.writeIdle))
}

// CloseWrite lets the server half-close before it closes (closeWriteAndWait),
// so that a client still sending gets the answer rather than a reset.
func (c *framingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// stop is called when the connection is hijacked: what follows is no longer
// HTTP, and a tunnel has no inactivity timeout (as before it was hijacked,
// the server's deadlines, which hijacking clears, are the only ones).
func (c *framingConn) stop() {
	c.stopped.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readIdle, c.writeIdle = time.Time{}, time.Time{}
	c.armed.Store(false)
	c.Conn.SetReadDeadline(c.readDL)
	c.Conn.SetWriteDeadline(c.writeDL)
}

// verdict is called by the handler once for each request of the connection,
// in order: it returns why the request is refused, or reasonNone.
func (c *framingConn) verdict() framingReason {
	n := c.served.Add(1) - 1
	if n >= c.bad.Load() {
		return framingReason(c.why.Load())
	}
	if n >= c.heads.Load() {
		return reasonUnseen // fail closed
	}
	return reasonNone
}

// earliest returns the earlier of two deadlines, zero being none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// framingConnKey is the connection context's key of its *framingConn.
type framingConnKey struct{}

// connContext is the server's ConnContext: the handler finds the
// connection's verdicts in its requests' context.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if fc, ok := c.(*framingConn); ok {
		return context.WithValue(ctx, framingConnKey{}, fc)
	}
	return ctx
}

// connState is the server's ConnState hook.
func connState(c net.Conn, s http.ConnState) {
	if fc, ok := c.(*framingConn); ok && s == http.StateHijacked {
		fc.stop()
	}
}

// framingHandler is the server's handler: it refuses a request its
// connection's framer refused, before anything is picked or forwarded.
type framingHandler struct{ next http.Handler }

func (h framingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c, ok := r.Context().Value(framingConnKey{}).(*framingConn); ok {
		if why := c.verdict(); why != reasonNone {
			refuseFraming(w, why)
			return
		}
	}
	if r.Method == http.MethodConnect {
		// A reverse proxy forwards to its own backends; a CONNECT asks it
		// to open a tunnel to wherever the client names, which it must
		// not (forwarded, the backend would get a request for
		// "host:port"). nginx refuses it likewise.
		h := w.Header()
		h.Set("Allow", "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE")
		h.Set("Connection", "close")
		h.Set(wire.Error, "bad-request")
		http.Error(w, "CONNECT is not proxied: this is a reverse proxy", http.StatusMethodNotAllowed)
		return
	}
	if r.Method == http.MethodOptions && r.RequestURI == "*" {
		// The server answers this itself unless told not to, without
		// calling the handler, which would lose the count of requests; it
		// is answered here as the server would (its globalOptionsHandler).
		w.Header().Set("Content-Length", "0")
		if r.ContentLength != 0 {
			io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 4<<10))
		}
		return
	}
	h.next.ServeHTTP(w, r)
}

// refuseFraming answers 400 and closes the connection, the request's body
// unread: where the next request would start is in doubt.
func refuseFraming(w http.ResponseWriter, why framingReason) {
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(wire.Error, "bad-request")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, "bad request: "+why.String()+"\n")
}
