# A bring-up that fails (omxd exits at once, omxd never gets ready, building a node's network
# fails) exits non-zero with one clear message and leaves nothing behind.
source "$(dirname "$0")/lib.sh"
need_root

# no_trace DIR: nothing of a failed `up` in DIR is left anywhere.
no_trace() {
  [ ! -e "$1/cluster.json" ] || fail "cluster.json left behind"
  ! grep -qxs "$1" /run/omx/clusters/* || fail "index still claimed for $1"
  ! grep -q " $1/" /proc/self/mountinfo || fail "mount left behind"
  check_no_orphan_netns
}

log "omxd exits at once"
new_dir D
rc=0
msg=$("$OMX" cluster up --dir "$D" --nodes 3 --omxd /bin/false 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "up with /bin/false exited $rc"
[ "$(echo "$msg" | wc -l)" -eq 1 ] || fail "more than one line: $msg"
echo "$msg" | grep -q "^omx cluster up: node 1: omxd (pid [0-9]*) exited with status 1 before it was ready" ||
  fail "unclear message: $msg"
no_trace "$D"

log "omxd never gets ready"
new_dir D
start=$(date +%s)
rc=0
msg=$("$OMX" cluster up --dir "$D" --nodes 2 --omxd "$OMX_TEST_PROGRAMS/never_ready_omxd" \
      --timeout 1 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "up with a never-ready omxd exited $rc"
echo "$msg" | grep -q "was not ready within 1000 ms" || fail "unclear message: $msg"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "timeout and clean-up took too long"
pid=$(echo "$msg" | sed -n 's/.*omxd (pid \([0-9]*\)).*/\1/p')
[ -n "$pid" ] || fail "no pid in: $msg"
pid_gone "$pid" || fail "the never-ready omxd (pid $pid) still runs"
no_trace "$D"

log "up interrupted while waiting (SIGTERM)"
new_dir D
"$OMX" cluster up --dir "$D" --nodes 2 --omxd "$OMX_TEST_PROGRAMS/never_ready_omxd" \
  --timeout 20 > "$D.out" 2>&1 &
up_pid=$!
BG_PIDS+=("$up_pid")
for _ in $(seq 100); do [ -e "$D/node2/omxd.log" ] && break; sleep 0.05; done
sleep 0.2
kill -TERM "$up_pid"
rc=0
wait "$up_pid" || rc=$?
msg=$(cat "$D.out"); rm -f "$D.out"
[ $rc -eq 1 ] || fail "interrupted up exited $rc: $msg"
echo "$msg" | grep -q "interrupted by SIGTERM" || fail "unclear message: $msg"
no_trace "$D"

log "building the second node's network fails"
new_dir D
rc=0
msg=$(OMX_FAULT=cluster.up.node_network@2 "$OMX" cluster up --dir "$D" --nodes 3 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "up with a failing network step exited $rc"
echo "$msg" | grep -q "node 2: .*injected fault" || fail "unclear message: $msg"
no_trace "$D"

log "bad arguments"
expect_rc 2 "$OMX" cluster up --dir "$D" --nodes 0
expect_rc 2 "$OMX" cluster up --nodes 2
expect_rc 1 "$OMX" cluster up --dir "$D" --nodes 2 --omxd /nonexistent/omxd
echo PASS
