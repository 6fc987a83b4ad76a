#!/usr/bin/env bash
# Runs a command (by default the README's test command) while busy loops take
# every core, the way a shared CI machine looks when another job runs beside
# this one. Tests that pass only on a quiet machine fail here.
#
#   scripts/test-under-load.sh                       # go test -race -count=1 ./...
#   scripts/test-under-load.sh bash .ci/run          # any command
#   LOAD_RUNS=3 scripts/test-under-load.sh           # three runs in a row, stop at the first failure
#   LOAD_HOGS=4 scripts/test-under-load.sh ...       # more busy loops than the default (one per core)
set -euo pipefail
cd "$(dirname "$0")/.."

hogs=${LOAD_HOGS:-$(nproc)}
runs=${LOAD_RUNS:-1}
if [ $# -eq 0 ]; then
  set -- go test -race -count=1 ./...
fi

pids=()
stop_hogs() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_hogs EXIT INT TERM
for _ in $(seq "$hogs"); do
  # A pure busy loop in its own process, as nice as the tests: both compete
  # for the same cores at the same priority.
  ( while :; do :; done ) &
  pids+=($!)
done
echo "== $hogs busy loops running (pids ${pids[*]}); $runs run(s) of: $*"

for i in $(seq "$runs"); do
  echo "== run $i/$runs under load"
  start=$(date +%s)
  "$@"
  echo "== run $i/$runs passed in $(( $(date +%s) - start )) s"
done
