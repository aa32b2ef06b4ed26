# Migration is a transaction (issue 2, "Must hold" 6): a fault at any step before the commit
# leaves the process running exactly once, where it was, with its output intact. One case per
# fault point (docs/fault-points.md), plus node 2's daemon and guests killed mid-transfer.
#   side home:  OMX_FAULT in the supervisor's environment (set for mosrun)
#   side guest: OMX_FAULT in node 2's omxd environment (inherited by its guest supervisors)
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH
ITER=120
# The program runs under a name of its own (a copy), so counting its processes machine-wide is
# not disturbed by other tests (a process away from home counts twice: deputy and body).
# Zombies do not count: a body whose guest died is reaped by the host's init, lazily.
NAME=zf$$ MEMNAME=zm$$
COPY=$(mktemp -d "$OMX_TEST_PROGRAMS/faults.XXXXXX")  # not under /tmp: nodes have their own
cp "$OMX_TEST_PROGRAMS/zdtm_files" "$COPY/$NAME"
cp "$OMX_TEST_PROGRAMS/zdtm_memory" "$COPY/$MEMNAME"
PROG=$COPY/$NAME
trap 'cleanup; rm -rf "$COPY"' EXIT

# run_case SIDE FAULT MOVES WANT_WHERE WANT_N: a fresh 2-node cluster (the fault armed on the
# given side), the program started on node 1 and moved 0.3 s later. MOVES is the shell code
# of the moves: the one expected to fail writes its stderr to migrate.err and sets mrc.
run_case() {
  local side=$1 fault=$2 moves=$3 D res
  new_dir D
  if [ "$side" = guest ]; then OMX_FAULT=$fault up "$D" --nodes 2 >/dev/null; else up "$D" --nodes 2 >/dev/null; fi
  res=$(x "$D" 1 env HOME_FAULT="$([ "$side" = home ] && echo "$fault")" MOVES="$moves" bash -c '
    cd /tmp
    OMX_FAULT=$HOME_FAULT mosrun -L "$0" "$1" > out.txt 2> err.txt &
    pid=$!
    sleep 0.3
    eval "$MOVES"
    wait "$pid"; rc=$?
    echo "mrc=$mrc where=$where n=$n rc=$rc"' "$PROG" "$ITER" "$NAME")
  check_result "$D" "$fault" "$res" 1 "$4" "$5"
}
# What is observed right after the failed move.
OBSERVE='where=$(omx where "$pid"); n=$(ps -C "$2" -o stat= | grep -vc "^Z")'

# case_out SIDE FAULT: migrate 2 must fail; the process stays home and finishes.
case_out() {
  log "out: $2 ($1)"
  run_case "$1" "$2" 'migrate "$pid" 2 2> migrate.err; mrc=$?; '"$OBSERVE" 1 1
}

# case_back SIDE FAULT: the move out works, the first move home fails (the process keeps
# running on node 2), the second succeeds.
case_back() {
  log "back: $2 ($1)"
  run_case "$1" "$2" 'migrate "$pid" 2 || echo "first move failed"
    migrate "$pid" home 2> migrate.err; mrc=$?; '"$OBSERVE"'
    migrate "$pid" home || echo "second move home failed"' 2 2
}

# check_result DIR FAULT RES WANT_MRC WANT_WHERE WANT_N
check_result() {
  local D=$1 fault=$2 res=$3 mrc where n rc
  echo "    $res"
  eval "$(echo "$res" | tail -1)"
  local T=$D/node1/tmp
  [ "$mrc" = "$4" ] || fail "$fault: migrate exited $mrc, want $4 ($(cat "$T/migrate.err"))"
  [ "$where" = "$5" ] || fail "$fault: process is on node '$where' after the failed move, want $5"
  [ "$n" = "$6" ] || fail "$fault: $n processes named zdtm_files, want $6 (lost or duplicated)"
  [ "$rc" = 0 ] || fail "$fault: program exited $rc: $(cat "$T/err.txt")"
  [ "$(grep -c '^line ' "$T/out.txt")" = "$ITER" ] || fail "$fault: output incomplete"
  [ "$(tail -1 "$T/out.txt")" = "done ok" ] || fail "$fault: program's self-check: $(tail -1 "$T/out.txt")"
  grep -q "$(echo "${fault%@*}")" "$T/migrate.err" "$D/node2/omxd.log" 2>/dev/null ||
    grep -q "fault point" "$D/node2/omxd.log" "$T/migrate.err" 2>/dev/null ||
    fail "$fault: the fault point did not fire (migrate said: $(cat "$T/migrate.err"))"
}

case_out home home.freeze
case_out home capture.state
case_out home home.offer
case_out home capture.pages
case_out home home.transfer
case_out home home.commit
case_out guest guest.restore
case_out guest restore.begin
case_out guest restore.pages
case_out guest restore.finish
case_out guest guest.page_run@2
case_back home home.come_home
case_back guest guest.go_home

log "after the commit: guest.after_commit (the target dies once the process lives there)"
# Past the commit the process lives on node 2 (as in openMosix, a target that dies takes it
# along): the deputy must die by SIGKILL so the parent learns it, and nothing may be left.
new_dir D
OMX_FAULT=guest.after_commit up "$D" --nodes 2 >/dev/null
res=$(x "$D" 1 bash -c '
  cd /tmp
  mosrun -L "$0" 300 > out.txt 2> err.txt &
  pid=$!
  sleep 0.3
  migrate "$pid" 2 2> migrate.err
  wait "$pid"; rc=$?
  sleep 0.2
  echo "rc=$rc n=$(ps -C "$1" -o stat= | grep -vc "^Z")"' "$PROG" "$NAME")
echo "    $res"
eval "$res"
[ "$rc" = 137 ] || fail "after_commit: program exited $rc, want 137 (SIGKILL)"
[ "$n" = 0 ] || fail "after_commit: $n processes left"

log "node 2's omxd and guests killed in the middle of a transfer"
new_dir D
up "$D" --nodes 2 >/dev/null
node2_omxd=$(json_get "$D/cluster.json" '[n["pid"] for n in j["nodes"] if n["id"] == 2][0]')
x "$D" 1 bash -c '
  cd /tmp
  mosrun -L "$0" 768 150 > out.txt 2> err.txt &
  pid=$!
  sleep 1
  touch /tmp/migrating
  migrate "$pid" 2 2> migrate.err; mrc=$?
  where=$(omx where "$pid"); n=$(ps -C "$1" -o stat= | grep -vc "^Z")
  wait "$pid"; rc=$?
  echo "mrc=$mrc where=$where n=$n rc=$rc" > result.txt' "$COPY/$MEMNAME" "$MEMNAME" &
runner=$!
for _ in $(seq 200); do [ -e "$D/node1/tmp/migrating" ] && break; sleep 0.02; done
sleep 0.15
kill -KILL "$node2_omxd" $(pgrep -P "$node2_omxd") 2>/dev/null || true
wait "$runner" || true
res=$(cat "$D/node1/tmp/result.txt")
echo "    $res"
eval "$res"
[ "$mrc" = 1 ] || fail "node killed: migrate exited $mrc, want 1"
[ "$where" = 1 ] || fail "node killed: process on node '$where', want 1"
[ "$n" = 1 ] || fail "node killed: $n processes, want 1"
[ "$rc" = 0 ] || fail "node killed: program exited $rc (its self-check failed)"
echo PASS
