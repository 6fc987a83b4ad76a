#!/usr/bin/env bash
# The scaling table (README "Any number of servers"): the simulator's
# simulated requests per second and peak RSS for 10 to 100,000 servers,
# under p2c and least-connections, each cell a `sim run --no-plots` of its
# own (scripts/scaling/main.go says what it runs and measures). sim and the
# measuring program are built once, into a temporary directory.
#
#   bash scripts/scaling.sh                               # the whole table (minutes)
#   bash scripts/scaling.sh -sizes 10,100 -timeout 1m     # any flag of scripts/scaling
#   bash scripts/scaling.sh -timeout 5m                   # a cell past 5 minutes reads "timeout" (default 10m)
#
# The table goes to stdout, each cell's progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/sim" ./cmd/sim
go build -o "$bin/scaling" ./scripts/scaling
"$bin/scaling" -sim "$bin/sim" "$@"
