// Package sources opens a discovery source from its URL (discovery.URL):
// etcd://HOST:PORT/PREFIX (realproxy/discovery/etcd) or
// file:///path/servers.json (realproxy/discovery/watchfile), for bench
// proxy's --discovery and the classic configuration's "discovery". It is
// apart from realproxy/discovery so that the proxy package, which only
// needs the Source interface, does not link the etcd client.
package sources

import (
	"context"
	"io"

	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery/etcd"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery/watchfile"
)

// Source is an opened source; Close it when the proxy has stopped.
type Source interface {
	discovery.Source
	io.Closer
}

// Reloader is a source that can be read again on demand (the file
// source: bench proxy reloads it on SIGHUP). Reload returns the problem
// of a file it did not take, which keeps the last good set.
type Reloader interface {
	Reload() error
}

// Options configure the opened source.
type Options struct {
	// Base is the directory a relative file: path is relative to ("" =
	// the working directory): the classic configuration file's.
	Base string
	// Logf logs what the source does not deliver (bad entries, reloads, a
	// lost connection); nil = log.Printf.
	Logf func(format string, args ...any)
}

// Open parses raw and opens its source: it connects to etcd and reads the
// prefix, or reads the file (ctx bounds the first read of etcd). Errors
// say what is wrong: the URL's syntax, an etcd that does not answer, a
// file's FILE:LINE problems.
func Open(ctx context.Context, raw string, opts Options) (Source, error) {
	u, err := discovery.ParseURL(raw, opts.Base)
	if err != nil {
		return nil, err
	}
	return OpenURL(ctx, u, opts)
}

// OpenURL opens a parsed URL's source.
func OpenURL(ctx context.Context, u discovery.URL, opts Options) (Source, error) {
	if u.Scheme == "etcd" {
		return etcd.Open(ctx, etcd.Options{Endpoints: u.Endpoints, Prefix: u.Prefix, Logf: opts.Logf})
	}
	return watchfile.Open(u.Path, watchfile.Options{Logf: opts.Logf})
}
