# `down` cleans up whatever state the cluster is in: processes left running in the node
# namespaces, an omxd that crashed, a harness that died halfway through `up` (fault points
# cluster.up.die_after_network and cluster.up.die_after_launch); and it is idempotent.
source "$(dirname "$0")/lib.sh"
need_root

log "leftover processes and a crashed omxd"
new_dir D
up "$D" --nodes 2 >/dev/null
c=$(cluster_index "$D")
pids=$(omxd_pids "$D")
# A daemonised process on node 1 (its own session, no terminal, outlives exec).
x "$D" 1 setsid -f sleep 300 </dev/null >/dev/null 2>&1
sleeper=$(x "$D" 1 pgrep -n -x sleep)
[ -n "$sleeper" ] || fail "no sleeper"
# Crash node 2's omxd.
kill -KILL "${pids#* }"
for _ in $(seq 50); do pid_gone "${pids#* }" && break; sleep 0.1; done
expect_rc 4 "$OMX" cluster status --dir "$D" >/dev/null
rc=0
msg=$(x "$D" 2 true 2>&1) || rc=$?
[ $rc -eq 4 ] || fail "exec on a node whose omxd died exited $rc"
echo "$msg" | grep -q "node 2: its omxd (pid [0-9]*) is not running" || fail "unclear message: $msg"
"$OMX" cluster down --dir "$D"
pid_gone "$sleeper" || fail "process $sleeper left in node 1's namespaces"
check_cluster_gone "$D" "$c" "$pids"

log "harness died after building the network"
new_dir D
rc=0
OMX_FAULT=cluster.up.die_after_network "$OMX" cluster up --dir "$D" --nodes 3 >/dev/null 2>&1 || rc=$?
[ $rc -eq 137 ] || fail "the fault did not kill up (exit $rc)"
c=$(cluster_index "$D")
ip netns list | grep -q "^omx${c}n3" || fail "expected the namespaces of the crashed up to exist"
"$OMX" cluster down --dir "$D"
check_cluster_gone "$D" "$c" ""

log "harness died after starting the first omxd"
new_dir D
rc=0
OMX_FAULT=cluster.up.die_after_launch "$OMX" cluster up --dir "$D" --nodes 3 >/dev/null 2>&1 || rc=$?
[ $rc -eq 137 ] || fail "the fault did not kill up (exit $rc)"
c=$(cluster_index "$D")
pids=$(omxd_pids "$D")
[ "${pids%% *}" != 0 ] || fail "node 1's omxd was not recorded"
"$OMX" cluster down --dir "$D"
check_cluster_gone "$D" "$c" "$pids"
"$OMX" cluster down --dir "$D" | grep -q "nothing to do" || fail "second down is not a no-op"

log "the cluster directory was deleted while the cluster ran (with /mfs: its client too)"
new_dir D
mfs=
[ -c /dev/fuse ] && mfs=--mfs
up "$D" --nodes 2 $mfs >/dev/null
c=$(cluster_index "$D")
pids=$(omxd_pids "$D")
rm -rf "$D"
"$OMX" cluster down --dir "$D" || fail "down of a cluster whose directory is gone failed"
check_cluster_gone "$D" "$c" "$pids"
! ip netns list | grep -q "^omx${c}" || fail "namespaces of index $c are left"
echo PASS
