# mosrun placement and balancing of processes that are away (issue 4): on three equal nodes
# (one core each, speeds set equal):
#  - mosrun -ID starts on node ID, locked (omxd runs at nice -5, the guest at 0); -jLIST on one
#    of the list; -ID -l unlocked; an
#    unknown node fails with exit 4 and one line, unless -F (then anywhere); bad flags exit 2;
#  - three `mosrun -b` CPU-bound starts on node 1 end on three different nodes at once
#    (omxd's "place" shows each choice before the next start asks);
#  - a guest on an overloaded node moves on to an idle third node by itself (the guest
#    supervisor's balancer asks home), and a guest locked while away (omx lock) stays;
#  - migrate PID balance moves a locked process to the idle node and leaves it there when
#    asked again.
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH

new_dir D
up_equal "$D" 3
T=$D/node1/tmp

where() { x "$D" 1 omx where "$1" 2>/dev/null || echo -; }
locked() { x "$D" 1 omx where --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock"])'; }
# wait_where PID WANTED-REGEX SECONDS: until `omx where PID` matches.
wait_where() {
  local w
  for ((i = 0; i < $3 * 10; i++)); do
    w=$(where "$1")
    [[ $w =~ ^($2)$ ]] && return 0
    sleep 0.1
  done
  echo "pid $1 is on node '$w', not $2 (after $3 s)" >&2
  return 1
}
# start NAME ARGS...: mosrun ARGS in node 1's /tmp, in the background; its pid in $T/NAME.
start() {
  local name=$1
  shift
  rm -f "$T/$name"
  # (not on our stdout: the caller's $(...) would wait for the program to end)
  x "$D" 1 bash -c 'cd /tmp; n=$1; shift; mosrun "$@" & echo $! > $n.tmp; mv $n.tmp $n; wait' _ "$name" "$@" \
    >"$D/$name.out" 2>&1 &
  for ((i = 0; i < 100; i++)); do [ -s "$T/$name" ] && break; sleep 0.05; done
  cat "$T/$name"
}
HOG=(sh -c 'while :; do :; done')

log "placement flags"
out=$(x "$D" 1 mosrun -7 true 2>&1) && fail "mosrun -7 succeeded"
x "$D" 1 mosrun -7 true >/dev/null 2>&1 || [ $? = 4 ] || fail "mosrun -7: exit $? (want 4)"
[ "$(wc -l <<<"$out")" = 1 ] && grep -q "node 7 is not in the cluster map" <<<"$out" || fail "mosrun -7 said: $out"
expect_rc 2 x "$D" 1 mosrun -x true
expect_rc 2 x "$D" 1 mosrun -F true
expect_rc 2 x "$D" 1 mosrun -L
a=$(start a -2 sleep 30)
b=$(start b -j2-3 -l sleep 30)
c=$(start c -7 -F sleep 30)
wait_where "$a" 2 5 || fail "mosrun -2 did not start on node 2"
[ "$(locked "$a")" = True ] || fail "mosrun -2 is not locked"
# omxd runs at nice -5 (it must answer on a loaded node); the guest it hosts at 0.
o2=$(json_get "$D/cluster.json" 'j["nodes"][1]["pid"]')
body=$(sed -n "s/.*running home pid $a as local pid \([0-9]*\).*/\1/p" "$D/node2/omxd.log")
[ "$(ps -o ni= -p "$o2" | tr -d ' ')" = -5 ] || fail "node 2's omxd runs at nice $(ps -o ni= -p "$o2")"
[ -n "$body" ] && [ "$(ps -o ni= -p "$body" | tr -d ' ')" = 0 ] || fail "the guest body ($body) runs at nice '$(ps -o ni= -p "$body" 2>&1)'"
wait_where "$b" '2|3' 5 || fail "mosrun -j2-3 did not start on node 2 or 3"
[ "$(locked "$b")" = False ] || fail "mosrun -j2-3 -l is locked"
[ "$(where "$c")" != - ] || fail "mosrun -7 -F is not running"
x "$D" 1 kill "$a" "$b" "$c"

log "mosrun -b: a burst of three starts spreads at once"
sleep 2  # the sleepers' pending loads and records settle
b1=$(start b1 -b "${HOG[@]}")
b2=$(start b2 -b "${HOG[@]}")
b3=$(start b3 -b "${HOG[@]}")
for ((i = 0; i < 30; i++)); do
  w="$(where "$b1") $(where "$b2") $(where "$b3")"
  [ "$(tr ' ' '\n' <<<"$w" | grep -v -- - | sort -u | wc -l)" = 3 ] && break
  sleep 0.1
done
echo "MEASURED mosrun -b x3: where = $w"
[ "$(tr ' ' '\n' <<<"$w" | grep -v -- - | sort -u | wc -l)" = 3 ] || fail "mosrun -b x3 did not spread: $w"
on() { local p; for p in $b1 $b2 $b3; do [ "$(where "$p")" != "$1" ] || echo "$p"; done; }
n1=$(on 1) n2=$(on 2) n3=$(on 3)

log "a guest moves on from a busy node to an idle one; a guest locked while away stays"
x "$D" 1 omx lock "$n2" || fail "omx lock of the guest $n2 on node 2 failed"
g=$(start g -2 -l "${HOG[@]}")
wait_where "$g" 2 5 || fail "mosrun -2 -l did not start on node 2"
x "$D" 1 kill "$n3"  # node 3 idle; node 2 runs two
t0=$(date +%s%N)
wait_where "$g" 3 20 || { grep -h balance "$D"/node*/omxd.log "$D"/node*/*.log 2>/dev/null | tail; fail "the guest did not move on to node 3"; }
echo "MEASURED guest 2 -> 3 after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[ "$(where "$n2")" = 2 ] || fail "the locked guest $n2 moved to $(where "$n2")"
[ "$(where "$n1")" = 1 ] || fail "$n1 left node 1"

log "migrate PID balance"
x "$D" 1 kill "$g"
x "$D" 1 omx lock "$n1"
h=$(start h -h "${HOG[@]}")  # node 1 now runs two locked processes; node 3 is idle
wait_where "$h" 1 3 || fail "mosrun -h is not at home"
sleep 2.5  # node 1's load shows both, node 3's record shows it idle
r=$(x "$D" 1 migrate --json "$h" balance) || fail "migrate $h balance failed"
[ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["where"])' "$r")" = 3 ] || fail "migrate balance: $r (want node 3)"
r=$(x "$D" 1 migrate --json "$h" balance) || fail "second migrate $h balance failed"
[ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["where"])' "$r")" = 3 ] || fail "second migrate balance moved it: $r"
[ "$(where "$n1")" = 1 ] || fail "$n1 left node 1"
expect_rc 2 x "$D" 1 migrate "$h" balanc
x "$D" 1 kill "$h" "$n1" "$n2"
wait
echo PASS
