# The web dashboard in a real browser on a real cluster (web/test/cluster.mjs does the
# clicking): `omx cluster up --nodes 3 --dashboard` (omxd's HTTP server on 127.0.0.1:8750 in
# every node's namespace, the collector on node 1), a CPU-bound demo_primes started with
# `mosrun -h` on node 1 (at home, locked: balancing leaves it where the test puts it), and
# Debian's chromium, driven by playwright-core, inside node 1's namespace. Screenshots of every
# view go to $OMX_BUILD/web-shots/cluster/ (on failure too). Skips only without root or network
# namespaces (a missing chromium is a failure: tools/deps.sh installs it).
source "$(dirname "$0")/lib.sh"
need_root
unshare --net true 2>/dev/null || skip "network namespaces are not permitted here"
export PATH=$OMX_BIN:$PATH
[ -x "${OMX_CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium (tools/deps.sh installs it)"
[ -f "$OMX_BUILD/web/index.html" ] || fail "no dashboard in $OMX_BUILD/web (the web target builds it)"
[ -d "$OMX_SRC/web/node_modules/playwright-core" ] || fail "no playwright-core in $OMX_SRC/web/node_modules (the web target's npm ci)"

new_dir D
up "$D" --nodes 3 --cpu 1,1,1 --dashboard >/dev/null
for i in 1 2 3; do x "$D" $i mosctl setspeed 10000; done
T=$D/node1/tmp

log "demo_primes at home on node 1"
x "$D" 1 bash -c 'cd /tmp; mosrun -h "$1" 900 >primes.out 2>&1 & echo $! >pid.tmp; mv pid.tmp pid; wait' _ \
  "$OMX_TEST_PROGRAMS/demo_primes" >"$D/mosrun.out" 2>&1 &
BG_PIDS+=($!)
for ((i = 0; i < 100; i++)); do [ -s "$T/pid" ] && break; sleep 0.05; done
pid=$(cat "$T/pid")
[ -n "$pid" ] || fail "mosrun did not start"

log "chromium in node 1's namespace"
rc=0
x "$D" 1 node "$OMX_SRC/web/test/cluster.mjs" --url http://127.0.0.1:8750 --pid "$pid" --omx "$OMX_BIN/omx" \
  --shots "$OMX_BUILD/web-shots/cluster" || rc=$?
x "$D" 1 kill "$pid" 2>/dev/null || true
if [ "$rc" != 0 ]; then
  for i in 1 2 3; do
    echo "--- node $i omxd.log and dashboard.log (tails)"
    tail -n 15 "$D/node$i/omxd.log" "$D/node$i/dashboard.log" 2>/dev/null || true
  done
  fail "the browser test failed (screenshots in $OMX_BUILD/web-shots/cluster/)"
fi
echo PASS
