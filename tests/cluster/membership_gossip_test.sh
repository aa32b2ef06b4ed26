# Gossip of load records on a 16-node namespaced cluster (issue 3 points 4-6):
#   - every node holds a record of every other node, younger than the down threshold (5 s), with
#     speed, CPUs, memory and load filled in (the distribution of record ages is a benchmark:
#     bench/membership_bench.sh; this test checks function, not speed);
#   - mosctl settings travel: block on node 2 and setspeed 20000 on node 3 are seen by node 16;
#     getload/getspeed/getmem/getfree/getutil/isup answer for a remote node;
#   - settings survive a restart of the daemons (cluster down, up again on the same directory).
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH

new_dir D
up "$D" --nodes 16 --timeout 60 >/dev/null
sleep 3

# check_all: every node has every other node up with a fresh, complete record.
check_all() {
  local n out
  for n in $(seq 1 16); do
    out=$(x "$D" $n omx control nodes | python3 -c '
import json, sys
j = json.load(sys.stdin)
bad = []
for e in j["nodes"]:
    if e["self"]:
        continue
    if e["state"] != "up":
        bad.append("%d is %s" % (e["id"], e["state"]))
    elif "record_age_ms" not in e:
        bad.append("no record of %d" % e["id"])
    elif e["record_age_ms"] >= 5000 or e["speed"] < 1 or e["ncpus"] < 1 or e["mem_total"] <= 0:
        bad.append("record of %d: %s" % (e["id"], e))
if len(j["nodes"]) != 16:
    bad.append("%d nodes in the table" % len(j["nodes"]))
print("; ".join(bad))')
    [ -z "$out" ] || fail "node $n: $out"
  done
}

log "16 nodes: every node has a fresh record of every other"
check_all

log "mosctl settings travel with the records"
x "$D" 2 mosctl block
x "$D" 3 mosctl setspeed 20000
for ((i = 0; i < 50; i++)); do
  s2=$(x "$D" 16 mosctl status 2 | sed -n 's/.*block: \([a-z]*\).*/\1/p')
  s3=$(x "$D" 16 mosctl getspeed 3)
  [ "$s2" = yes ] && [ "$s3" = 20000 ] && break
  sleep 0.1
done
[ "$s2" = yes ] || fail "node 16 sees node 2's block as '$s2'"
[ "$s3" = 20000 ] || fail "node 16 sees node 3's speed as '$s3'"
for c in getload getmem getfree getutil; do
  v=$(x "$D" 16 mosctl $c 5) || fail "mosctl $c 5 failed"
  [[ "$v" =~ ^[0-9]+$ ]] || fail "mosctl $c 5 printed '$v'"
done
[ "$(x "$D" 16 mosctl isup 5)" = yes ] || fail "mosctl isup 5 is not yes"
expect_rc 1 x "$D" 16 mosctl isup 99

log "settings survive a restart"
"$OMX" cluster down --dir "$D" >/dev/null
up "$D" --nodes 16 --timeout 60 >/dev/null
[ "$(x "$D" 2 mosctl status | sed -n 's/.*block: \([a-z]*\).*/\1/p')" = yes ] || fail "node 2 forgot block"
sleep 2
[ "$(x "$D" 1 mosctl getspeed 3)" = 20000 ] || fail "node 3 forgot its speed (node 1 sees $(x "$D" 1 mosctl getspeed 3))"
check_all
echo PASS
