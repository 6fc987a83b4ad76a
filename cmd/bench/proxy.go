package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/realproxy"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery/sources"
	"github.com/fulcrum-lb/fulcrum/realproxy/promexport"
	"github.com/fulcrum-lb/fulcrum/realproxy/proxy"
)

const proxyUsage = `Usage: bench proxy --config FILE [--discovery URL] [--drain DURATION] [--trace FILE] [--admin ADDR]
       bench proxy --discovery URL [--drain DURATION] [--trace FILE] [--admin ADDR]

Serves Fulcrum's reverse proxy as FILE configures it (listen address,
backends, algorithm, health checks, timeout, retries) until SIGINT or
SIGTERM, then shuts down gracefully: it stops accepting connections at
once and lets the requests in flight finish for up to the drain time. It
exits 0 when they all finished in time, 1 when some were still running at
the deadline and were cut off (their connections closed). Logs its address
and the backends' health changes to stderr.

  --config FILE       the proxy's configuration: a JSON object, e.g.
                      {"port": ":8080", "servers": ["http://localhost:5001"]}
                      (README.md lists its keys); every problem in it is
                      reported as FILE:LINE: KEY: what to write instead
  --discovery URL     take the backends from URL instead of the file's
                      "servers" (the file's "discovery" key does the same):
                      etcd://HOST:PORT/PREFIX  every key under PREFIX is a
                        backend, its value a URL or {"url": ..., "weight": ...};
                        watched live
                      file:///path/servers.json  a JSON list of URLs (or
                        {"url", "weight", "name"} objects), reloaded when it
                        changes and on SIGHUP; a file that does not parse
                        keeps the last good set
                      Backends that join get traffic at once; those that
                      leave get no new requests and finish their own. Without
                      --config, the classic defaults (port :8080, HEAD health
                      checks every 2s)
  --drain DURATION    how long requests in flight may take to finish after
                      SIGINT or SIGTERM (default 30s; 0 cuts them off at once)
  --trace FILE        write the trace of the traffic served (DESIGN.md §8:
                      arrival, client, class, backend, its service time when
                      it sends X-Fulcrum-Service, latency, outcome), for sim
                      fit and sim replay; streamed, in arrival order, and
                      written whole at shutdown
  --admin ADDR        serve Prometheus metrics at http://ADDR/metrics, on
                      an admin listener apart from the traffic port:
                      host:port, a bare port (on 127.0.0.1) or "off"
                      (default: the file's "admin", else 127.0.0.1:9901);
                      README.md lists the metrics

Exit status: 0 stopped by a signal after draining, 1 it could not listen
(e.g. the address, or the admin address, is taken), etcd did not answer
at the start, or the drain deadline passed, 2 a usage error, a bad FILE, a
bad discovery URL or a bad backends file at the start.
`

// drainTimeout bounds a server's graceful shutdown: bench proxy's default
// --drain, and bench backend's.
const drainTimeout = 30 * time.Second

// durationFlag is a flag.Value for a duration >= 0 whose errors say what to
// write.
type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }

func (d *durationFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Errorf("want a duration with a unit, e.g. 30s or 500ms")
	case v < 0:
		return fmt.Errorf("want a duration >= 0, e.g. 30s")
	}
	*d = durationFlag(v)
	return nil
}

func cmdProxy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("bench proxy", stderr)
	config := flags.String("config", "", "")
	drain := durationFlag(drainTimeout)
	flags.Var(&drain, "drain", "")
	tracePath := flags.String("trace", "", "")
	adminFlag := flags.String("admin", "", "")
	discoveryURL := flags.String("discovery", "", "")
	pos, code, ok := cli.ParseFlags(flags, proxyUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "bench proxy: unexpected argument %q\n\n%s", pos[0], proxyUsage)
		return cli.ExitUsage
	}
	var cfg proxy.Config
	var err error
	switch {
	case *config == "" && *discoveryURL == "":
		fmt.Fprintf(stderr, "bench proxy: --config FILE is required (or --discovery URL)\n\n%s", proxyUsage)
		return cli.ExitUsage
	case *config == "":
		cfg = proxy.ClassicDefaults()
	case *discoveryURL != "":
		cfg, err = proxy.LoadClassicWithDiscovery(*config)
	default:
		cfg, err = proxy.LoadClassic(*config)
	}
	if err != nil {
		// Each problem as FILE:LINE: KEY: ..., one a line, for editors.
		var errs proxy.ClassicErrors
		if errors.As(err, &errs) {
			fmt.Fprintln(stderr, err)
		} else {
			fmt.Fprintf(stderr, "bench proxy: %v\n", err)
		}
		return cli.ExitUsage
	}
	// The admin listener: the flag wins over the file's key.
	adminFrom := fmt.Sprintf(`"admin" in %s`, *config)
	if *adminFlag != "" {
		addr, err := proxy.ParseAdmin(*adminFlag)
		if err != nil {
			fmt.Fprintf(stderr, "bench proxy: --admin %v\n", err)
			return cli.ExitUsage
		}
		cfg.Admin, adminFrom = addr, "--admin"
	}
	if cfg.Admin == "" {
		cfg.Admin, adminFrom = proxy.DefaultAdmin, "the default --admin"
	}
	if cfg.Admin != proxy.AdminOff && proxy.SameAddress(cfg.Admin, cfg.Listen) {
		portFrom := fmt.Sprintf(`"port" in %s`, *config)
		if *config == "" {
			portFrom = "the default port"
		}
		fmt.Fprintf(stderr, "bench proxy: %s (%s) is the traffic port (%s): give the metrics another port, or --admin off\n",
			cfg.Admin, adminFrom, portFrom)
		return cli.ExitUsage
	}
	alg := cfg.Algorithm
	if alg == "" {
		alg = proxy.DefaultAlgorithm
	}
	if cfg.Admin != proxy.AdminOff {
		m := promexport.New(promexport.Options{Algorithm: alg, Runtime: true})
		cfg.Observer, cfg.AdminHandler = m, m.Handler()
	}
	logw := &lockedWriter{w: stderr}
	src, code := openDiscovery(ctx, *discoveryURL, cfg.DiscoveryURL, *config, logw)
	if code != cli.ExitOK {
		return code
	}
	if src != nil {
		// After the proxy's Shutdown (deferred later, run earlier), which
		// ends its subscription.
		defer src.Close()
		cfg.Discovery = src
	}
	if os.Getenv("GOGC") == "" {
		// A proxy's garbage is short-lived request state: collecting a
		// quarter as often buys about 7% more requests per second on
		// loopback (19.7k -> 21.2k req/s under wrk, 2 cores) for a few MB.
		// GOGC in the environment still wins.
		debug.SetGCPercent(400)
	}
	if cfg.OnHealth == nil {
		cfg.OnHealth = func(at time.Duration, backend string, healthy bool) {
			state := "unhealthy"
			if healthy {
				state = "healthy"
			}
			fmt.Fprintf(logw, "bench proxy: %v: backend %s is %s\n", at.Round(time.Millisecond), backend, state)
		}
	}
	var live *realproxy.LiveTrace
	if *tracePath != "" {
		// A request ends at most its attempts' timeouts after it came.
		window := time.Minute
		if cfg.Timeout > 0 {
			window = cfg.Timeout*time.Duration(cfg.Retries+1) + 10*time.Second
		}
		if live, err = realproxy.NewLiveTrace(*tracePath, window); err != nil {
			fmt.Fprintf(stderr, "bench proxy: --trace: %v\n", err)
			return cli.ExitUsage
		}
		defer live.Abort() // a no-op once committed
		cfg.OnRequest = live.Add
	}
	p, err := proxy.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "bench proxy: %s: %v\n", *config, err)
		return cli.ExitUsage
	}

	sigCtx, stop := cli.NotifyContext(ctx)
	defer stop()
	if err := p.Start(); err != nil {
		var ae *proxy.AdminListenError
		if errors.As(err, &ae) {
			fmt.Fprintf(stderr, "bench proxy: %s\n", adminProblem(ae, adminFrom))
		} else {
			fmt.Fprintf(stderr, "bench proxy: %s\n", listenProblem(err, cfg.Listen, *config))
		}
		p.Shutdown(context.Background()) // the balancer may hold a process
		return cli.ExitFailure
	}
	metrics := ""
	if a := p.AdminAddr(); a != "" {
		metrics = fmt.Sprintf("; metrics at http://%s/metrics", a)
	}
	if src != nil {
		fmt.Fprintf(logw, "bench proxy: listening on %s (%s over the backends of %s)%s\n", p.URL(), alg, src.url, metrics)
		stopHUP := reloadOnHUP(src, logw)
		defer stopHUP()
	} else {
		fmt.Fprintf(logw, "bench proxy: listening on %s (%s over %d backends)%s\n", p.URL(), alg, len(cfg.Backends), metrics)
	}
	<-sigCtx.Done()
	stop() // a second Ctrl-C ends the process the usual way
	fmt.Fprintf(logw, "bench proxy: shutting down: no new connections; draining the requests in flight for up to %v\n", time.Duration(drain))
	shutCtx, cancel := context.WithTimeout(context.Background(), time.Duration(drain))
	defer cancel()
	err = p.Shutdown(shutCtx)
	if live != nil {
		n, terr := live.Commit()
		switch {
		case n == 0 && terr != nil:
			fmt.Fprintf(logw, "bench proxy: --trace: %v\n", terr)
		case terr != nil:
			fmt.Fprintf(logw, "bench proxy: wrote %d requests to %s; one or more came too late to place: %v\n", n, *tracePath, terr)
		default:
			fmt.Fprintf(logw, "bench proxy: wrote %d requests to %s\n", n, *tracePath)
		}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			fmt.Fprintf(logw, "bench proxy: requests still in flight after --drain %v: cut off\n", time.Duration(drain))
		} else {
			fmt.Fprintf(logw, "bench proxy: shutdown: %v\n", err)
		}
		return cli.ExitFailure
	}
	fmt.Fprintf(logw, "bench proxy: drained; stopped\n")
	return cli.ExitOK
}

// adminProblem says why the admin listener could not listen on its
// address, which from names (the flag, the file's key or the default).
func adminProblem(ae *proxy.AdminListenError, from string) string {
	why := ae.Err.Error()
	var sysErr *os.SyscallError
	if errors.As(ae.Err, &sysErr) {
		why = sysErr.Err.Error()
	}
	msg := fmt.Sprintf("cannot listen on %s for the metrics (%s): %s", ae.Addr, from, why)
	if errors.Is(ae, syscall.EADDRINUSE) {
		msg += "; stop what listens there (another bench proxy?), give another --admin ADDR, or --admin off"
	}
	return msg
}

// listenProblem says why the proxy could not listen on addr, the address
// the configuration file gives.
func listenProblem(err error, addr, file string) string {
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		return err.Error()
	}
	why := opErr.Err.Error()
	var sysErr *os.SyscallError
	if errors.As(opErr.Err, &sysErr) {
		why = sysErr.Err.Error()
	}
	msg := fmt.Sprintf("cannot listen on %s (\"port\" in %s): %s", addr, file, why)
	if errors.Is(err, syscall.EADDRINUSE) {
		msg += "; stop what listens there, or set another \"port\""
	}
	return msg
}

// openedSource is bench proxy's discovery source and the URL it came from.
type openedSource struct {
	sources.Source
	url string
}

// openDiscovery opens the discovery source of --discovery (flagURL) or
// of the configuration file's "discovery" (fileURL, relative file: paths
// relative to the file's directory); nil when neither is given. A bad URL
// or a bad backends file is a usage error (2); an etcd that does not
// answer, a failure (1).
func openDiscovery(ctx context.Context, flagURL, fileURL, config string, logw io.Writer) (*openedSource, int) {
	raw, base, where := flagURL, "", "--discovery"
	if raw == "" {
		raw, base, where = fileURL, filepath.Dir(config), fmt.Sprintf("%s: \"discovery\"", config)
	}
	if raw == "" {
		return nil, cli.ExitOK
	}
	u, err := discovery.ParseURL(raw, base)
	if err != nil {
		fmt.Fprintf(logw, "bench proxy: %s: %v\n", where, err)
		return nil, cli.ExitUsage
	}
	logf := func(format string, args ...any) {
		// Every line prefixed (a file's problems come one a line).
		const prefix = "bench proxy: discovery: "
		msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", "\n"+prefix)
		fmt.Fprintf(logw, "%s%s\n", prefix, msg)
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	src, err := sources.OpenURL(openCtx, u, sources.Options{Base: base, Logf: logf})
	if err != nil {
		if u.Scheme == "file" {
			// FILE:LINE: what is wrong, one a line, for editors.
			fmt.Fprintln(logw, err)
			return nil, cli.ExitUsage
		}
		fmt.Fprintf(logw, "bench proxy: %s: %v\n", where, err)
		return nil, cli.ExitFailure
	}
	return &openedSource{Source: src, url: raw}, cli.ExitOK
}

// reloadOnHUP reloads src on SIGHUP (a file source; an etcd source is
// watched live and says so) until the returned stop is called.
func reloadOnHUP(src *openedSource, logw io.Writer) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-hup:
			}
			r, ok := src.Source.(sources.Reloader)
			if !ok {
				fmt.Fprintf(logw, "bench proxy: SIGHUP: %s is watched live: nothing to reload\n", src.url)
				continue
			}
			fmt.Fprintf(logw, "bench proxy: SIGHUP: reloading %s\n", src.url)
			if err := r.Reload(); err == nil {
				fmt.Fprintf(logw, "bench proxy: SIGHUP: reloaded %s\n", src.url)
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		wg.Wait()
	}
}
