// Command sim runs Fulcrum's scenarios on the discrete-event simulator.
//
//	sim run SCENARIO [--out DIR] [--seed N] [--requests N] [--no-plots]
//	sim validate SCENARIO...
//	sim list
//	sim help [COMMAND]
//
// SCENARIO is a scenario file or the name of a shipped scenario. Exit status:
// 0 on success, 2 for a usage error or an invalid scenario, 1 when a run
// fails, 130 when it is interrupted.
package main

import "github.com/fulcrum-lb/fulcrum/internal/cli"

const usage = `Usage: sim COMMAND [ARGS]

Commands:
  run SCENARIO [--out DIR] [--seed N] [--requests N] [--no-plots]
                        simulate every algorithm of a scenario, print a
                        table and write summary.json, summary.csv, run.json
  validate SCENARIO...  check scenario files without running them
  list                  list algorithms, distributions and shipped scenarios
  compare BASE NEW [--threshold LIST]
                        compare two runs' summaries; exit 1 on a regression
  baseline [--update] [SCENARIO...]
                        check the shipped scenarios against results/baselines
  sweep SCENARIO --param PATH --values SPEC [--seeds K] [--shard I/N|auto]
                        run every algorithm at each value of one field;
                        write sweep.json, sweep.csv and plots
  merge DIR_OR_FILE... [--out DIR]
                        join the shards of a sweep into one
  gallery [--out DIR]   regenerate results/README.md and its charts
  import --format F LOG... -o TRACE
                        turn access logs (HAProxy, NGINX, Envoy, vegeta)
                        into a trace
  fit TRACE -o SCENARIO propose a scenario for a trace's traffic
  replay TRACE [--algorithms LIST]
                        replay a trace through algorithms on fitted servers
  help [COMMAND]        show this help, or a command's

SCENARIO is a scenario file (YAML) or the name of a shipped scenario
(see sim list). Exit status: 0 ok, 1 run failed, 2 usage error or
invalid scenario, 130 interrupted.
`

func main() { program.Main() }

// program is the whole command, minus the process: tests call its Run with
// their own arguments, output and context.
var program = &cli.Program{Name: "sim", Usage: usage, Commands: map[string]cli.Command{
	"run":      {Usage: runUsage, Run: cmdRun},
	"compare":  {Usage: compareUsage, Run: cmdCompare},
	"baseline": {Usage: baselineUsage, Run: cmdBaseline},
	"validate": {Usage: validateUsage, Run: cmdValidate},
	"list":     {Usage: listUsage, Run: cmdList},
	"sweep":    {Usage: sweepUsage, Run: cmdSweep},
	"merge":    {Usage: mergeUsage, Run: cmdMerge},
	"gallery":  {Usage: galleryUsage, Run: cmdGallery},
	"import":   {Usage: importUsage, Run: cmdImport},
	"fit":      {Usage: fitUsage, Run: cmdFit},
	"replay":   {Usage: replayUsage, Run: cmdReplay},
}}
