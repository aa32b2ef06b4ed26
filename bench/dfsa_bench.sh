#!/usr/bin/env bash
# bench/dfsa_bench.sh BUILD_DIR [SIZE_MIB]: DFSA's first step (docs/mfs-dfsa-design.md §3.6)
# in figures. A 2-node namespaced cluster whose nodes share /var/tmp/omx-dfsa-bench.*/shared
# (the same host directory on every node: a real shared directory) as their DFSA directory.
# A migrated process (tests/programs/dfsa_copy, moved to node 2 after opening its input at
# home) reads a SIZE MiB file (default 64) in 4 KiB reads, twice in the same run:
#   off  the file through a hard link outside the shared directory: every read is forwarded
#   on   the same file under the shared directory: its fd is lent to the body, reads run on 2
# and natively (no move) as the baseline. Then DFSA on /mfs (design §6): the cluster also has
# /mfs (--mfs), each node's private /tmp holds a copy of the file, and the process reads
#   /mfs/2 native     /mfs/2/tmp/data, never moved: every read goes through FUSE to node 2
#   /mfs/1 moved      /mfs/1/tmp/data after the move to node 2: forwarded home, read there
#                     through home's /mfs (node 1's own files): no DFSA for another node's files
#   /mfs/2 moved      /mfs/2/tmp/data after the move to node 2: lent to the body as /tmp/data
# Printed: elapsed time of the reads, ratio off/on,
# home CPU (deputy + home supervisor, utime+stime from /proc while the program waits at its
# end), forwarded system calls (omx run --stats-json). Needs root (exit 77 without).
set -euo pipefail
BUILD=$(cd "${1:?usage: dfsa_bench.sh BUILD_DIR [SIZE_MIB]}" && pwd)
MIB=${2:-64}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export PATH=$BUILD/bin:$PATH
P=$BUILD/tests/programs
W=$(mktemp -d /var/tmp/omx-dfsa-bench.XXXXXX)
C=$(mktemp -d /tmp/omx-dfsa-bench-cluster.XXXXXX)
trap 'omx cluster down --dir "$C" >/dev/null 2>&1 || true; rm -rf "$W" "$C"' EXIT
mkdir -p "$W/shared" "$W/off"
chmod 755 "$W"
head -c $((MIB << 20)) /dev/urandom > "$W/shared/data"
ln "$W/shared/data" "$W/off/data"
omx cluster up --dir "$C" --nodes 2 --dfsa-dir "$W/shared" --mfs >/dev/null
for n in 1 2; do
  cp "$W/shared/data" "$C/node$n/tmp/data"
  for i in $(seq 100); do
    omx cluster exec --dir "$C" $n -- grep -q ' /mfs .*fuse.omxmfs' /proc/self/mountinfo && break
    [ "$i" -lt 100 ] || { echo "node $n: /mfs not mounted"; exit 1; }
    sleep 0.1
  done
done

# run FILE MOVE: prints "ms home_cpu_ticks forwarded"
run() {
  omx cluster exec --dir "$C" 1 -- env P="$P" F="$1" MOVE="$2" bash -c '
    cd /tmp
    rm -f go.* stats out
    omx run --stats-json stats -- "$P/dfsa_copy" "$F" - 4096 1 go > out < /dev/null &
    pid=$!
    until grep -q ^ready out 2>/dev/null; do sleep 0.01; done
    [ "$MOVE" = 0 ] || migrate $pid 2 >/dev/null
    sup=$(awk "/^TracerPid:/ {print \$2}" /proc/$pid/status)
    cpu() { awk "{print \$14 + \$15}" /proc/$1/stat 2>/dev/null || echo 0; }
    c0=$(( $(cpu $pid) + $(cpu $sup) ))
    t0=$(date +%s%N)
    touch go.1
    until grep -q "^step 1" out 2>/dev/null; do sleep 0.005; done
    t1=$(date +%s%N)
    until grep -q "^done" out 2>/dev/null; do sleep 0.005; done
    c1=$(( $(cpu $pid) + $(cpu $sup) ))
    touch go.end
    wait $pid
    for i in $(seq 100); do [ -s stats ] && break; sleep 0.05; done
    fwd=$(python3 -c "import json; print(json.load(open(\"stats\"))[\"forwarded_syscalls\"])")
    echo "$(( (t1 - t0) / 1000000 )) $((c1 - c0)) $fwd"'
}
hz=$(getconf CLK_TCK)
read -r ms_nat cpu_nat fwd_nat < <(run "$W/shared/data" 0)
read -r ms_off cpu_off fwd_off < <(run "$W/off/data" 1)
read -r ms_on cpu_on fwd_on < <(run "$W/shared/data" 1)
read -r ms_mn cpu_mn fwd_mn < <(run /mfs/2/tmp/data 0)
read -r ms_m1 cpu_m1 fwd_m1 < <(run /mfs/1/tmp/data 1)
read -r ms_m2 cpu_m2 fwd_m2 < <(run /mfs/2/tmp/data 1)
python3 - "$MIB" "$hz" "$ms_nat" "$cpu_nat" "$fwd_nat" "$ms_off" "$cpu_off" "$fwd_off" "$ms_on" "$cpu_on" "$fwd_on" \
  "$ms_mn" "$cpu_mn" "$fwd_mn" "$ms_m1" "$cpu_m1" "$fwd_m1" "$ms_m2" "$cpu_m2" "$fwd_m2" <<'PY'
import sys
mib, hz = int(sys.argv[1]), int(sys.argv[2])
rows = [("native (no move)",) + tuple(map(int, sys.argv[3:6])),
        ("migrated, DFSA off",) + tuple(map(int, sys.argv[6:9])),
        ("migrated, DFSA on",) + tuple(map(int, sys.argv[9:12])),
        ("/mfs/2 native (FUSE)",) + tuple(map(int, sys.argv[12:15])),
        ("/mfs/1 moved (fwd)",) + tuple(map(int, sys.argv[15:18])),
        ("/mfs/2 moved (DFSA)",) + tuple(map(int, sys.argv[18:21]))]
print(f"DFSA bench: {mib} MiB read in 4 KiB reads ({mib * 256} reads) by a process moved to node 2")
print(f"{'':22} {'elapsed ms':>10} {'MiB/s':>8} {'home CPU ms':>12} {'forwarded':>10}")
for name, ms, ticks, fwd in rows:
    print(f"{name:22} {ms:>10} {mib / max(ms, 1) * 1000:>8.1f} {ticks * 1000 // hz:>12} {fwd:>10}")
off, on = rows[1], rows[2]
tick = 1000 // hz
cpu = (f"{off[2] / on[2]:.1f}x" if on[2] else
       f">= {off[2]}x (on: below one {tick} ms clock tick)")
print(f"ratio off/on: elapsed {off[1] / max(on[1], 1):.2f}x, home CPU {cpu}, "
      f"forwarded calls {off[3]} -> {on[3]}")
mn, m1, m2 = rows[3], rows[4], rows[5]
print(f"/mfs: moved /mfs/1 (forwarded) / moved /mfs/2 (DFSA) elapsed {m1[1] / max(m2[1], 1):.2f}x, "
      f"forwarded calls {m1[3]} -> {m2[3]}; native through FUSE / moved DFSA "
      f"{mn[1] / max(m2[1], 1):.2f}x; moved DFSA / native local file {m2[1] / max(rows[0][1], 1):.2f}x")
PY
