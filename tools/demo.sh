#!/usr/bin/env bash
# ./run demo: start a local 3-node cluster, run a program with mosrun on node 1, move it to
# node 2, node 3 and home while it keeps printing to this terminal; then, on three nodes of one
# core each, start three CPU-bound programs on node 1 and watch the cluster spread them by
# itself (automatic balancing); tear down.
set -euo pipefail
BUILD=${1:?build dir}
BIN=$BUILD/bin
export PATH=$BIN:$PATH
DIR=$(mktemp -d /tmp/omx-demo.XXXXXX)
DIR2=$(mktemp -d /tmp/omx-demo.XXXXXX)
cleanup() {
  omx cluster down --dir "$DIR" >/dev/null 2>&1 || true
  omx cluster down --dir "$DIR2" >/dev/null 2>&1 || true
  rm -rf "$DIR" "$DIR2"
}
trap cleanup EXIT
echo "== starting a 3-node local cluster in $DIR (with the web dashboard on every node)"
omx cluster up --nodes 3 --dir "$DIR" --dashboard
omx cluster status --dir "$DIR" || true
# The dashboard listens on 127.0.0.1:8750 inside each node's network namespace (the host's
# namespace is not touched, so a browser on the host cannot reach it directly): show it from
# node 1, and print how to open it (docs/dashboard.md "Local clusters").
NS1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0].get("netns") or "")' "$DIR/cluster.json")
# Until it answers and every node's first load record has arrived (gossip, about a second).
for _ in $(seq 50); do
  omx cluster exec --dir "$DIR" 1 -- curl -sf http://127.0.0.1:8750/api/v1/cluster 2>/dev/null |
    python3 -c 'import json,sys; sys.exit(not all("load" in n for n in json.load(sys.stdin)["nodes"]))' && break
  sleep 0.2
done
echo "== web dashboard of node 1: http://127.0.0.1:8750/ in node 1's network namespace${NS1:+ ($NS1)}"
omx cluster exec --dir "$DIR" 1 -- curl -s http://127.0.0.1:8750/api/v1/cluster | python3 -c '
import json, sys
j = json.load(sys.stdin)
for n in j["nodes"]:
    print("   node %d %-4s load %5s  speed %5s  cpus %s" % (n["id"], "up" if n["up"] else "down", n.get("load"), n.get("speed"), n.get("ncpus")))
print("   cluster efficiency %.0f%%" % j["cluster"]["efficiency"])' || echo "   (the dashboard did not answer: see $DIR/node1/dashboard.log)"
echo "   to open it while a cluster runs:  omx cluster exec --dir DIR 1 -- omx dashboard url   (a login URL)"
if [ -n "$NS1" ]; then
  echo "   a browser inside the namespace:   sudo ip netns exec $NS1 runuser -u \$USER -- chromium URL"
  echo "   or the API with curl:             sudo ip netns exec $NS1 curl http://127.0.0.1:8750/api/v1/cluster"
fi
PROG=$BUILD/tests/programs/demo_primes
echo "== node 1: mosrun -L demo_primes 8   (locked: only we move it; its output stays on this terminal)"
omx cluster exec --dir "$DIR" 1 -- bash -c '
  mosrun -L "$0" 8 &
  pid=$!
  for to in 2 3 home; do
    sleep 1.5
    echo "== migrate $pid $to"
    migrate "$pid" "$to" || echo "   (migration refused or failed: see above)"
    echo "== omx where $pid -> node $(omx where "$pid" 2>/dev/null || echo "?")"
  done
  wait "$pid"
  echo "== demo_primes exited with status $?"
' "$PROG"
omx cluster down --dir "$DIR" >/dev/null

echo
echo "== automatic balancing: 3 nodes of one core each (omx cluster up --cpu 1,1,1)"
omx cluster up --nodes 3 --cpu 1,1,1 --dir "$DIR2" >/dev/null
for n in 1 2 3; do omx cluster exec --dir "$DIR2" $n -- mosctl setspeed 10000; done  # equal nodes
sleep 1.5
echo "== node 1: three times mosrun demo_primes 12 (output to files); where each runs, every second:"
omx cluster exec --dir "$DIR2" 1 -- bash -c '
  cd /tmp
  for i in 1 2 3; do mosrun "$0" 12 > out$i & pids+=" $!"; done
  for s in $(seq 14); do
    w=; for p in $pids; do w+=" $(omx where $p 2>/dev/null || echo -)"; done
    echo "   t=${s}s  nodes:$w"
    sleep 1
  done
  rc=; for p in $pids; do wait $p; rc+=" $?"; done
  echo "== exit statuses:$rc; last lines:"
  for i in 1 2 3; do tail -1 out$i; done
' "$PROG"
echo "== tearing the clusters down"
