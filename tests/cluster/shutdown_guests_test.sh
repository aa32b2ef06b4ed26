# A node that shuts down cleanly first sends its guests home (issue 4 point 2; MOSIX
# `mosctl shutdown`):
#   1. SIGTERM to node 2's omxd, two guests there: both go home to node 1, keep running and end
#      with complete, correct output; omxd exits only after they left (its log says so) and
#      node 1 then sees node 2 leave.
#   2. `mosctl shutdown` on node 2 whose guest cannot go home (fault guest.go_home), omxd
#      --shutdown-timeout 4: new guests are refused meanwhile ("shutting down", exit 3); after
#      4 s omxd logs the guest it leaves running and exits, mosctl exits 1; the process goes on
#      on node 2, comes home with `migrate PID home` and ends with complete output.
#   3. Same fault on node 3, SIGTERM twice: omxd stops at the second one, well before 4 s.
# Also: mosctl shutdown is root only (exit 3).
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH
P=$OMX_TEST_PROGRAMS

omxd_pid() { json_get "$1/cluster.json" "j['nodes'][$2 - 1]['pid']"; }
# wait_gone PID SECONDS: fails unless PID is gone within SECONDS; prints how long it took.
wait_gone() {
  local t0=$SECONDS i
  for ((i = 0; i < $2 * 20; i++)); do
    pid_gone "$1" && { echo $((SECONDS - t0)); return 0; }
    sleep 0.05
  done
  fail "pid $1 still runs after $2 s"
}

log "SIGTERM: the guests go home first, then omxd leaves"
new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp
x "$D" 1 bash -c '
  cd /tmp
  mosrun -L "$0" 7 > o1 2>&1 & a=$!
  mosrun -L "$0" 7 > o2 2>&1 & b=$!
  echo "$a $b" > pids
  wait $a; ra=$?; wait $b; rb=$?
  echo "$ra$rb" > rcs' "$P/demo_primes" &
for ((i = 0; i < 100; i++)); do [ -s "$T/pids" ] && break; sleep 0.05; done
read -r a b < "$T/pids"
sleep 0.3
x "$D" 1 migrate "$a" 2 && x "$D" 1 migrate "$b" 2 || fail "could not migrate to node 2"
before=$(x "$D" 1 omx where "$a")$(x "$D" 1 omx where "$b")
[ "$before" = 22 ] || fail "before: where gave '$before', want 22"
sleep 1
user=0; x "$D" 2 setpriv --reuid=65534 mosctl shutdown 2>/dev/null || user=$?
[ "$user" = 3 ] || fail "mosctl shutdown by another user exited $user, want 3"
o2=$(omxd_pid "$D" 2)
lines_before=$(wc -l < "$T/o1")
kill -TERM "$o2"
took=$(wait_gone "$o2" 20)
after=$(x "$D" 1 omx where "$a")$(x "$D" 1 omx where "$b")
[ "$after" = 11 ] || fail "after node 2 stopped: where gave '$after', want 11"
for ((i = 0; i < 40; i++)); do [ "$(x "$D" 1 mosctl isup 2)" = no ] && break; sleep 0.05; done
[ "$(x "$D" 1 mosctl isup 2)" = no ] || fail "node 1 still sees node 2 up"
wait
[ "$(cat "$T/rcs")" = 00 ] || fail "exit statuses $(cat "$T/rcs"), want 00"
check_primes_output "$T/o1"
check_primes_output "$T/o2"
[ "$(wc -l < "$T/o1")" -gt $((lines_before + 5)) ] || fail "no progress after node 2 stopped"
L=$D/node2/omxd.log
grep -q 'SIGTERM: clean shutdown' "$L" || fail "node 2's log has no clean shutdown: $(tail -5 "$L")"
grep -q 'sending 2 guests away' "$L" || fail "node 2's log does not say it sent 2 guests away"
gone=$(grep -n 'all guests left in' "$L" | cut -d: -f1)
stop=$(grep -n 'SIGTERM: shutting down' "$L" | cut -d: -f1)
[ -n "$gone" ] && [ -n "$stop" ] && [ "$gone" -lt "$stop" ] ||
  fail "node 2's log: the guests did not leave before it stopped: $(tail -8 "$L")"
echo "    node 2's omxd exited ${took}s after SIGTERM; $(grep -o 'all guests left in.*' "$L")"

log "mosctl shutdown: a guest that cannot go home is left running after --shutdown-timeout"
WRAP=$(mktemp -d "$P/shutdown.XXXXXX")  # not under /tmp: nodes have their own
trap 'cleanup; rm -rf "$WRAP"' EXIT
printf '#!/bin/sh\nexec %q --shutdown-timeout 4 "$@"\n' "$OMX_BIN/omxd" > "$WRAP/omxd"
chmod +x "$WRAP/omxd"
new_dir D
OMX_FAULT=guest.go_home up "$D" --nodes 3 --omxd "$WRAP/omxd" >/dev/null
T=$D/node1/tmp
x "$D" 1 bash -c '
  cd /tmp
  mosrun -L "$0" 14 > o1 2>&1 & a=$!
  mosrun -L "$0" 14 > o2 2>&1 & b=$!
  mosrun -L "$0" 14 > o3 2>&1 & c=$!
  echo "$a $b $c" > pids
  wait $a; ra=$?; wait $b; rb=$?; wait $c; rc=$?
  echo "$ra$rb$rc" > rcs' "$P/demo_primes" &
for ((i = 0; i < 100; i++)); do [ -s "$T/pids" ] && break; sleep 0.05; done
read -r a b c < "$T/pids"
sleep 0.3
x "$D" 1 migrate "$a" 2 && x "$D" 1 migrate "$c" 3 || fail "could not migrate"
o2=$(omxd_pid "$D" 2)
sd=0; sd_t0=$SECONDS; x "$D" 2 mosctl shutdown > "$T/sd.out" 2> "$T/sd.err" & sdpid=$!
sleep 1
refused=0; x "$D" 1 migrate "$b" 2 2> "$T/refused.err" || refused=$?
wait "$sdpid" || sd=$?
sd_took=$((SECONDS - sd_t0))
took=$(wait_gone "$o2" 10)
[ "$refused" = 3 ] || fail "a migrate to the node shutting down exited $refused, want 3"
grep -q 'node 2 is shutting down' "$T/refused.err" || fail "refusal said: $(cat "$T/refused.err")"
[ "$sd" = 1 ] || fail "mosctl shutdown exited $sd, want 1 (a guest left running): $(cat "$T/sd.out" "$T/sd.err")"
grep -q '1 guest still here, left running' "$T/sd.err" || fail "mosctl shutdown said: $(cat "$T/sd.out" "$T/sd.err")"
L=$D/node2/omxd.log
grep -q 'mosctl shutdown (pid [0-9]*): clean shutdown' "$L" || fail "node 2's log: $(tail -5 "$L")"
grep -q 'guest supervisor pid [0-9]* (connection from .*) did not leave within 4 s: left running' "$L" ||
  fail "node 2's log does not name the guest left behind: $(tail -5 "$L")"
# The guest left running holds none of omxd's sockets (a forked child inherits them all): only
# its channel home. Else mosctl, asking a control socket nobody serves, waits for its timeout.
g=$(sed -n 's/.*guest supervisor pid \([0-9]*\) .*did not leave.*/\1/p' "$L")
socks=$(ls -l "/proc/$g/fd" | grep -c 'socket:' || true)
[ "$socks" = 1 ] || fail "the guest left running (pid $g) holds $socks sockets, want 1 (its channel)"
[ "$sd_took" -le 6 ] || fail "mosctl shutdown took ${sd_took}s with a 4 s timeout"
where=$(x "$D" 1 omx where "$a")
[ "$where" = 2 ] || fail "the guest left behind is on node '$where', want 2 (still running there)"
x "$D" 1 migrate "$a" home || fail "could not bring the guest left behind home"
[ "$(x "$D" 1 omx where "$a")" = 1 ] || fail "the guest left behind did not come home"
echo "    node 2's omxd exited after the 4 s timeout (+${took}s)"

log "SIGTERM twice: omxd stops at the second one"
o3=$(omxd_pid "$D" 3)
kill -TERM "$o3"
sleep 0.5
pid_gone "$o3" && fail "node 3's omxd did not wait for its guest"
t0=$(date +%s%N)
kill -TERM "$o3"
wait_gone "$o3" 2 >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
L=$D/node3/omxd.log
grep -q 'SIGTERM during the clean shutdown: stopping now' "$L" || fail "node 3's log: $(tail -5 "$L")"
grep -q 'still here at the second signal (SIGTERM): left running' "$L" ||
  fail "node 3's log does not name the guest left behind: $(tail -5 "$L")"
x "$D" 1 migrate "$c" home || fail "could not bring node 3's guest home"
wait
[ "$(cat "$T/rcs")" = 000 ] || fail "exit statuses $(cat "$T/rcs"), want 000"
for i in 1 2 3; do check_primes_output "$T/o$i"; done
echo "    node 3's omxd exited ${ms} ms after the second SIGTERM"
echo PASS
