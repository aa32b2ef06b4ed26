# Discovery on the namespaced cluster (issue 3 point 3): nodes find each other by authenticated
# multicast announcements. Measures and checks:
#   - a node started with a map holding only itself (id 33, with its own address in node 3's
#     namespace, beside node 3's omxd) is in the
#     tables of nodes 1 and 2, as "discovered" and up, within 2 s of starting, and has them in
#     its own table;
#   - a node stopped cleanly (SIGTERM: it announces "leaving") and a node killed (SIGKILL: it
#     just falls silent) are marked down in the others' tables within 5 s;
#   - showmap prints the table in openMosix rows;
#   - omdiscd (-i IF, daemonised) starts omxd whose id is the last two octets of IF's address.
# Prints the measured times as "MEASURED ..." lines.
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH

new_dir D
up "$D" --nodes 3 >/dev/null
C=$(cluster_index "$D")
pids=($(omxd_pids "$D"))

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_state NODE ID STATE SOURCE LIMIT_MS: polls node NODE's table until node ID has STATE;
# prints the time it was seen (ms, wall clock) or "never".
wait_state() {
  x "$D" "$1" env ${CTRL:+OMX_CONTROL=$CTRL} /usr/bin/python3 -c '
import json, subprocess, sys, time
node, state, source, limit = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
end = time.time() + limit / 1000
while time.time() < end:
    out = subprocess.run(["omx", "control", "nodes"], capture_output=True, text=True).stdout
    try:
        nodes = json.loads(out)["nodes"]
    except (ValueError, KeyError):
        nodes = []
    if any(n["id"] == node and n["state"] == state and n["source"] == source for n in nodes):
        print(int(time.time() * 1000))
        sys.exit()
    time.sleep(0.02)
print("never")' "$2" "$3" "$4" "$5"
}

# kill_and_time SIG PID ID SOURCE TAG: sends SIG to PID (node ID's omxd) and checks that nodes 1
# and 2 mark node ID down within 5 s; prints the times.
kill_and_time() {
  local t0 t n
  t0=$(now_ms)
  kill -"$1" "$2"
  for n in 1 2; do
    t=$(wait_state $n "$3" down "$4" 7000)
    [ "$t" != never ] || fail "node $n still has node $3 up 7 s after SIG$1"
    echo "MEASURED down_after_$5 node$n: $((t - t0)) ms"
    [ $((t - t0)) -le 5000 ] || fail "node $n marked node $3 down after $((t - t0)) ms, want <= 5000"
  done
}

log "all three nodes up in every table"
for n in 1 2 3; do
  for m in 1 2 3; do
    [ $n = $m ] && continue
    [ "$(wait_state $n $m up map 3000)" != never ] || fail "node $n does not see node $m up"
  done
done

log "a new node (id 33, map of itself only) starts in node 3's namespace (beside node 3)"
T3=$D/node3/tmp
echo "33 198.18.$C.33 1" > "$T3/self.map"
# Its own address on node 3's link, so it uses the standard ports like a real machine would.
dev=$(x "$D" 3 ip -o -4 addr show | awk -v a="198.18.$C.3/" 'index($4, a) == 1 {print $2}')
x "$D" 3 ip addr add "198.18.$C.33/16" dev "$dev" || fail "cannot add node 33's address"
install -m 600 "$D/cluster.key" "$T3/cluster.key"  # the cluster dir may be under the hidden /tmp
t0=$(now_ms)
x "$D" 3 bash -c 'omxd --foreground --node-id 33 --map /tmp/self.map --key /tmp/cluster.key --discovery \
  --control @omx/omxd33 --speed 10000 > /tmp/omxd33.log 2>&1 & echo $! > /tmp/omxd33.pid; wait' &
for n in 1 2; do
  t=$(wait_state $n 33 up discovered 4000)
  [ "$t" != never ] || { cat "$T3/omxd33.log"; fail "node $n never saw node 33"; }
  echo "MEASURED join node33 in node$n's table: $((t - t0)) ms (from the start of omxd)"
  [ $((t - t0)) -le 2000 ] || fail "node $n saw node 33 after $((t - t0)) ms, want <= 2000"
done
for m in 1 2 3; do
  t=$(CTRL=@omx/omxd33 wait_state 3 $m up discovered 4000)
  [ "$t" != never ] || fail "node 33 never saw node $m"
  echo "MEASURED join node$m in node33's table: $((t - t0)) ms (from the start of omxd)"
  [ $((t - t0)) -le 2000 ] || fail "node 33 saw node $m after $((t - t0)) ms, want <= 2000"
done
out=$(x "$D" 3 env OMX_CONTROL=@omx/omxd33 showmap)
echo "$out"
grep -q '^My Node-Id: 0x0021$' <<<"$out" || fail "showmap on node 33: wrong own id"
grep -qE "^0x0021 +198\.18\.$C\.33 +1$" <<<"$out" || fail "showmap on node 33: no own row first"
grep -qE "^0x0001 +198\.18\.$C\.1 +3$" <<<"$out" || fail "showmap on node 33: nodes 1-3 not folded into one row"

log "omdiscd on an interface of its own (macvlan on node 3's link): id from the address"
x "$D" 3 ip link add omx-mv0 link "$dev" type macvlan mode bridge || fail "cannot make a macvlan"
x "$D" 3 ip addr add "198.18.$C.34/16" dev omx-mv0
x "$D" 3 ip link set omx-mv0 up
id34=$((C * 256 + 34))
t0=$(now_ms)
x "$D" 3 omdiscd -i omx-mv0 --key /tmp/cluster.key --control @omx/omxd34 --state-dir /tmp/s34 \
  --log /tmp/omxd34.log \
  > "$T3/omdiscd.out" 2>&1 || { cat "$T3/omdiscd.out"; fail "omdiscd did not start"; }
grep -q '^omdiscd: omxd running' "$T3/omdiscd.out" || fail "omdiscd said: $(cat "$T3/omdiscd.out")"
t=$(wait_state 1 $id34 up discovered 4000)
[ "$t" != never ] || fail "node 1 never saw node $id34 (198.18.$C.34)"
echo "MEASURED join node$id34 (omdiscd) in node1's table: $((t - t0)) ms (from the start of omdiscd)"
[ "$(x "$D" 3 env OMX_CONTROL=@omx/omxd34 mosctl whois)" = "This is openMosix #$id34" ] ||
  fail "omdiscd's node does not call itself #$id34"
x "$D" 3 env OMX_CONTROL=@omx/omxd34 omx control ping >/dev/null || fail "omdiscd's omxd does not answer"
pkill -TERM -f 'omxd34' || true

log "node 33 is killed (SIGKILL: no goodbye)"
kill_and_time KILL "$(cat "$T3/omxd33.pid")" 33 discovered sigkill
log "node 3 stops cleanly (SIGTERM)"
kill_and_time TERM "${pids[2]}" 3 map sigterm

wait
echo PASS
