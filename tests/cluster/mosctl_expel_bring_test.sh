# mosctl expel and bring act on migrated processes (issue 3 point 6):
#   - expel on node 2 sends both guests there home, blocks further guests (a migrate to node 2 is
#     then refused with exit 3), and the programs finish with complete output;
#   - bring on node 1 brings home a process of node 1 running on node 3 and sets lstay;
#   - both are root only (exit 3 for another user).
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH
P=$OMX_TEST_PROGRAMS

new_dir D
up "$D" --nodes 3 >/dev/null
T=$D/node1/tmp

# The programs are children of a shell on node 1 (so their exit statuses are known); the
# steering happens from here, node by node.
x "$D" 1 bash -c '
  cd /tmp
  mosrun -L "$0" 8 > o1 2>&1 & a=$!
  mosrun -L "$0" 8 > o2 2>&1 & b=$!
  mosrun -L "$0" 8 > o3 2>&1 & c=$!
  echo "$a $b $c" > pids
  wait $a; ra=$?; wait $b; rb=$?; wait $c; rc=$?
  echo "$ra$rb$rc" > rcs' "$P/demo_primes" &
for ((i = 0; i < 100; i++)); do [ -s "$T/pids" ] && break; sleep 0.05; done
read -r a b c < "$T/pids"
sleep 0.5
where() { local p out=; for p; do out+=$(x "$D" 1 omx where "$p"); done; echo "$out"; }
x "$D" 1 migrate "$a" 2 && x "$D" 1 migrate "$b" 2 && x "$D" 1 migrate "$c" 3 || fail "could not set up the migrations"
before=$(where $a $b $c)
# Node 2's gossip record counts its two guests (seen from node 1 within 3 s).
guests2=
for ((i = 0; i < 30; i++)); do
  guests2=$(x "$D" 1 omx control '{"op":"nodes"}' |
    python3 -c 'import json,sys; print([n.get("guests") for n in json.load(sys.stdin)["nodes"] if n["id"] == 2][0])')
  [ "$guests2" = 2 ] && break
  sleep 0.1
done
user_expel=0; x "$D" 2 setpriv --reuid=65534 mosctl expel 2>/dev/null || user_expel=$?
expel=0; x "$D" 2 mosctl expel > "$T/expel.out" || expel=$?
after_expel=$(where $a $b)
blocked=0; x "$D" 1 migrate "$a" 2 2>/dev/null || blocked=$?
user_bring=0; x "$D" 1 setpriv --reuid=65534 mosctl bring 2>/dev/null || user_bring=$?
bring=0; x "$D" 1 mosctl bring > "$T/bring.out" || bring=$?
after_bring=$(where $c)
lstay=$(x "$D" 1 mosctl status | sed -n 's/.*lstay: \([a-z]*\).*/\1/p')
wait
rcs=$(cat "$T/rcs")
[ "$before" = 223 ] || fail "before: where gave '$before', want 223"
[ "$guests2" = 2 ] || fail "node 1 sees $guests2 guests on node 2 in its gossip record, want 2"
[ "$user_expel" = 3 ] || fail "expel by another user exited $user_expel, want 3"
[ "$expel" = 0 ] || fail "mosctl expel exited $expel"
grep -q '^expelled 2 guests' "$T/expel.out" || fail "expel said: $(cat "$T/expel.out")"
[ "$after_expel" = 11 ] || fail "after expel: where gave '$after_expel', want 11"
[ "$blocked" = 3 ] || fail "a migrate to the expelling node exited $blocked, want 3 (blocked)"
[ "$user_bring" = 3 ] || fail "bring by another user exited $user_bring, want 3"
[ "$bring" = 0 ] || fail "mosctl bring exited $bring"
grep -q '^brought home 1 process' "$T/bring.out" || fail "bring said: $(cat "$T/bring.out")"
[ "$after_bring" = 1 ] || fail "after bring: where gave '$after_bring', want 1"
[ "$lstay" = yes ] || fail "bring did not set lstay"
[ "$rcs" = 000 ] || fail "exit statuses $rcs, want 000"
for i in 1 2 3; do grep -q 'done:' "$T/o$i" || fail "program $i: output incomplete: $(tail -2 "$T/o$i")"; done
echo PASS
