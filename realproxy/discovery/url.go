package discovery

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// URL is where a backend set comes from, as bench proxy --discovery and
// the classic configuration's "discovery" write it:
//
//	etcd://HOST:PORT[,HOST:PORT...]/PREFIX   every key under PREFIX is a backend
//	file:///abs/path/servers.json           a JSON list of backends, watched
//	file:relative/servers.json              the same, relative to a base directory
//
// ParseURL checks the syntax; opening the source (connecting to etcd,
// reading the file) is the job of realproxy/discovery/sources.
type URL struct {
	Scheme string // "etcd" or "file"
	// Endpoints are etcd's client URLs (http://HOST:PORT), in the order given.
	Endpoints []string
	// Prefix is etcd's key prefix: the URL's path, with its leading slash
	// and a trailing one added ("/services/web/"), so that the prefix
	// /services/web does not also take /services/webapp's keys.
	Prefix string
	// Path is the file's path, absolute or joined to ParseURL's base.
	Path string
	Raw  string // as written
}

// Schemes is what a discovery URL looks like, for error messages.
const Schemes = "etcd://HOST:PORT/PREFIX or file:///path/servers.json"

// ParseURL reads a discovery URL; base is the directory a relative file:
// path is relative to ("" = the working directory). Its errors say what is
// wrong and what to write.
func ParseURL(raw, base string) (URL, error) {
	bad := func(format string, args ...any) (URL, error) {
		return URL{}, fmt.Errorf("discovery URL %q: %s", raw, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(raw) == "" {
		return URL{}, fmt.Errorf("discovery URL is empty: write %s", Schemes)
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || strings.ContainsAny(scheme, "/\\.") {
		return bad("no scheme: write %s (for a file: file:%s)", Schemes, raw)
	}
	switch strings.ToLower(scheme) {
	case "etcd":
		return parseEtcd(raw, rest, bad)
	case "file":
		return parseFile(raw, rest, base, bad)
	case "etcds", "https":
		return bad("TLS to etcd is not supported: write etcd://HOST:PORT/PREFIX (plain HTTP, e.g. on loopback)")
	}
	return bad("unknown scheme %q: write %s", scheme, Schemes)
}

func parseEtcd(raw, rest string, bad func(string, ...any) (URL, error)) (URL, error) {
	if !strings.HasPrefix(rest, "//") {
		return bad("write etcd://HOST:PORT/PREFIX, e.g. etcd://127.0.0.1:2379/services/web/")
	}
	hosts, path, _ := strings.Cut(rest[2:], "/")
	path = "/" + path
	if strings.ContainsAny(hosts, "@") {
		return bad("user info (user@) is not supported: etcd's authentication is not implemented; remove it")
	}
	if strings.ContainsAny(path, "?#") {
		return bad("a query or fragment (? or #) is not part of a key prefix: remove it")
	}
	if hosts == "" {
		return bad("no host: write etcd://HOST:PORT/PREFIX, e.g. etcd://127.0.0.1:2379/services/web/")
	}
	var u URL
	for _, h := range strings.Split(hosts, ",") {
		host, port, err := net.SplitHostPort(h)
		if err != nil || host == "" || port == "" {
			return bad("%q is not HOST:PORT (write e.g. 127.0.0.1:2379; etcd's client port is usually 2379)", h)
		}
		if _, err := url.Parse("http://" + h); err != nil {
			return bad("%q is not HOST:PORT: %v", h, err)
		}
		u.Endpoints = append(u.Endpoints, "http://"+h)
	}
	p, err := url.PathUnescape(path)
	if err != nil {
		return bad("the prefix %q: %v", path, err)
	}
	if strings.Trim(p, "/") == "" {
		return bad("no key prefix: write etcd://HOST:PORT/PREFIX, e.g. etcd://127.0.0.1:2379/services/web/ (every key under it is a backend)")
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	u.Scheme, u.Prefix, u.Raw = "etcd", p, raw
	return u, nil
}

func parseFile(raw, rest, base string, bad func(string, ...any) (URL, error)) (URL, error) {
	var path string
	switch {
	case strings.HasPrefix(rest, "///"):
		path = rest[2:]
	case strings.HasPrefix(rest, "//localhost/"):
		path = strings.TrimPrefix(rest, "//localhost")
	case strings.HasPrefix(rest, "//"):
		host, _, _ := strings.Cut(rest[2:], "/")
		return bad("a file URL names no host (here %q): write file:///absolute/path or file:relative/path", host)
	default:
		path = rest
	}
	if strings.ContainsAny(path, "?#") {
		return bad("a query or fragment (? or #) is not part of a path: remove it")
	}
	p, err := url.PathUnescape(path)
	if err != nil {
		return bad("the path %q: %v", path, err)
	}
	if p == "" || strings.HasSuffix(p, "/") {
		return bad("no file name: write e.g. file:///etc/fulcrum/servers.json")
	}
	if !filepath.IsAbs(p) && base != "" {
		p = filepath.Join(base, p)
	}
	return URL{Scheme: "file", Path: filepath.Clean(p), Raw: raw}, nil
}
