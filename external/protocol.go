package external

// The wire format: the engine's messages, appended to a buffer without
// allocating, and the process's answers, parsed. PROTOCOL.md is the spec.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fulcrum-lb/fulcrum/algorithms"
)

// ProtocolVersion is the version of the line protocol this engine speaks,
// sent in init and expected back in hello. A later version may add
// messages; a process is told the version and must refuse one it does not
// know (by answering {"error": ...}).
const ProtocolVersion = 1

// seedBits: the seed is drawn from 53 bits, so that every JSON parser
// (JavaScript's included, whose numbers are doubles) reads it exactly.
const seedBits = 53

func appendInit(dst []byte, seed uint64, params []byte) []byte {
	dst = append(dst, `{"type":"init","version":`...)
	dst = strconv.AppendInt(dst, ProtocolVersion, 10)
	dst = append(dst, `,"seed":`...)
	dst = strconv.AppendUint(dst, seed, 10)
	dst = append(dst, `,"params":`...)
	dst = append(dst, params...)
	return append(dst, "}\n"...)
}

func appendUpdate(dst []byte, now time.Duration, backends []algorithms.Backend) []byte {
	dst = append(dst, `{"type":"update","now":`...)
	dst = strconv.AppendInt(dst, int64(now), 10)
	dst = append(dst, `,"backends":[`...)
	for i, b := range backends {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = strconv.AppendInt(dst, int64(b.ID), 10)
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, b.Name)
		dst = append(dst, `,"weight":`...)
		dst = strconv.AppendFloat(dst, b.Weight, 'g', -1, 64) // finite: Update checked
		dst = append(dst, `,"healthy":`...)
		dst = strconv.AppendBool(dst, b.Healthy)
		dst = append(dst, '}')
	}
	return append(dst, "]}\n"...)
}

func appendStarted(dst []byte, id int, now time.Duration) []byte {
	dst = append(dst, `{"type":"started","id":`...)
	dst = strconv.AppendInt(dst, int64(id), 10)
	dst = append(dst, `,"now":`...)
	dst = strconv.AppendInt(dst, int64(now), 10)
	return append(dst, "}\n"...)
}

func appendFinished(dst []byte, id int, now, latency time.Duration, ok bool) []byte {
	dst = append(dst, `{"type":"finished","id":`...)
	dst = strconv.AppendInt(dst, int64(id), 10)
	dst = append(dst, `,"now":`...)
	dst = strconv.AppendInt(dst, int64(now), 10)
	dst = append(dst, `,"latency":`...)
	dst = strconv.AppendInt(dst, int64(latency), 10)
	dst = append(dst, `,"ok":`...)
	dst = strconv.AppendBool(dst, ok)
	return append(dst, "}\n"...)
}

// appendPick writes the key as a decimal string: it is a uint64, which
// parsers that read numbers as doubles would round.
func appendPick(dst []byte, req algorithms.Request) []byte {
	dst = append(dst, `{"type":"pick","now":`...)
	dst = strconv.AppendInt(dst, int64(req.Now), 10)
	dst = append(dst, `,"key":"`...)
	dst = strconv.AppendUint(dst, req.Key, 10)
	return append(dst, "\"}\n"...)
}

// appendString appends s as a JSON string. Backend names are scenario
// strings, almost always plain ASCII; anything else goes through
// encoding/json, which also replaces invalid UTF-8 (the protocol is UTF-8).
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// answer is a process's reply to a pick: exactly one of an id, none, or
// an error of its own.
type answer struct {
	id   int
	none bool
}

// errGarbage is wrapped by parseAnswer's errors for lines that are not a
// valid answer.
var errGarbage = errors.New("not a valid answer")

// strategyError is a process's own {"error": "..."} message.
type strategyError string

func (e strategyError) Error() string { return string(e) }

// parseAnswer reads one answer line (without its newline). The common
// answer, {"id":N}, is read directly; anything else goes through
// encoding/json.
func parseAnswer(line []byte) (answer, error) {
	if id, ok := fastID(line); ok {
		return answer{id: id}, nil
	}
	var m struct {
		ID    json.RawMessage `json:"id"`
		None  *bool           `json:"none"`
		Error *string         `json:"error"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		return answer{}, fmt.Errorf("%w: %v", errGarbage, err)
	}
	switch {
	case m.Error != nil:
		return answer{}, strategyError(*m.Error)
	case m.ID != nil && m.None == nil:
		// Raw, not json.Number, which would also take "3" (a string).
		id, err := strconv.ParseInt(string(m.ID), 10, 0)
		if err != nil {
			return answer{}, fmt.Errorf("%w: id %s is not an integer", errGarbage, m.ID)
		}
		return answer{id: int(id)}, nil
	case m.None != nil && *m.None && m.ID == nil:
		return answer{none: true}, nil
	}
	return answer{}, fmt.Errorf(`%w: want exactly one of {"id": N} and {"none": true}`, errGarbage)
}

// fastID parses `{"id":N}`, with optional spaces after the colon and
// before the brace (Python's json.dumps puts one after the colon), N a
// non-negative integer of at most 9 digits.
func fastID(line []byte) (int, bool) {
	const prefix = `{"id":`
	if len(line) < len(prefix)+2 || string(line[:len(prefix)]) != prefix {
		return 0, false
	}
	i := len(prefix)
	for i < len(line) && line[i] == ' ' {
		i++
	}
	start, id := i, 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' && i-start < 9 {
		id = id*10 + int(line[i]-'0')
		i++
	}
	if i == start || (line[start] == '0' && i-start > 1) {
		return 0, false
	}
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i != len(line)-1 || line[i] != '}' {
		return 0, false
	}
	return id, true
}

// hello is the process's first message.
type hello struct {
	Type    string  `json:"type"`
	Name    string  `json:"name"`
	Version *int    `json:"version"`
	Error   *string `json:"error"`
}

// quote quotes a line from the process for an error message, cut to a
// readable length.
func quote(line []byte) string {
	const max = 200
	if len(line) > max {
		return fmt.Sprintf("%q... (%d bytes)", line[:max], len(line))
	}
	return strconv.Quote(string(line))
}
