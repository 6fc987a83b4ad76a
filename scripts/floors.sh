#!/usr/bin/env bash
# The floors (README "Floors: how far each target can go"): each of
# issue 15's speed targets next to the least any program of its kind can do
# on this machine, measured side by side in the same minute.
#
#   bash scripts/floors.sh sim     # refsim, the simulator's floor, the engine and the CLI (about a minute)
#   bash scripts/floors.sh proxy   # HAProxy, Fulcrum's proxy, the net/http proxy floor and a bare net/http server (about two minutes)
#   bash scripts/floors.sh         # both
#
# ROUNDS (default 3) alternates the programs that many times. The proxy
# part needs the anchor tools (../shared/anchors/install-anchor-tools.sh:
# haproxy, wrk, taskset and anchorbackend in $ANCHOR_BIN, by default
# ~/.cache/fulcrum-anchors/bin) and uses the anchor layout: wrk -t1 -c64 on
# CPU 1, the proxy and four backends on CPU 0, backend delay 0. It reads the
# proxy's user and system CPU time from /proc over 10 s of wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
case $what in sim | proxy | all) ;; *)
	echo "usage: $0 [sim|proxy|all]" >&2
	exit 2
	;;
esac
rounds=${ROUNDS:-3}
anchors=${ANCHORS:-../shared/anchors}
bin=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$bin"
}
trap cleanup EXIT

calc() { awk "BEGIN{print $1}"; }
row() { printf '%-8s %-32s %12.0f %10.1f\n' "$@"; }

sim_part() {
	[[ -d $anchors/refsim ]] || {
		echo "floors: $anchors/refsim not found (set ANCHORS)" >&2
		exit 1
	}
	go build -o "$bin/sim" ./cmd/sim
	go build -o "$bin/simfloor" ./scripts/floors/simfloor
	(cd "$anchors/refsim" && go build -o "$bin/refsim" .)
	go test -c -o "$bin/simtest" ./sim
	local n=5000000 out=$bin/speed
	echo "# the simulator: 100 exponential servers, p2c, load 0.9, $n requests (engine: its Go benchmark, 5 M iterations)"
	printf '%-8s %-32s %12s %10s\n' round program req/s ns/req
	for ((r = 1; r <= rounds; r++)); do
		local line rate
		line=$("$bin/refsim" -requests $n)
		rate=${line##*rate=}
		rate=${rate%% *}
		row "$r" "refsim (tight loop)" "$rate" "$(calc "1e9/$rate")"
		line=$("$bin/simfloor" -requests $n)
		rate=${line##*rate=}
		rate=${rate%% *}
		row "$r" "simfloor (event loop floor)" "$rate" "$(calc "1e9/$rate")"
		line=$(cd sim && "$bin/simtest" -test.run '^$' -test.bench 'EngineP2C100$' -test.benchtime ${n}x | awk '/^BenchmarkEngineP2C100/{print $3}')
		row "$r" "engine (BenchmarkEngineP2C100)" "$(calc "1e9/$line")" "$line"
		local t0 t1
		t0=$(date +%s.%N)
		"$bin/sim" run scenarios/speed/p2c100.yaml --no-plots --out "$out" >/dev/null
		t1=$(date +%s.%N)
		row "$r" "sim run --no-plots (CLI)" "$(calc "$n/($t1-$t0)")" "$(calc "($t1-$t0)*1e9/$n")"
	done
}

# cpu_per_req NAME PID URL: the process's user and system CPU per request
# over 10 s of wrk -t1 -c64 (after a 2 s warm-up).
cpu_per_req() {
	local name=$1 pid=$2 url=$3 a u0 s0 u1 s1 out n tick
	tick=$(getconf CLK_TCK)
	taskset -c 1 wrk -t1 -c64 -d2s "$url" >/dev/null 2>&1 || true
	read -ra a <"/proc/$pid/stat"
	u0=${a[13]} s0=${a[14]}
	out=$(taskset -c 1 wrk -t1 -c64 -d10s "$url")
	read -ra a <"/proc/$pid/stat"
	u1=${a[13]} s1=${a[14]}
	n=$(awk '/requests in/{print $1}' <<<"$out")
	awk -v n="$n" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$tick" -v name="$name" -v r="$4" \
		'BEGIN{printf "%-8s %-30s %9d %9.1f %9.1f %9.1f\n", r, name, n, u/t*1e6/n, s/t*1e6/n, (u+s)/t*1e6/n}'
}

wait_up() { # url
	for _ in $(seq 100); do
		curl -sf -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.1
	done
	echo "floors: $1 did not come up" >&2
	exit 1
}

proxy_part() {
	local ab=${ANCHOR_BIN:-$HOME/.cache/fulcrum-anchors/bin}
	for t in haproxy wrk taskset curl "$ab/anchorbackend"; do
		command -v "$t" >/dev/null || {
			echo "floors: $t not found: run $anchors/install-anchor-tools.sh first" >&2
			exit 1
		}
	done
	go build -o "$bin/bench" ./cmd/bench
	go build -o "$bin/proxyfloor" ./scripts/floors/proxyfloor
	local p backs="" urls=""
	for p in 19001 19002 19003 19004; do
		taskset -c 0 "$ab/anchorbackend" -addr 127.0.0.1:$p -delay 0 >/dev/null 2>&1 &
		pids+=($!)
		backs+="${backs:+,}127.0.0.1:$p"
		urls+="${urls:+,}\"http://127.0.0.1:$p\""
	done
	taskset -c 0 "$ab/anchorbackend" -addr 127.0.0.1:19009 -delay 0 >/dev/null 2>&1 &
	local bare=$!
	pids+=($bare)
	sed -E 's/^([[:space:]]*nbthread)[[:space:]].*/\1 1/' "$anchors/anchor-configs/haproxy.cfg" >"$bin/haproxy.cfg"
	taskset -c 0 haproxy -db -f "$bin/haproxy.cfg" >/dev/null 2>&1 &
	local hp=$!
	pids+=($hp)
	printf '{"port": "18090", "healthCheckInterval": "2s", "servers": [%s]}' "$urls" >"$bin/fulcrum.json"
	taskset -c 0 "$bin/bench" proxy --config "$bin/fulcrum.json" >/dev/null 2>&1 &
	local fp=$!
	pids+=($fp)
	taskset -c 0 "$bin/proxyfloor" -listen 127.0.0.1:18099 -backends "$backs" >/dev/null 2>&1 &
	local lp=$!
	pids+=($lp)
	for u in 19001 19002 19003 19004 19009 18081 18090 18099; do wait_up "http://127.0.0.1:$u/"; done
	echo "# the proxy: CPU per request under wrk -t1 -c64 (pinned, backend delay 0), microseconds"
	printf '%-8s %-30s %9s %9s %9s %9s\n' round program requests user system total
	for ((r = 1; r <= rounds; r++)); do
		cpu_per_req "haproxy (roundrobin)" "$hp" http://127.0.0.1:18081/ "$r"
		cpu_per_req "fulcrum (bench proxy)" "$fp" http://127.0.0.1:18090/ "$r"
		cpu_per_req "proxyfloor (net/http floor)" "$lp" http://127.0.0.1:18099/ "$r"
		cpu_per_req "bare net/http server" "$bare" http://127.0.0.1:19009/ "$r"
	done
}

[[ $what == proxy ]] || sim_part
[[ $what == sim ]] || proxy_part
