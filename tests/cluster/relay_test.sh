# omx on / the relay session (relay/client.h, relay/server.h) on two nodes, and renice of a
# migrated process reaching its body:
#  - from node 1, `omx on 2 -- omx ps --json` runs on node 2 as root (node 2's table); so does
#    relay::run_on (relay_test_client), for node 2 and for node 1 itself;
#  - as nobody a root-only mosctl setting fails with exactly the message and exit code of the
#    same mosctl run as nobody on node 2 directly;
#  - as nobody `kill -STOP` of a root process on node 2 fails (and it is not stopped); as root
#    `kill -0` of it works;
#  - a process homed on node 2 (mosrun) is migrated by `omx on 2 -- omx migrate PID 1`, and
#    `omx where` on node 2 says 1;
#  - `renice -n 7 -p PID` at home (node 2) shows nice 7 on the body on node 1 within seconds; as
#    nobody, through omx on, lowering it again is refused;
#  - an ordinary user (nobody) migrates and renices its own process through omx on as itself
#    (the home supervisor's channels come from omxd's broker); another user may not migrate it;
#  - refusals: a command not on the whitelist (3), a non-root caller (3), a node not in the
#    map (4), each with one line on stderr.
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH

new_dir D
up "$D" --nodes 2 >/dev/null
T2=$D/node2/tmp

log "omx on 2 -- omx ps --json (as root)"
x "$D" 1 omx on 2 -- omx ps --json > "$D/ps.json" 2> "$D/ps.err" || fail "omx on 2 -- omx ps --json: $(cat "$D/ps.err")"
json_get "$D/ps.json" 'j["node"]' | grep -qx 2 || fail "omx ps ran on node $(json_get "$D/ps.json" 'j["node"]'), not 2"

log "relay::run_on (the dashboard's call): node 2, and this node through its own omxd"
x "$D" 1 "$OMX_TEST_PROGRAMS/relay_test_client" 2 0 0 -- omx ps --json > "$D/ro2.json" ||
  fail "run_on 2: $(cat "$D/ro2.json")"
json_get "$D/ro2.json" 'j["node"]' | grep -qx 2 || fail "run_on 2 ran on node $(json_get "$D/ro2.json" 'j["node"]')"
x "$D" 1 "$OMX_TEST_PROGRAMS/relay_test_client" 1 65534 65534 -- omx ps --json > "$D/ro1.json" ||
  fail "run_on 1: $(cat "$D/ro1.json")"
json_get "$D/ro1.json" 'j["node"]' | grep -qx 1 || fail "run_on 1 ran on node $(json_get "$D/ro1.json" 'j["node"]')"
rc=0
x "$D" 1 "$OMX_TEST_PROGRAMS/relay_test_client" 2 0 0 -- bash -c true 2> "$D/ro.err" || rc=$?
[ "$rc" -eq 99 ] && grep -q "may not be run" "$D/ro.err" || fail "run_on bash: exit $rc: $(cat "$D/ro.err")"

log "a root-only mosctl setting as nobody: the same refusal as on node 2 directly"
rc_direct=0
x "$D" 2 setpriv --reuid=65534 --regid=65534 --clear-groups omx mosctl block > "$D/direct.out" 2> "$D/direct.err" ||
  rc_direct=$?
rc_on=0
x "$D" 1 omx on 2 --user nobody -- omx mosctl block > "$D/on.out" 2> "$D/on.err" || rc_on=$?
[ "$rc_direct" -ne 0 ] || fail "mosctl block as nobody on node 2 succeeded"
[ "$rc_on" -eq "$rc_direct" ] || fail "omx on --user nobody: exit $rc_on, directly: $rc_direct"
cmp -s "$D/on.err" "$D/direct.err" || fail "omx on --user nobody said '$(cat "$D/on.err")', directly '$(cat "$D/direct.err")'"
grep -q "only root" "$D/on.err" || fail "unexpected refusal: $(cat "$D/on.err")"

log "kill -STOP of a root process on node 2 as nobody fails"
victim=$(json_get "$D/cluster.json" '[n["pid"] for n in j["nodes"] if n["id"] == 2][0]')  # node 2's omxd
rc=0
x "$D" 1 omx on 2 --user nobody -- kill -STOP "$victim" 2> "$D/kill.err" || rc=$?
[ "$rc" -ne 0 ] || fail "nobody could kill -STOP root's process $victim on node 2"
grep -q "not permitted" "$D/kill.err" || fail "kill as nobody: $(cat "$D/kill.err")"
state=$(awk '{print $3}' "/proc/$victim/stat")
[ "$state" != T ] || fail "process $victim is stopped"
x "$D" 1 omx on 2 -- kill -0 "$victim" || fail "root's kill -0 $victim through omx on failed"

log "refusals"
rc=0
x "$D" 1 omx on 2 -- sh -c true 2> "$D/r.err" || rc=$?
[ "$rc" -eq 3 ] && [ "$(wc -l < "$D/r.err")" -eq 1 ] || fail "omx on 2 -- sh: exit $rc: $(cat "$D/r.err")"
rc=0
x "$D" 1 setpriv --reuid=65534 --regid=65534 --clear-groups omx on 2 -- omx ps 2> "$D/r.err" || rc=$?
[ "$rc" -eq 3 ] && [ "$(wc -l < "$D/r.err")" -eq 1 ] || fail "omx on as nobody: exit $rc: $(cat "$D/r.err")"
grep -q "only root" "$D/r.err" || fail "omx on as nobody: $(cat "$D/r.err")"
rc=0
x "$D" 1 omx on 9 -- omx ps 2> "$D/r.err" || rc=$?
[ "$rc" -eq 4 ] && [ "$(wc -l < "$D/r.err")" -eq 1 ] || fail "omx on 9: exit $rc: $(cat "$D/r.err")"

log "migrate a process homed on node 2 through omx on 2"
x "$D" 2 bash -c 'cd /tmp; mosrun -L sleep 60 & echo $! > pid; wait' >/dev/null 2>&1 &
BG_PIDS+=($!)
for ((i = 0; i < 100; i++)); do [ -s "$T2/pid" ] && break; sleep 0.05; done
pid=$(cat "$T2/pid") || fail "mosrun did not start"
BG_PIDS+=("$pid")
for ((i = 0; i < 100; i++)); do x "$D" 2 omx where "$pid" >/dev/null 2>&1 && break; sleep 0.05; done
x "$D" 1 omx on 2 -- omx migrate "$pid" 1 || fail "omx on 2 -- omx migrate $pid 1 failed"
w=$(x "$D" 2 omx where "$pid") || fail "omx where $pid failed"
[ "$w" = 1 ] || fail "omx where $pid says '$w', not 1"

log "renice at home reaches the body on node 1"
body=
for ((i = 0; i < 40; i++)); do
  x "$D" 1 omx ps --json > "$D/ps1.json" || fail "omx ps --json on node 1 failed"
  body=$(python3 - "$D/ps1.json" "$pid" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
g = [r for r in j["processes"] if r["guest"] and r["home_pid"] == int(sys.argv[2])]
print(g[0]["pid"] if g else "")
PY
)
  [ -n "$body" ] && break
  sleep 0.1
done
[ -n "$body" ] || fail "no guest for $pid in omx ps on node 1: $(cat "$D/ps1.json")"
nice_of() { awk '{print $19}' "/proc/$1/stat"; }
[ "$(nice_of "$body")" = 0 ] || fail "the body starts at nice $(nice_of "$body")"
x "$D" 2 renice -n 7 -p "$pid" >/dev/null || fail "renice at home failed"
for ((i = 0; i < 50; i++)); do [ "$(nice_of "$body")" = 7 ] && break; sleep 0.1; done
[ "$(nice_of "$body")" = 7 ] || fail "the body (pid $body on node 1) has nice $(nice_of "$body"), not 7, 5 s after renice at home"
echo "body $body on node 1: nice $(nice_of "$body")"
rc=0
x "$D" 1 omx on 2 --user nobody -- renice -n 0 -p "$pid" > /dev/null 2> "$D/renice.err" || rc=$?
[ "$rc" -ne 0 ] || fail "nobody could renice root's process $pid"
x "$D" 1 omx on 2 -- renice -n 3 -p "$pid" >/dev/null || fail "renice through omx on as root failed"
for ((i = 0; i < 50; i++)); do [ "$(nice_of "$body")" = 3 ] && break; sleep 0.1; done
[ "$(nice_of "$body")" = 3 ] || fail "the body has nice $(nice_of "$body"), not 3, after renice through omx on"

kill -KILL "$pid" 2>/dev/null || true

log "an ordinary user's own process: migrated and reniced through omx on as that user"
x "$D" 2 bash -c 'cd /tmp; mkdir -p u; chown 65534:65534 u; cd u
  setpriv --reuid=65534 --regid=65534 --clear-groups mosrun -L sleep 61 & echo $! > ../upid; wait' \
  >/dev/null 2>&1 &
BG_PIDS+=($!)
for ((i = 0; i < 100; i++)); do [ -s "$T2/upid" ] && break; sleep 0.05; done
upid=$(cat "$T2/upid") || fail "mosrun as nobody did not start"
BG_PIDS+=("$upid")
for ((i = 0; i < 100; i++)); do x "$D" 2 omx where "$upid" >/dev/null 2>&1 && break; sleep 0.05; done
rc=0
x "$D" 1 omx on 2 --user 65533 -- omx migrate "$upid" 1 2> "$D/other.err" || rc=$?
[ "$rc" -eq 3 ] || fail "another user migrated nobody's process through omx on (exit $rc): $(cat "$D/other.err")"
x "$D" 1 omx on 2 --user nobody -- omx migrate "$upid" 1 || fail "nobody could not migrate its own process through omx on"
[ "$(x "$D" 2 omx where "$upid")" = 1 ] || fail "nobody's process is not on node 1"
ubody=
for ((i = 0; i < 40; i++)); do
  ubody=""
  for b in $(ip netns pids "omx$(cluster_index "$D")n1"); do
    [ "$(cat "/proc/$b/comm" 2>/dev/null)" = sleep ] || continue
    [ "$(awk '$1 == "Uid:" {print $2}' "/proc/$b/status" 2>/dev/null)" = 65534 ] && { ubody=$b; break; }
  done
  [ -n "$ubody" ] && break
  sleep 0.1
done
[ -n "$ubody" ] || fail "no body of nobody's sleep on node 1"
x "$D" 1 omx on 2 --user nobody -- renice -n 5 -p "$upid" >/dev/null || fail "nobody could not renice its own process"
for ((i = 0; i < 50; i++)); do [ "$(nice_of "$ubody")" = 5 ] && break; sleep 0.1; done
[ "$(nice_of "$ubody")" = 5 ] || fail "nobody's body (pid $ubody) has nice $(nice_of "$ubody"), not 5"
kill -KILL "$upid" 2>/dev/null || true
echo PASS
