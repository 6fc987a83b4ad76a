#!/usr/bin/env bash
# Runs deploy/slurm/ for real: starts a single-node Slurm on this machine
# (Debian's slurm-wlm and munge: munged, slurmctld and slurmd on
# localhost, as root, every file in one temporary directory), submits a
# 4-shard sweep of the shipped smoke scenario as a job array with
# deploy/slurm/sweep.sbatch and the merge as a dependent job with
# deploy/slurm/merge.sbatch, waits for both, and checks that the merged
# sweep.json and sweep.csv are byte for byte the unsharded sweep's.
#
#   bash scripts/test-slurm.sh              # builds cmd/sim into the temporary directory
#   SIM=/tmp/bin/sim bash scripts/test-slurm.sh
#   KEEP=1 bash scripts/test-slurm.sh       # keep the temporary directory, and say where
#
# It installs slurm-wlm and munge with apt-get when they are missing (that
# needs root, as running the daemons here does). Where it cannot (not root,
# no apt-get, the install fails) it says so and exits 0, unless CI is set:
# then that is a failure. Any other failure exits 1 and prints the daemons' logs and the
# jobs' output. Every daemon it starts is stopped on exit, whatever the
# outcome. The daemons listen on free ports of 127.0.0.1 and use a munge
# socket of their own, so a Slurm already running here is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
t0=$SECONDS
say() { printf '== [%3ds] %s\n' $((SECONDS - t0)) "$*"; }

# --- Slurm and munge, installed if missing ---------------------------------
missing=()
for cmd in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo; do
  command -v "$cmd" >/dev/null || missing+=("$cmd")
done
# skip_or_fail MSG: without what this test needs, skip it, except under CI
# (which installs everything), where that is a failure.
skip_or_fail() {
  if [ -n "${CI:-}" ]; then
    echo "$1; CI is set: failing" >&2
    exit 1
  fi
  echo "SKIP $1" >&2
  exit 0
}
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    skip_or_fail "test-slurm: ${missing[*]} missing, and this is not root with apt-get to install slurm-wlm and munge"
  fi
  say "installing slurm-wlm and munge (missing: ${missing[*]})"
  # The packages would start their system services: policy-rc.d forbids
  # that for the install (this script starts its own).
  had_policy=0
  [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ $had_policy = 1 ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; }
  installed=1
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null; } || installed=0
  [ $had_policy = 1 ] || rm -f /usr/sbin/policy-rc.d
  if [ $installed = 0 ]; then
    skip_or_fail "test-slurm: apt-get could not install slurm-wlm and munge"
  fi
  say "installed"
fi
if [ "$(id -u)" != 0 ]; then
  # slurmd must run as root to start jobs as their user.
  msg="test-slurm: slurmd must run as root"
  if [ -n "${CI:-}" ]; then echo "$msg; CI is set: failing" >&2; exit 1; fi
  echo "SKIP $msg" >&2
  exit 0
fi
say "$(slurmctld -V), $(munged --version 2>&1 | sed -n 1p)"

# --- one directory for everything, and the cleanup -------------------------
tmp=$(mktemp -d /tmp/fulcrum-slurm.XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp"/{munge,state,spool,log,results,bin}
pids=() # daemons started here, stopped in reverse order
jobs_submitted=()
ok=0

print_logs() {
  for f in "$tmp"/log/*; do
    [ -f "$f" ] || continue
    echo "----- $f (last 60 lines)"
    tail -n 60 "$f"
  done
  if [ ${#jobs_submitted[@]} -gt 0 ]; then
    for j in "${jobs_submitted[@]}"; do
      echo "----- scontrol show job $j"
      scontrol show job "$j" 2>&1 || true
    done
  fi
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ $ok != 1 ]; then
    echo "test-slurm: FAILED (exit $status); the logs:" >&2
    print_logs >&2 || true
  fi
  # Jobs first, so that no job step outlives slurmd.
  if [ ${#jobs_submitted[@]} -gt 0 ] && [ ${#pids[@]} -gt 0 ]; then
    scancel "${jobs_submitted[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
  done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    # A daemon that ignores SIGTERM for 10 s is killed.
    for _ in $(seq 100); do
      kill -0 "${pids[i]}" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [ -n "${KEEP:-}" ]; then
    echo "test-slurm: kept $tmp"
  else
    rm -rf "$tmp"
  fi
  if [ $ok = 1 ]; then exit 0; fi
  exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "test-slurm: $*" >&2
  exit 1
}

# wait_for SECONDS WHAT CMD...: runs CMD every 0.2 s until it succeeds, or
# fails the test after SECONDS.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $end ] || fail "timed out after ${limit}s waiting for $what"
    sleep 0.2
  done
}

# free_port: a TCP port of 127.0.0.1 that nothing listens on now.
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  fail "no free port found"
}

# --- the sim binary ----------------------------------------------------------
sim=${SIM:-}
if [ -z "$sim" ]; then
  say "building cmd/sim"
  go build -o "$tmp/bin/sim" ./cmd/sim
  sim=$tmp/bin/sim
fi
sim=$(cd "$(dirname "$sim")" && pwd)/$(basename "$sim")
[ -x "$sim" ] || fail "SIM=$sim is not an executable"
export SIM=$sim

# --- munge -----------------------------------------------------------------
mungekey --create --keyfile="$tmp/munge/munge.key" 2>"$tmp/log/mungekey.log"
chmod 400 "$tmp/munge/munge.key"
munge_socket=$tmp/munge/munge.socket
munged --foreground --force \
  --key-file="$tmp/munge/munge.key" --socket="$munge_socket" \
  --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" \
  --log-file="$tmp/log/munged.log" >"$tmp/log/munged.stdout" 2>&1 &
pids+=($!)
wait_for 10 "munged's socket" test -S "$munge_socket"
say "munged up (pid ${pids[-1]})"

# --- slurm.conf ---------------------------------------------------------------
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
# The node's real CPUs and layout from slurmd -C, under the name localhost.
# RealMemory is left out: a node with less free memory than it says at
# registration would be drained, and these jobs ask for none.
node_line=$(slurmd -C | sed -n 1p | sed -E 's/^NodeName=[^ ]+/NodeName=localhost NodeAddr=127.0.0.1/; s/ RealMemory=[0-9]+//')
case $node_line in
  NodeName=localhost*CPUs=*) ;;
  *) fail "slurmd -C gave no node line: $(slurmd -C 2>&1)" ;;
esac
conf=$tmp/slurm.conf
cat > "$conf" <<EOF
# A single-node Slurm for scripts/test-slurm.sh, everything in $tmp.
ClusterName=fulcrum-test
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
# Finished jobs stay visible to scontrol for the checks below.
MinJobAge=600
KillWait=5
InactiveLimit=0
$node_line State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=10 State=UP
EOF
export SLURM_CONF=$conf
# The variables a job array's task would see must not leak in from a
# Slurm job or Kubernetes pod this script itself runs in.
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_JOB_ID JOB_COMPLETION_INDEX SHARDS

slurmctld -D -c -f "$conf" >"$tmp/log/slurmctld.stdout" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$conf" >"$tmp/log/slurmd.stdout" 2>&1 &
pids+=($!)
node_idle() {
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a daemon (pid $p) exited"; done
  [ "$(sinfo -h -N -n localhost -o %t 2>/dev/null)" = idle ]
}
wait_for 60 "sinfo to show localhost idle" node_idle
say "slurmctld and slurmd up (ports $ctld_port, $slurmd_port); sinfo: $(sinfo -h -N -o '%N %t %c')"

# --- the sweep: 4 shards as a job array, then the merge ----------------------
results=$tmp/results
sweep_args=(smoke --param arrivals.load --values 0.5,0.7,0.9 --seeds 2 --requests 2000)
array=$(sbatch --parsable --array=0-3 --output="$tmp/log/%x-%A_%a.out" \
  deploy/slurm/sweep.sbatch "$results" "${sweep_args[@]}")
array=${array%%;*}
jobs_submitted+=("$array")
merge=$(sbatch --parsable --dependency="afterok:$array" --output="$tmp/log/%x-%j.out" \
  deploy/slurm/merge.sbatch "$results")
merge=${merge%%;*}
jobs_submitted+=("$merge")
say "submitted: array job $array (4 shards), merge job $merge after it"

# Meanwhile, the same sweep whole, on this machine, for the comparison.
"$sim" sweep "${sweep_args[@]}" --no-plots --out "$tmp/whole" >"$tmp/log/whole.out" 2>&1 ||
  fail "the unsharded sweep failed: $(cat "$tmp/log/whole.out")"

# job_states JOB: the state of the job, or of each task of an array.
job_states() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
merge_done() {
  local info
  info=$(scontrol -o show job "$merge")
  case $info in
    # A shard failed: the merge would wait forever.
    *Reason=DependencyNeverSatisfied*) fail "merge job $merge can never start: a shard failed; shards: $(job_states "$array" | tr '\n' ' ')" ;;
  esac
  case $(job_states "$merge") in
    COMPLETED) return 0 ;;
    PENDING | CONFIGURING | RUNNING | COMPLETING) return 1 ;;
    *) fail "merge job $merge ended $(job_states "$merge"); shards: $(job_states "$array" | tr '\n' ' ')" ;;
  esac
}
wait_for 120 "the merge job" merge_done
say "merge job $merge completed"

# --- the checks ---------------------------------------------------------------------------------------
states=$(job_states "$array" | sort | uniq -c | tr -s ' ')
[ "$states" = " 4 COMPLETED" ] || fail "array job $array's tasks: $states; want 4 COMPLETED"
for i in 0 1 2 3; do
  out=$(ls "$tmp"/log/fulcrum-sweep-"$array"_"$i".out)
  # The task took its shard from Slurm's variables, not from a flag.
  grep -qx "sim sweep: shard $i/4 (SLURM_ARRAY_TASK_ID=$i of SLURM_ARRAY_TASK_COUNT=4)" "$out" ||
    fail "$out does not say it ran shard $i/4 from SLURM_ARRAY_TASK_ID"
  grep -q "\"shard\": \"$i/4\"" "$results/shard-$i/sweep.json" || fail "$results/shard-$i/sweep.json is not shard $i/4"
done
for f in sweep.json sweep.csv; do
  cmp "$results/merged/$f" "$tmp/whole/$f" || fail "merged $f differs from the unsharded sweep's"
done
test -s "$results/merged/sweep.png" || fail "the merge drew no sweep.png"
say "merged sweep.json and sweep.csv are byte for byte the unsharded sweep's ($(wc -c <"$results/merged/sweep.json") bytes of sweep.json, $(grep -c '"figures"' "$results/merged/sweep.json") points)"
ok=1
say "PASS"
