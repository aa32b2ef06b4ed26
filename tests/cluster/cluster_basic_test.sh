# A 3-node namespaced cluster: bring-up, what exec sees (own address, private /tmp, the
# node's control socket), TCP between nodes, exec passing stdin/stdout/stderr/exit status/
# signals through without a process in between, status, and a clean, idempotent down.
source "$(dirname "$0")/lib.sh"
need_root

new_dir D
veths_before=$(ip -o link show type veth | wc -l)
log "up"
up "$D" --nodes 3 | grep -q "^cluster [0-9]* up: 3 nodes" || fail "up did not report 3 nodes"
c=$(cluster_index "$D")
net=198.18.$c
[ -f "$D/openmosix.map" ] && grep -q "^1 $net.1 3$" "$D/openmosix.map" || fail "bad map: $(cat "$D/openmosix.map")"
[ "$(stat -c %a "$D/cluster.key")" = 600 ] || fail "cluster.key is not mode 600"
grep -Eqx '[0-9a-f]{64}' "$D/cluster.key" || fail "cluster.key is not 64 hex digits"
[ "$(ip -o link show type veth | wc -l)" -eq "$veths_before" ] || fail "up created veths in the host namespace"

log "each node sees only its own address"
for i in 1 2 3; do
  addrs=$(x "$D" $i ip -4 -o addr show | awk '{print $4}' | sort | tr '\n' ' ')
  [ "$addrs" = "127.0.0.1/8 $net.$i/24 " ] || fail "node $i sees addresses: $addrs"
done

log "private /tmp"
x "$D" 1 bash -c "echo one > /tmp/omx-private.$$"
[ "$(cat "$D/node1/tmp/omx-private.$$")" = one ] || fail "node 1's /tmp is not $D/node1/tmp"
x "$D" 2 test ! -e "/tmp/omx-private.$$" || fail "node 2 sees node 1's /tmp file"
[ ! -e "/tmp/omx-private.$$" ] || fail "the host sees node 1's /tmp file"

log "TCP between nodes reaches omxd"
for pair in "1 2" "2 3" "3 1"; do
  set -- $pair
  x "$D" $1 timeout 5 bash -c "echo > /dev/tcp/$net.$2/4660" || fail "node $1 cannot reach node $2's omxd"
done
for _ in $(seq 50); do grep -q "connection from $net.1:" "$D/node2/omxd.log" && break; sleep 0.1; done
grep -q "connection from $net.1:" "$D/node2/omxd.log" || fail "node 2's omxd did not log node 1's connection"

log "control socket of each node"
for i in 1 2 3; do
  [ "$(x "$D" $i "$OMX" control ping)" = "{\"ok\":true,\"node\":$i}" ] || fail "ping on node $i"
done
[ "$(x "$D" 2 printenv OMX_CONTROL)" = "@omx/omxd" ] || fail "OMX_CONTROL on node 2"
x "$D" 1 "$OMX" control node id=3 | grep -q "\"addr\":\"$net.3\"" || fail "node op"

log "exec passes stdin, stdout, stderr, exit status and signals through"
[ "$(echo piped | x "$D" 3 cat)" = piped ] || fail "stdin/stdout"
[ "$(x "$D" 1 bash -c 'echo oops >&2' 2>&1 >/dev/null)" = oops ] || fail "stderr"
expect_rc 42 x "$D" 2 bash -c 'exit 42'
expect_rc 143 x "$D" 2 bash -c 'kill -TERM $$'
expect_rc 127 x "$D" 1 /nonexistent/command
out=$(mktemp)
"$OMX" cluster exec --dir "$D" 1 -- sh -c 'echo $$' > "$out" &
wait $!
[ "$(cat "$out")" = "$!" ] || fail "exec left a process between omx and the command ($(cat "$out") vs $!)"
rm -f "$out"
(cd / && [ "$(x "$D" 1 pwd)" = / ]) || fail "cwd"
expect_rc 1 x "$D" 9 true

log "status"
"$OMX" cluster status --dir "$D" | grep -Eq "^2 +$net.2 +[0-9]+ +alive +omx${c}n2" || fail "status"
"$OMX" cluster status --dir "$D" --json | python3 -c \
  'import json,sys; j=json.load(sys.stdin); assert all(n["alive"] for n in j["nodes"]) and len(j["nodes"]) == 3' ||
  fail "status --json"

log "down"
pids=$(omxd_pids "$D")
"$OMX" cluster down --dir "$D"
check_cluster_gone "$D" "$c" "$pids"
grep -q "SIGTERM: shutting down" "$D/node1/omxd.log" || fail "omxd did not shut down on SIGTERM"
[ "$(ip -o link show type veth | wc -l)" -eq "$veths_before" ] || fail "veths left in the host namespace"
"$OMX" cluster down --dir "$D" | grep -q "nothing to do" || fail "second down is not a no-op"
expect_rc 4 "$OMX" cluster status --dir "$D"
echo PASS
