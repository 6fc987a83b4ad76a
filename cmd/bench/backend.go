package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/internal/cli"
	"github.com/fulcrum-lb/fulcrum/realproxy/backend"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

const backendUsage = `Usage: bench backend --addr HOST:PORT --name NAME [--concurrency C] [--queue-limit Q] [--service SPEC] [--seed N]

Serves one emulated backend until SIGINT or SIGTERM: at most C requests in
service at once, the others waiting in a FIFO queue of at most Q (0 =
unbounded; beyond it, 503), each served for a time drawn from SPEC (by the
request's X-Fulcrum-Quantile header if it has one, else at random), then
answered with X-Fulcrum-Backend: NAME. Port 0 picks a free port; the
address is logged to stderr, with the backend's capacity (concurrency /
mean service time: the default serves 100 req/s). Offered more, it queues
without bound and the health checks of a proxy in front of it time out.

  --addr HOST:PORT   where to listen, e.g. 127.0.0.1:9001 (required)
  --name NAME        the backend's name (required)
  --concurrency C    parallel workers (default 1)
  --queue-limit Q    longest queue; 0 = unbounded (default 0)
  --service SPEC     service-time distribution as a scenario file writes
                     it (default '{dist: exponential, mean: 10ms}'), e.g.
                     '{dist: lognormal, mean: 10ms, cv: 2}'
  --seed N           seed of the backend's own draws (default 1)
  --cancel           stop a job whose client has left (queued or in
                     service), freeing its worker, as a scenario's
                     cancel: true; without it the job runs to its end
`

const defaultService = "{dist: exponential, mean: 10ms}"

func cmdBackend(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := cli.NewFlagSet("bench backend", stderr)
	addr := flags.String("addr", "", "")
	name := flags.String("name", "", "")
	concurrency := flags.Int("concurrency", 1, "")
	queueLimit := flags.Int("queue-limit", 0, "")
	service := flags.String("service", defaultService, "")
	seed := cli.UintFlag{Value: 1}
	flags.Var(&seed, "seed", "")
	cancelJobs := flags.Bool("cancel", false, "")
	pos, code, ok := cli.ParseFlags(flags, backendUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "bench backend: "+format+"\n\n%s", append(a, backendUsage)...)
		return cli.ExitUsage
	}
	switch {
	case len(pos) > 0:
		return usageErr("unexpected argument %q", pos[0])
	case *addr == "":
		return usageErr("--addr HOST:PORT is required")
	case *name == "":
		return usageErr("--name NAME is required")
	case *concurrency < 1:
		return usageErr("--concurrency %d: want at least 1", *concurrency)
	case *queueLimit < 0:
		return usageErr("--queue-limit %d: want 0 (unbounded) or more", *queueLimit)
	}
	spec, err := parseService(*service)
	if err != nil {
		fmt.Fprintf(stderr, "bench backend: %v\n", err)
		return cli.ExitUsage
	}
	d, err := dist.New(spec)
	if err != nil {
		fmt.Fprintf(stderr, "bench backend: --service: %v\n", err)
		return cli.ExitUsage
	}

	sigCtx, stop := cli.NotifyContext(ctx)
	defer stop()
	s, err := backend.Start(*addr, backend.Config{
		Name: *name, Concurrency: *concurrency, QueueLimit: *queueLimit, Service: d, Seed: seed.Value,
		Cancel: *cancelJobs,
	})
	if err != nil {
		fmt.Fprintf(stderr, "bench backend: %v\n", err)
		return cli.ExitFailure
	}
	// Its capacity, since a backend offered more than that queues without
	// bound (with --queue-limit 0) and its health checks, queued behind the
	// work, time out: an overloaded fleet looks like a failed one.
	fmt.Fprintf(stderr, "bench backend: %s listening on %s (concurrency %d, queue limit %d, service %s: capacity %.4g req/s)\n",
		*name, s.URL(), *concurrency, *queueLimit, d, float64(*concurrency)/d.Mean())
	<-sigCtx.Done()
	stop()
	fmt.Fprintf(stderr, "bench backend: %s shutting down\n", *name)
	shutCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := s.Close(shutCtx); err != nil {
		fmt.Fprintf(stderr, "bench backend: shutdown: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// parseService reads a --service value, a distribution as a scenario file
// writes it ('{dist: exponential, mean: 10ms}'), with the scenario loader's
// own checks: it wraps the value into a one-server scenario and parses that.
// Problems are reported against --service and the field, e.g.
// `--service: mean: "10" is not a duration (e.g. 10ms)`.
func parseService(text string) (dist.Spec, error) {
	if strings.TrimSpace(text) == "" {
		return dist.Spec{}, errors.New("--service: empty; want a distribution such as " + defaultService)
	}
	var doc strings.Builder
	doc.WriteString("name: backend\nrequests: 1\narrivals: {rate: 1}\nalgorithms: [random]\nservers:\n  - name: b\n    service:\n")
	for _, line := range strings.Split(text, "\n") {
		doc.WriteString("      " + line + "\n")
	}
	sc, err := scenarios.Parse("--service", []byte(doc.String()))
	if err == nil {
		return sc.Servers[0].Service, nil
	}
	var errs scenarios.Errors
	if !errors.As(err, &errs) {
		return dist.Spec{}, fmt.Errorf("--service: %v", err)
	}
	const at = "servers[0].service"
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		field := strings.TrimPrefix(strings.TrimPrefix(e.Path, at), ".")
		switch {
		case !strings.HasPrefix(e.Path, at):
			msgs = append(msgs, "--service: "+e.Msg)
		case field == "":
			msgs = append(msgs, "--service: "+e.Msg)
		default:
			msgs = append(msgs, "--service: "+field+": "+e.Msg)
		}
	}
	return dist.Spec{}, errors.New(strings.Join(msgs, "\n"))
}
