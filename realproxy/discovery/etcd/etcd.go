// Package etcd is a discovery.Source over an etcd key prefix, with etcd's
// own Go client (go.etcd.io/etcd/client/v3): every key under the prefix is
// one backend, its value a URL or a JSON object {"url", "weight", "name"}
// (discovery.ParseEntry). A subscription reads the prefix, then watches it
// from the read's revision + 1, so that no change between the two is lost.
//
// What can go wrong, and what the source does:
//   - A bad value is logged with its key and skipped; a key that had a good
//     value keeps it. A bad value never empties the set.
//   - A lost connection (the gRPC connection leaves READY, or etcd ends the
//     watch: no leader, compacted revision) keeps the last set; the
//     subscription re-reads the prefix, retrying with exponential backoff
//     capped at Options.MaxBackoff, and watches again from the new read.
//     A re-read replaces the set whole, so changes made while it was away
//     (or a server that came back with other data) are seen.
//
// The proxy (realproxy/proxy) takes the sets through Config.Discovery;
// realproxy/discovery/sources opens one from an etcd:// URL. This package
// is apart from realproxy/discovery so that programs that do not watch etcd
// do not link its client.
package etcd

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/connectivity"

	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
)

// Options configure a Source.
type Options struct {
	Endpoints []string // etcd client URLs, e.g. http://127.0.0.1:2379
	// Prefix is the key prefix, e.g. "/services/web/"; a backend's name is
	// its key less the prefix, unless its JSON value gives a "name".
	Prefix string
	// Logf logs what the source does not deliver: bad values, a lost
	// connection, retries. nil = log.Printf.
	Logf func(format string, args ...any)
	// Timeout bounds each read of the prefix and each dial; 0 = 5s.
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between two failed re-reads:
	// it starts at MinBackoff and doubles up to MaxBackoff; 0 = 100ms and 5s.
	// They also bound gRPC's reconnection backoff.
	MinBackoff, MaxBackoff time.Duration
}

// Source is an etcd prefix as a discovery.Source. Close it when done.
type Source struct {
	opts   Options
	cli    *clientv3.Client
	ctx    context.Context // cancelled by Close: ends every subscription
	cancel context.CancelFunc

	mu      sync.Mutex
	entries map[string]discovery.Backend // the newest good entry of each key, by key
	rev     int64                        // the revision entries are at
	closed  bool
	wg      sync.WaitGroup // the subscriptions' loops
}

// Open connects to etcd and reads the prefix once: an error (etcd does not
// answer within Timeout, a bad option) means no source. An empty prefix is
// no error (the set is empty until keys are put), but it is logged.
func Open(ctx context.Context, opts Options) (*Source, error) {
	if len(opts.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoints")
	}
	if opts.Prefix == "" {
		return nil, errors.New("etcd: no key prefix (every key would be a backend)")
	}
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.MinBackoff)
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   opts.Endpoints,
		DialTimeout: opts.Timeout,
		// Keepalives find a peer that vanished without closing the
		// connection (a partition), so that the connection leaves READY.
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: opts.Timeout,
		// The client's own log (zap, to stderr) repeats every retry; the
		// source logs what an operator needs through Logf.
		Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: opts.MinBackoff, Multiplier: 2, Jitter: 0.2, MaxDelay: opts.MaxBackoff},
			MinConnectTimeout: opts.Timeout,
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("etcd at %s: %w", strings.Join(opts.Endpoints, ","), err)
	}
	s := &Source{opts: opts, cli: cli}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	entries, rev, err := s.read(ctx, nil)
	if err != nil {
		cli.Close()
		s.cancel()
		return nil, fmt.Errorf("etcd at %s: cannot read the prefix %q: %w (is etcd running there?)", strings.Join(opts.Endpoints, ","), opts.Prefix, err)
	}
	if len(entries) == 0 {
		opts.Logf("etcd: no backends under %q at revision %d yet: the set is empty until a key is put there (e.g. etcdctl put %s%s http://127.0.0.1:5001)",
			opts.Prefix, rev, opts.Prefix, "web-1")
	}
	s.entries, s.rev = entries, rev
	return s, nil
}

// Close ends every subscription (waiting for their loops) and closes the
// connection. The subscribers' stop functions may still be called.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.cli.Close()
}

// Subscribe delivers the last set the source read, then, from a goroutine
// of the subscription's own, every change (discovery.Source). stop ends the
// goroutine and waits for it.
func (s *Source) Subscribe(update func([]discovery.Backend)) (stop func()) {
	s.mu.Lock()
	sub := &subscription{src: s, update: update, entries: maps.Clone(s.entries), rev: s.rev}
	closed := s.closed
	if !closed {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	sub.last = sub.set()
	update(slices.Clone(sub.last))
	if closed {
		return func() {}
	}
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})
	go func() {
		defer s.wg.Done()
		defer close(done)
		sub.run(ctx)
	}()
	return sync.OnceFunc(func() {
		cancel()
		<-done
	})
}

// read gets every key under the prefix and parses their values; a bad one
// is logged and skipped, keeping its entry in old if it has one.
func (s *Source) read(ctx context.Context, old map[string]discovery.Backend) (map[string]discovery.Backend, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.opts.Prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, err
	}
	entries := map[string]discovery.Backend{}
	for _, kv := range resp.Kvs {
		key := string(kv.Key)
		if b, ok := s.parse(key, kv.Value, old); ok {
			entries[key] = b
		}
	}
	return entries, resp.Header.Revision, nil
}

// parse reads one key's value into an entry; a bad value is logged, and
// the key keeps its entry in old if it has one (ok) or is left out.
func (s *Source) parse(key string, value []byte, old map[string]discovery.Backend) (discovery.Backend, bool) {
	name := strings.TrimPrefix(key, s.opts.Prefix)
	b, err := discovery.ParseEntry(value)
	if err == nil && b.Name == "" && name == "" {
		err = errors.New(`the key is the prefix itself, so it names no backend: put the backend under a key below it, or give a "name"`)
	}
	if err != nil {
		prev, had := old[key]
		keep := "left out"
		if had {
			keep = fmt.Sprintf("it keeps its last good value (%s)", prev.URL)
		}
		s.opts.Logf("etcd: key %s: %v: %s", key, err, keep)
		return prev, had
	}
	if b.Name == "" {
		b.Name = name
	}
	return b, true
}

// subscription is one subscriber's loop and the set it last delivered.
type subscription struct {
	src     *Source
	update  func([]discovery.Backend)
	entries map[string]discovery.Backend
	rev     int64
	last    []discovery.Backend
}

// run watches, and re-reads whenever the watch ends for another reason
// than ctx, until ctx ends.
func (sub *subscription) run(ctx context.Context) {
	s := sub.src
	wait := s.opts.MinBackoff
	reread, failing := false, false
	for ctx.Err() == nil {
		if reread {
			entries, rev, err := s.read(ctx, sub.entries)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.opts.Logf("etcd: cannot read %q at %s: %v; keeping the last set (%d backends); retrying in %v",
					s.opts.Prefix, strings.Join(s.opts.Endpoints, ","), err, len(sub.last), wait)
				failing = true
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				wait = nextBackoff(wait, s.opts.MaxBackoff)
				continue
			}
			if failing {
				s.opts.Logf("etcd: read %q again at revision %d: %d backends", s.opts.Prefix, rev, len(entries))
			}
			wait, failing = s.opts.MinBackoff, false
			sub.entries, sub.rev = entries, rev
			sub.deliver()
		}
		reread = sub.watch(ctx)
	}
}

// nextBackoff doubles wait, up to most.
func nextBackoff(wait, most time.Duration) time.Duration {
	return min(2*wait, most)
}

// watch applies the prefix's changes from sub.rev + 1 until the watch
// ends: it returns whether the prefix must be read again (not when ctx
// ended).
func (sub *subscription) watch(ctx context.Context) (reread bool) {
	s := sub.src
	// WithRequireLeader: a member cut off from its cluster's leader ends
	// the watch instead of holding it silently.
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	var lost sync.WaitGroup
	var connLost bool
	lost.Add(1)
	go func() {
		defer lost.Done()
		if untilLost(wctx, s.cli.ActiveConnection()) {
			connLost = true
			cancel()
		}
	}()
	defer func() {
		cancel()
		lost.Wait()
	}()
	for resp := range s.cli.Watch(wctx, s.opts.Prefix, clientv3.WithPrefix(), clientv3.WithRev(sub.rev+1)) {
		if resp.CompactRevision != 0 {
			s.opts.Logf("etcd: the changes of %q after revision %d were compacted (etcd keeps them from %d): reading it again",
				s.opts.Prefix, sub.rev, resp.CompactRevision)
			return true
		}
		if err := resp.Err(); err != nil {
			s.opts.Logf("etcd: the watch of %q ended: %v; keeping the last set (%d backends) and reading it again", s.opts.Prefix, err, len(sub.last))
			return true
		}
		for _, ev := range resp.Events {
			key := string(ev.Kv.Key)
			switch ev.Type {
			case clientv3.EventTypePut:
				if b, ok := s.parse(key, ev.Kv.Value, sub.entries); ok {
					sub.entries[key] = b
				}
			case clientv3.EventTypeDelete:
				delete(sub.entries, key)
			}
		}
		sub.rev = resp.Header.Revision
		sub.deliver()
	}
	if ctx.Err() != nil {
		return false
	}
	cancel()
	lost.Wait()
	if connLost {
		s.opts.Logf("etcd: lost the connection to %s; keeping the last set (%d backends); reading %q again (backoff %v to %v)",
			strings.Join(s.opts.Endpoints, ","), len(sub.last), s.opts.Prefix, s.opts.MinBackoff, s.opts.MaxBackoff)
	}
	return true
}

// untilLost waits until conn has been READY and then leaves READY (true),
// or ctx ends (false).
func untilLost(ctx context.Context, conn *grpc.ClientConn) bool {
	st := conn.GetState()
	for st != connectivity.Ready {
		if !conn.WaitForStateChange(ctx, st) {
			return false
		}
		st = conn.GetState()
	}
	for st == connectivity.Ready {
		if !conn.WaitForStateChange(ctx, st) {
			return false
		}
		st = conn.GetState()
	}
	return true
}

// deliver hands the subscriber the set if it changed, and keeps the
// source's cache at the newest revision, for later subscribers.
func (sub *subscription) deliver() {
	s := sub.src
	s.mu.Lock()
	if sub.rev > s.rev {
		s.entries, s.rev = maps.Clone(sub.entries), sub.rev
	}
	s.mu.Unlock()
	set := sub.set()
	if slices.Equal(set, sub.last) {
		return
	}
	sub.last = set
	sub.update(slices.Clone(set))
}

// set is the entries as a set, in key order; a name given twice is kept
// for its first key and logged.
func (sub *subscription) set() []discovery.Backend {
	keys := make([]string, 0, len(sub.entries))
	for k := range sub.entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]discovery.Backend, 0, len(keys))
	seen := map[string]string{}
	for _, k := range keys {
		b := sub.entries[k]
		if first, dup := seen[b.Name]; dup {
			sub.src.opts.Logf("etcd: key %s: name %q is also key %s's: left out (names must be unique)", k, b.Name, first)
			continue
		}
		seen[b.Name] = k
		out = append(out, b)
	}
	return out
}
