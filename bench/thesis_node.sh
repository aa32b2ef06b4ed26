#!/usr/bin/env bash
# Node-side part of bench/thesis_bench.sh: runs INSIDE node 1 of a thesis-bench cluster (through
# `omx cluster exec --dir DIR 1 -- bash thesis_node.sh ...`), so everything it starts counts
# against node 1's CPU quota, and prints one JSON object per line on stdout.
#
#   thesis_node.sh base INPUT OUT           the unsplit job: one plain bzip2 -9 over INPUT (not
#                                           under mosrun), timed: the single-node baseline
#   thesis_node.sh job SLICES K OUT         the split job: K fragments SLICES/0..K-1, each its own
#                                           process started here by launch_fragment, all at once;
#                                           makespan = first start to the last fragment's exit;
#                                           OUT/i.bz2 and OUT/i.stats (omx run --stats-json)
#
# Needs omx (mosrun) on PATH.
set -euo pipefail
now_ns() { date +%s%N; }

# launch_fragment SLICE OUT STATS: one fragment, one migratable process started on this node.
# The only place that says how fragments are placed: `mosrun -b`, placement at start by omxd
# (op "place": the best node now, each choice shown at once so a burst spreads), then the
# automatic balancer. OMX_THESIS_LAUNCH overrides the command (words, split on spaces; it must
# accept --stats-json FILE before the program, as omx run and mosrun do), e.g.
# "omx run --balance" (balancing only, no placement at start).
#
# With a 4th argument NODE (OMX_THESIS_PLACE, see thesis_bench.sh) the fragment is instead
# started without balancing and moved to NODE by `migrate` as soon as its dynamic loader is done:
# placement at start by hand, what `mosrun -b` is to do, for comparison. Not earlier: a process
# moved while ld.so still maps its libraries goes home at the next file mmap ("mmap is made at
# home"); the loader is taken as done once the program has read more than the ELF headers
# (rchar > 4096 in /proc/PID/io: bzip2 reads its input 5000 bytes at a time). Even then some
# fragments moved this early go home at their next mmap (seen: 1 of 8 at K = 8, 7 of 32 at K =
# 32, in stats' went_home); moved seconds later by the balancer they do not.
launch_fragment() {
  local launch=${OMX_THESIS_LAUNCH:-mosrun -b}
  if [ -n "${4:-}" ]; then
    omx run --stats-json "$3" -- bzip2 -9 -c "$1" > "$2" &
    local p=$! i rchar
    if [ "$4" != 1 ]; then
      for ((i = 0; i < 400; i++)); do
        rchar=$(awk '/^rchar:/ {print $2}' "/proc/$p/io" 2>/dev/null) || break
        if [ "${rchar:-0}" -gt 4096 ]; then
          migrate "$p" "$4" > /dev/null 2>&1 && break
        fi
        sleep 0.05
      done
    fi
    wait "$p"
    return
  fi
  # shellcheck disable=SC2086  # the override is a word list on purpose
  $launch --stats-json "$3" -- bzip2 -9 -c "$1" > "$2"
}

case "${1:-}" in
  base)
    input=$2 out=$3
    t0=$(now_ns)
    bzip2 -9 -c "$input" > "$out"
    t1=$(now_ns)
    echo "{\"s\":$(( (t1 - t0) / 1000 ))e-6}"
    ;;
  job)
    slices=$2 k=$3 out=$4
    mkdir -p "$out"
    pids=()
    t0=$(now_ns)
    read -r -a place <<< "${OMX_THESIS_PLACE:-}"
    for ((i = 0; i < k; i++)); do
      launch_fragment "$slices/$i" "$out/$i.bz2" "$out/$i.stats" "${place[i]:-}" &
      pids+=($!)
    done
    t_started=$(now_ns)
    failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
    t1=$(now_ns)
    echo "{\"s\":$(( (t1 - t0) / 1000 ))e-6,\"start_s\":$(( (t_started - t0) / 1000 ))e-6,\"failed\":$failed}"
    ;;
  *) echo "usage: thesis_node.sh base INPUT OUT | job SLICES K OUT" >&2; exit 2 ;;
esac
