#!/usr/bin/env bash
# (e) Gossip freshness on a real 16-node namespaced cluster (issue 3 point 4): every node's omxd
# is asked for its table every 250 ms for ~10 s (after 3 s of warm-up); each answer gives the age
# of the record it holds about each of the 15 others. Printed: median, p99 and max over all
# samples, beside the same engine in the simulator with the same parameters (16 nodes, 400 ms
# step, window 16, push-pull), run in the same bench. Target: the oldest record < 2 s.
# Usage: bench/membership_bench.sh BUILD_DIR [--quick]. Needs root (77 otherwise).
set -euo pipefail
BUILD=$(cd "${1:?usage: bench/membership_bench.sh BUILD_DIR [--quick]}" && pwd)
ROUNDS=40
[ "${2:-}" != --quick ] || ROUNDS=8
OMX=$BUILD/bin/omx
[ "$(id -u)" = 0 ] || { echo "membership bench: needs root (namespaced cluster)" >&2; exit 77; }
DIR=$(mktemp -d /var/tmp/omx-mbench.XXXXXX)
trap '"$OMX" cluster down --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
echo "== (e) gossip freshness, 16-node namespaced cluster" >&2
"$OMX" cluster up --nodes 16 --dir "$DIR" --timeout 60 >&2
sleep 3
for n in $(seq 1 16); do
  "$OMX" cluster exec --dir "$DIR" "$n" -- env PATH="$BUILD/bin:$PATH" /usr/bin/python3 -c '
import json, subprocess, sys, time
for _ in range(int(sys.argv[1])):
    out = subprocess.run(["omx", "control", "nodes"], capture_output=True, text=True).stdout
    for e in json.loads(out)["nodes"]:
        if not e["self"]:
            print(e.get("record_age_ms", -1))
    time.sleep(0.25)' "$ROUNDS" > "$DIR/ages.$n" &
done
wait
sim=$("$BUILD/bench/gossip_sim" --nodes 16 --step-ms 400 --measure-s 60 | tail -1)
cat "$DIR"/ages.* | python3 -c '
import sys
ages = sorted(int(x) for x in sys.stdin if x.strip())
missing = sum(1 for a in ages if a < 0)
ages = [a for a in ages if a >= 0]
def pct(p): return ages[min(len(ages) - 1, int(p * len(ages)))]
sim = sys.argv[1].split()
med, p99, mx = (float(v.rstrip("s")) * 1000 for v in sim[6:9])
print("gossip freshness, 16 nodes, step 400 ms, window 16, push-pull: %d samples (%d without a record)" % (len(ages), missing))
print("%-28s %10s %10s %10s" % ("", "median", "p99", "max"))
print("%-28s %8d ms %8d ms %8d ms" % ("real cluster (record age)", pct(0.5), pct(0.99), ages[-1]))
print("%-28s %8d ms %8d ms %8d ms" % ("simulator (true age)", med, p99, mx))
print("%-28s %10.2f %10.2f %10.2f" % ("ratio real/sim", pct(0.5) / med, pct(0.99) / p99, ages[-1] / mx))
print("target: oldest record < 2000 ms: %s" % ("met" if ages[-1] < 2000 and missing == 0 else "NOT met"))
' "$sim"
