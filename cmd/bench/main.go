// Command bench runs Fulcrum's scenarios on the real engine: a real HTTP
// reverse proxy in front of real local backends, driven by vegeta
// (DESIGN.md §1), and serves the proxy and the backends on their own.
//
//	bench run SCENARIO [--out DIR] [--seed N] [--requests N] [--repeat N] [--compare-sim] [--no-plots]
//	bench proxy --config FILE
//	bench backend --addr HOST:PORT --name NAME [--concurrency C] [--queue-limit Q] [--service SPEC]
//	bench help [COMMAND]
//
// SCENARIO is a scenario file or the name of a shipped scenario. Exit status:
// 0 on success (and when proxy or backend stop on SIGINT or SIGTERM), 2 for
// a usage error, an invalid scenario or configuration, 1 when a run fails,
// 130 when a run is interrupted.
package main

import (
	"io"
	"sync"

	"github.com/fulcrum-lb/fulcrum/internal/cli"
)

const usage = `Usage: bench COMMAND [ARGS]

Commands:
  run SCENARIO [--out DIR] [--seed N] [--requests N] [--repeat N] [--compare-sim] [--no-plots]
                        measure every algorithm of a scenario on a real
                        proxy and real backends, print a table and write
                        summary.json, summary.csv, run.json, vegeta-*.bin,
                        trace-*.csv
  proxy --config FILE   serve the reverse proxy until SIGINT or SIGTERM
  backend --addr HOST:PORT --name NAME [--concurrency C] [--queue-limit Q] [--service SPEC]
                        serve one emulated backend until SIGINT or SIGTERM
  compare BASE NEW [--threshold LIST] [--alpha A]
                        compare two runs' summaries, with a significance
                        test over repetitions; exit 1 on a regression
  help [COMMAND]        show this help, or a command's

SCENARIO is a scenario file (YAML) or the name of a shipped scenario
(see sim list). Exit status: 0 ok, 1 run failed, 2 usage error or
invalid scenario or configuration, 130 interrupted.
`

func main() { program.Main() }

// program is the whole command, minus the process: tests call its Run with
// their own arguments, output and context.
var program = &cli.Program{Name: "bench", Usage: usage, Commands: map[string]cli.Command{
	"run":     {Usage: runUsage, Run: cmdRun},
	"compare": {Usage: compareUsage, Run: cmdCompare},
	"proxy":   {Usage: proxyUsage, Run: cmdProxy},
	"backend": {Usage: backendUsage, Run: cmdBackend},
}}

// lockedWriter serialises writes to w: servers log from many goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
