package discovery

// One backend as a discovery source stores it: a URL, or a JSON object
// {"url": ..., "weight": ..., "name": ...}. The etcd source reads one a
// key, the file source one a list element; both check it here, so that a
// bad entry is refused where it is read (naming its key or line) and never
// reaches the proxy.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
)

// ParseEntry reads one backend from data: a URL ("http://10.0.0.7:8080",
// bare or as a JSON string) or a JSON object with "url" and optional
// "weight" (a number > 0; absent or 0 means 1) and "name" (absent: the
// source's default). The error says what is wrong and what to write.
func ParseEntry(data []byte) (Backend, error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return Backend{}, errors.New(`empty: write a backend URL, e.g. http://127.0.0.1:5001, or {"url": "http://127.0.0.1:5001", "weight": 2}`)
	case data[0] == '{':
		return parseObject(data)
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return Backend{}, fmt.Errorf("not a JSON string: %v", jsonProblem(err))
		}
		return checked(Backend{URL: s})
	case data[0] == '[':
		return Backend{}, errors.New(`a list: write one backend, a URL or {"url": ..., "weight": ...}`)
	}
	return checked(Backend{URL: string(data)})
}

// entryObject is the JSON form; pointers tell an absent member from a zero one.
type entryObject struct {
	URL    *string         `json:"url"`
	Weight json.RawMessage `json:"weight"` // json.Number would take "2" too
	Name   *string         `json:"name"`
}

func parseObject(data []byte) (Backend, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var o entryObject
	if err := dec.Decode(&o); err != nil {
		return Backend{}, errors.New(jsonProblem(err))
	}
	if dec.More() {
		return Backend{}, errors.New("more than one JSON value: write one object")
	}
	if o.URL == nil {
		return Backend{}, errors.New(`no "url": write e.g. {"url": "http://127.0.0.1:5001"}`)
	}
	b := Backend{URL: *o.URL}
	if o.Name != nil {
		if strings.TrimSpace(*o.Name) == "" {
			return Backend{}, errors.New(`"name" is empty: leave it out (the default name) or write one`)
		}
		b.Name = *o.Name
	}
	if o.Weight != nil && string(o.Weight) != "null" {
		var w float64
		if err := json.Unmarshal(o.Weight, &w); err != nil {
			return Backend{}, fmt.Errorf(`"weight" %s is not a number (write e.g. 2)`, o.Weight)
		}
		if !(w > 0) {
			return Backend{}, fmt.Errorf(`"weight" %s: write a number > 0 (to take the backend out, remove it from the set)`, o.Weight)
		}
		b.Weight = w
	}
	return checked(b)
}

// jsonProblem says what encoding/json found wrong, in the entry's terms.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		want := map[string]string{"url": "a URL in a string", "name": "a string", "weight": "a number"}[te.Field]
		if want == "" {
			want = te.Type.String()
		}
		return fmt.Sprintf("%q is a JSON %s, want %s", te.Field, te.Value, want)
	case errors.As(err, &se):
		return "JSON syntax: " + se.Error()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fmt.Sprintf(`unknown key %s (known: "url", "weight", "name")`, f)
	case errors.Is(err, io.EOF), err.Error() == "unexpected EOF":
		return "JSON syntax: the object is not closed"
	}
	return err.Error()
}

// checked returns b if CheckBackend accepts it.
func checked(b Backend) (Backend, error) {
	if err := CheckBackend(b); err != nil {
		return Backend{}, err
	}
	return b, nil
}

// CheckBackend says what is wrong with b, or nil: its URL must be an
// absolute http(s) URL without user info or fragment, and its weight 0 (=
// 1) or a finite number > 0: what the proxy accepts.
func CheckBackend(b Backend) error {
	u, err := url.Parse(b.URL)
	switch {
	case strings.TrimSpace(b.URL) == "":
		return errors.New(`the url is empty (write e.g. "http://127.0.0.1:5001")`)
	case !strings.Contains(b.URL, "://"):
		return fmt.Errorf("url %q is not an absolute http(s) URL: it has no scheme (write %q)", b.URL, "http://"+strings.TrimLeft(b.URL, "/"))
	case err != nil:
		return fmt.Errorf("url %q is not a URL (write e.g. http://127.0.0.1:5001)", b.URL)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("url %q is not an absolute http(s) URL (write e.g. http://127.0.0.1:5001)", b.URL)
	case u.Host == "":
		return fmt.Errorf("url %q has no host (write e.g. http://127.0.0.1:5001)", b.URL)
	case u.User != nil:
		return fmt.Errorf("url %q has user info (user@ or user:password@): remove it", b.URL)
	case u.Fragment != "" || strings.Contains(b.URL, "#"):
		return fmt.Errorf("url %q has a fragment (#...): remove it", b.URL)
	case b.Weight < 0 || math.IsNaN(b.Weight) || math.IsInf(b.Weight, 0):
		return fmt.Errorf("weight %v is not a finite number > 0 (write e.g. 2; leave it out for 1)", b.Weight)
	}
	return nil
}
