#!/usr/bin/env bash
# Node-side part of bench/run_all.sh: runs INSIDE node 1 of the bench cluster (through
# `omx cluster exec --dir DIR 1 -- bash node_run.sh ...`), in node 1's private /tmp, and prints
# one JSON object per line per measurement on stdout (run_all.sh collects them). Progress and
# problems go to stderr.
#
#   node_run.sh syscalls MODE N ROUNDS        MODE: native (plain process), home (mosrun, not
#                                             migrated) or remote (mosrun, migrated to node 2
#                                             before the timed part)
#   node_run.sh memory MB REPS ADDR2 KEY      one mosrun'd omx_bench_memory MB; REPS times:
#                                             migrate to node 2, raw TCP transfer and Channel
#                                             transfer of the same byte count to ADDR2, migrate
#                                             home; then the workload checks its memory
#   node_run.sh cpu ITERS MODE                one omx_bench_cpu run, MODE native|home|remote
#   node_run.sh calibrate SECONDS             ITERS for omx_bench_cpu taking about SECONDS
#
# Needs $OMX_BENCH (build/bench) and mosrun/migrate on PATH. Workloads run locked (mosrun -L):
# the placement is the benchmark's, not the balancer's.
set -euo pipefail
B=${OMX_BENCH:?OMX_BENCH must point at build/bench}
RAW_PORT=4671 CHAN_PORT=4672
cd /tmp

note() { echo "node_run: $*" >&2; }
now_ns() { date +%s%N; }

# start_workload OUT MODE PROG ARGS...: starts PROG (under mosrun unless MODE is native) with
# stdout in OUT, waits until it printed "ready". Sets PID.
#
# Engine bug worked around here (reported, src/ untouched): `omx supervise` seizes the program
# before it blocks SIGCHLD and opens its signalfd (cmd_run.cc supervise() -> home.cc setup()),
# so when mosrun's exec stop happens in that window its SIGCHLD is discarded and the program sits
# in the PTRACE_EVENT_EXEC stop until something else wakes the supervisor. A SIGCHLD sent by
# hand makes the supervisor reap that stop.
# Prints {"fig":"start","stuck":true|false} for mosrun starts (how often the bug hit).
start_workload() {
  local out=$1 mode=$2 i sup stuck=false
  shift 2
  : > "$out"
  if [ "$mode" = native ]; then "$@" > "$out" & else mosrun -L "$@" > "$out" & fi
  PID=$!
  for i in $(seq 400); do
    if grep -q '^ready' "$out"; then
      [ "$mode" = native ] || echo "{\"fig\":\"start\",\"stuck\":$stuck}"
      return 0
    fi
    if [ "$mode" != native ] && [ $((i % 10)) = 0 ]; then
      sup=$(awk '/^TracerPid:/{print $2}' "/proc/$PID/status" 2>/dev/null || echo 0)
      if [ "${sup:-0}" != 0 ]; then
        note "pid $PID not ready after $((i * 50)) ms (stuck at its exec stop?): SIGCHLD to supervisor $sup"
        kill -CHLD "$sup" 2>/dev/null || true
        stuck=true
      fi
    fi
    sleep 0.05
  done
  note "$* never got ready"
  return 1
}

# migrate_json PID TO: migrate --json, retried while refused as busy; prints its JSON with
# wall_ms (the migrate command's own run time) added.
migrate_json() {
  local pid=$1 to=$2 t0 t1 out try
  for try in $(seq 20); do
    t0=$(now_ns)
    if out=$(migrate --json "$pid" "$to" 2>/tmp/migrate.err); then
      t1=$(now_ns)
      echo "${out%\}},\"wall_ms\":$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')}"
      return 0
    fi
    grep -q busy /tmp/migrate.err || { cat /tmp/migrate.err >&2; return 1; }
    sleep 0.1
  done
  note "migrate $pid $to: still busy after 20 tries"
  return 1
}

# tag JSON KEY=VALUE...: prepends string fields to a one-line JSON object.
tag() {
  local j=$1 kv pre=""
  shift
  for kv in "$@"; do pre="$pre\"${kv%%=*}\":\"${kv#*=}\","; done
  echo "{$pre${j#\{}"
}

syscalls() {
  local mode=$1 n=$2 rounds=$3 rc=0
  start_workload sys.out "$mode" "$B/omx_bench_syscalls" "$n" "$rounds"
  if [ "$mode" = remote ]; then
    tag "$(migrate_json "$PID" 2)" fig=syscalls_migrate
  fi
  kill -USR1 "$PID"
  wait "$PID" || rc=$?
  [ "$rc" = 0 ] || note "omx_bench_syscalls ($mode) exited $rc"
  tag "$(grep '^{' sys.out)" fig=syscalls mode="$mode"
}

memory() {
  local mb=$1 reps=$2 addr2=$3 key=$4 r out bytes rc=0
  start_workload mem.out home "$B/omx_bench_memory" "$mb"
  for r in $(seq "$reps"); do
    out=$(migrate_json "$PID" 2)
    tag "$out" fig=migrate dir=out mb="$mb"
    bytes=$(echo "$out" | sed 's/.*"move_bytes":\([0-9]*\).*/\1/')
    tag "$("$B/omx_bench_net" source "$addr2" "$RAW_PORT" "$bytes")" fig=raw_transfer mb="$mb"
    tag "$("$B/omx_bench_net" source "$addr2" "$CHAN_PORT" "$bytes" --key "$key")" fig=chan_transfer mb="$mb"
    tag "$(migrate_json "$PID" home)" fig=migrate dir=back mb="$mb"
  done
  kill -USR1 "$PID"
  wait "$PID" || rc=$?
  tag "$(grep '^{' mem.out)" fig=memory_check rc="$rc"
}

cpu() {
  local iters=$1 mode=$2 rc=0
  if [ "$mode" = native ]; then
    tag "$("$B/omx_bench_cpu" "$iters" --now)" fig=cpu mode=native
    return
  fi
  start_workload cpu.out "$mode" "$B/omx_bench_cpu" "$iters"
  [ "$mode" != remote ] || migrate_json "$PID" 2 > /dev/null
  kill -USR1 "$PID"
  wait "$PID" || rc=$?
  [ "$rc" = 0 ] || note "omx_bench_cpu ($mode) exited $rc"
  tag "$(grep '^{' cpu.out)" fig=cpu mode="$mode"
}

case "${1:-}" in
  syscalls) shift; syscalls "$@" ;;
  memory) shift; memory "$@" ;;
  cpu) shift; cpu "$@" ;;
  calibrate) "$B/omx_bench_cpu" --calibrate "$2" ;;
  *) echo "usage: see the header of $0" >&2; exit 2 ;;
esac
