#!/usr/bin/env bash
# Regenerates the profiles that profile-guided optimisation builds the
# simulator with (cmd/sim/default.pgo; sim/default.pgo is the same file,
# for `go test -pgo=sim/default.pgo -bench . ./sim/`). Run it after a change
# to the engine's hot path, on a machine as quiet as you have:
#
#   scripts/pgo.sh
#
# The profile is the CPU profile of three representative runs, merged: the
# speed check (100 servers, p2c, 5 M requests), the power-of-d scenario
# (random, p2c, p3c and least-connections on 100 servers) and the baseline
# (8 servers, four algorithms), each with --no-plots, so that the engine's
# loop, not the charts, decides what is inlined and devirtualised.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Built without PGO, so the profile does not feed on itself.
go build -pgo=off -o "$tmp/sim" ./cmd/sim
"$tmp/sim" run scenarios/speed/p2c100.yaml --no-plots --out "$tmp/speed" --cpuprofile "$tmp/speed.pprof" >/dev/null
"$tmp/sim" run power-of-d --no-plots --out "$tmp/pod" --cpuprofile "$tmp/pod.pprof" >/dev/null
"$tmp/sim" run baseline --no-plots --out "$tmp/base" --cpuprofile "$tmp/base.pprof" >/dev/null
go tool pprof -proto "$tmp/speed.pprof" "$tmp/pod.pprof" "$tmp/base.pprof" > "$tmp/merged.pgo" 2>/dev/null
cp "$tmp/merged.pgo" cmd/sim/default.pgo
cp "$tmp/merged.pgo" sim/default.pgo
echo "wrote cmd/sim/default.pgo and sim/default.pgo ($(wc -c < cmd/sim/default.pgo) bytes)"
