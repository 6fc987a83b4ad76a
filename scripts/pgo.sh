#!/usr/bin/env bash
# Regenerates the profile that profile-guided optimisation builds the
# simulator with (cmd/sim/default.pgo; sim/default.pgo is the same file,
# for `go test -pgo=sim/default.pgo -bench . ./sim/`). Run it after a change
# to the engine's hot path, on a machine as quiet as you have:
#
#   scripts/pgo.sh
#
# The profile is sim run's own CPU profile (--cpuprofile) of the speed check
# (scenarios/speed/p2c100.yaml: 100 servers, p2c) at 20 M requests, with
# --no-plots, from a binary built without PGO so that the profile does not
# feed on itself. A profile merged with the baseline and power-of-d runs
# (more algorithms, fewer requests each) built a slower CLI, on the speed
# check and on power-of-d alike (DECISIONS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -pgo=off -o "$tmp/sim" ./cmd/sim
"$tmp/sim" run scenarios/speed/p2c100.yaml --requests 20000000 --no-plots --out "$tmp/speed" --cpuprofile "$tmp/speed.pprof" >/dev/null
cp "$tmp/speed.pprof" cmd/sim/default.pgo
cp "$tmp/speed.pprof" sim/default.pgo
echo "wrote cmd/sim/default.pgo and sim/default.pgo ($(wc -c < cmd/sim/default.pgo) bytes)"
