# setpe against a running 2-node cluster: -r prints the map, -c checks good and bad maps
# without applying them, -w (file and stdin) adds and removes nodes in the running omxd without
# a restart, and the nodes op shows each new map at once; a bad map changes nothing; -off takes
# the node out (no table: the nodes op lists only itself; wire connections refused) and -w
# brings it back; -p must name this node; non-root callers are refused (3), bad usage is 2,
# no omxd is 4.
source "$(dirname "$0")/lib.sh"
need_root
SETPE=$OMX_BIN/setpe

new_dir D
up "$D" --nodes 2 --no-discovery >/dev/null   # the map alone decides who is in the table
c=$(cluster_index "$D")
net=198.18.$c
pids_before=$(omxd_pids "$D")
T=$D/node1/tmp   # node 1's /tmp: files there are /tmp/... for setpe on node 1
# node_ids NODE: the ids the nodes op of NODE's omxd lists, space separated
node_ids() {
  x "$D" "$1" "$OMX" control nodes |
    python3 -c 'import json,sys; print(" ".join(str(n["id"]) for n in json.load(sys.stdin)["nodes"]))'
}
# expect_out WANT CMD...: CMD succeeds and prints exactly WANT
expect_out() {
  local want=$1 got
  shift
  got=$("$@") || fail "'$*' failed"
  [ "$got" = "$want" ] || fail "'$*' printed '$got', expected '$want'"
}

log "-r prints the running map in map-file syntax"
expect_out "1 $net.1 2" x "$D" 1 "$SETPE" -r
expect_out "1 $net.1 2" x "$D" 1 "$OMX" setpe -r
x "$D" 2 "$SETPE" -r -f /tmp/saved.map
[ "$(cat "$D/node2/tmp/saved.map")" = "1 $net.1 2" ] || fail "-r -f: $(cat "$D/node2/tmp/saved.map")"

log "-c checks only"
printf '# three nodes\n1 %s.1 3\n' "$net" > "$T/add.map"
printf '1 %s.1 1\n2 %s.1 1\n' "$net" "$net" > "$T/bad.map"
expect_out "/tmp/add.map: ok: 3 nodes (1-3)" x "$D" 1 "$SETPE" -c -f /tmp/add.map
expect_out "stdin: ok: 3 nodes (1-3), this node #1" x "$D" 1 "$SETPE" -w -c -p 1 < "$T/add.map"
err=$(x "$D" 1 "$SETPE" -c -f /tmp/bad.map 2>&1) && fail "-c accepted a bad map"
[ "$err" = "setpe: /tmp/bad.map:2: address $net.1 already belongs to node 1 (line 1)" ] ||
  fail "-c on a bad map said: $err"
expect_rc 1 x "$D" 1 "$SETPE" -c -f /tmp/bad.map 2>/dev/null
expect_rc 1 x "$D" 1 "$SETPE" -c -p 9 -f /tmp/add.map 2>/dev/null
[ "$(node_ids 1)" = "1 2" ] || fail "-c changed the map: $(node_ids 1)"

log "-w -f adds a node"
out=$(x "$D" 1 "$SETPE" -w -f /tmp/add.map)
[ "$out" = "omx configuration changed: This is omx #1 (of 3 configured)
nodes added: 3; removed: -; changed: -" ] || fail "-w printed: $out"
[ "$(node_ids 1)" = "1 2 3" ] || fail "after adding: $(node_ids 1)"
x "$D" 1 "$OMX" control node id=3 | grep -q "\"addr\":\"$net.3\"" || fail "node op for node 3"
expect_out "1 $net.1 3" x "$D" 1 "$SETPE" -r
grep -q "node 3 joined (added to map) at $net.3" "$D/node1/omxd.log" || fail "no join log"
[ "$(node_ids 2)" = "1 2" ] || fail "node 2's map changed too: $(node_ids 2)"

log "a bad map changes nothing"
expect_rc 1 x "$D" 1 "$SETPE" -w -f /tmp/bad.map 2>/dev/null
printf '1 %s.1 1\n3 %s.3 1\n' "$net" "$net" > "$T/noself.map"
printf '1 %s.1 1\n2 %s.2 1\n' "$net" "$net" > "$T/two.map"
err=$(x "$D" 2 "$SETPE" -w < "$T/noself.map" 2>&1) && fail "node 2 took a map without itself"
echo "$err" | grep -q "this node's id 2 is not in the new map" || fail "no-self error: $err"
[ "$(node_ids 1)" = "1 2 3" ] || fail "a bad map changed node 1's table: $(node_ids 1)"

log "-w from stdin removes nodes; the daemon logs that they left"
printf '1 %s.1 1\n' "$net" | x "$D" 1 "$SETPE" -w >/dev/null
[ "$(node_ids 1)" = "1" ] || fail "after removing: $(node_ids 1)"
for n in 2 3; do
  grep -q "node $n left (removed from map)" "$D/node1/omxd.log" || fail "no 'node $n left' log"
done
x "$D" 1 "$SETPE" -w -f /tmp/two.map | grep -q "nodes added: 2; removed: -" || fail "re-adding node 2"
[ "$(node_ids 1)" = "1 2" ] || fail "after re-adding: $(node_ids 1)"

log "-p must be this node's id; a map must keep this node's address"
err=$(x "$D" 1 "$SETPE" -p 2 2>&1) && fail "-p 2 accepted on node 1"
[ "$err" = "setpe: this node is omx #1 (omxd --node-id 1); to become #2 restart omxd with --node-id 2" ] ||
  fail "-p error: $err"
printf '1 %s.7 1\n2 %s.2 1\n' "$net" "$net" > "$T/moved.map"
err=$(x "$D" 1 "$SETPE" -w -f /tmp/moved.map 2>&1) && fail "node 1 took a map moving it"
echo "$err" | grep -q "node 1 is at $net.7 in the new map, but this omxd listens on $net.1" ||
  fail "moved error: $err"
expect_out "omx configuration unchanged: This is omx #1 (of 2 configured)" x "$D" 1 "$SETPE" -p 1

log "-off: the node leaves, refuses wire connections, and -w brings it back"
expect_out "omx #2 left the cluster (map cleared; setpe -w loads one again)" x "$D" 2 "$SETPE" -off
[ "$(node_ids 2)" = "2" ] || fail "after -off: $(node_ids 2) (want only itself)"
[ "$(x "$D" 2 "$SETPE" -r 2>/dev/null)" = "" ] || fail "-r after -off printed a map"
x "$D" 2 "$SETPE" -r 2>&1 | grep -q "not configured" || fail "-r after -off did not say so"
x "$D" 1 timeout 5 bash -c "echo > /dev/tcp/$net.2/4660" || true
for _ in $(seq 50); do grep -q "refused: this node left the cluster" "$D/node2/omxd.log" && break; sleep 0.1; done
grep -q "connection from $net.1:[0-9]* refused: this node left the cluster" "$D/node2/omxd.log" ||
  fail "node 2 did not refuse a connection after -off"
x "$D" 2 "$SETPE" -w -f /tmp/saved.map >/dev/null || fail "rejoining"
[ "$(node_ids 2)" = "1 2" ] || fail "after rejoining: $(node_ids 2)"

log "refused, usage, no daemon"
if command -v setpriv >/dev/null; then
  expect_rc 3 x "$D" 1 setpriv --reuid 65534 --regid 65534 --clear-groups "$SETPE" -off 2>/dev/null
  x "$D" 1 setpriv --reuid 65534 --regid 65534 --clear-groups "$SETPE" -r >/dev/null ||
    fail "-r as a user"
fi
expect_rc 2 "$SETPE" -r -w 2>/dev/null
expect_rc 2 "$SETPE" 2>/dev/null
expect_rc 4 "$SETPE" -r --control "@omx/setpe-test-none.$$" 2>/dev/null
"$SETPE" --help | grep -q -- "-off" || fail "--help"

log "same omxd processes throughout"
[ "$(omxd_pids "$D")" = "$pids_before" ] || fail "omxd pids changed"
for p in $pids_before; do ! pid_gone "$p" || fail "omxd $p died"; done
[ "$(x "$D" 1 "$OMX" control ping)" = '{"ok":true,"node":1}' ] || fail "ping"
echo PASS
