# The /mfs file server (piece A of docs/mfs-dfsa-design.md): a client on node 1 holding the
# cluster key opens a session to node 2's omxd and creates, writes, reads and stats a file in
# /tmp, which is node 2's private /tmp: the bytes land in node 2's and not in node 1's. statfs
# gives node 2's true figures (as df there); a root-owned 0600 file is refused to an unprivileged
# owner and to root (squashed to 65534); mosctl nomfs on node 2 refuses everything (EACCES) and
# mosctl mfs serves again.
source "$(dirname "$0")/lib.sh"
need_root
CLIENT=$OMX_TEST_PROGRAMS/mfs_test_client
[ -x "$CLIENT" ] || fail "$CLIENT is not built"

new_dir D
up "$D" --nodes 2 >/dev/null
c=$(cluster_index "$D")
cp "$D/cluster.key" "$D/node1/tmp/key"   # node 1 sees it as /tmp/key
# mc ARGS...: the client on node 1, talking to node 2
mc() { x "$D" 1 timeout 20 "$CLIENT" --key /tmp/key --host "198.18.$c.2" "$@"; }
# expect_errno NAME ARGS...: mc ARGS fails with exit 1 and the server's errno NAME
expect_errno() {
  local want=$1 rc=0 out
  shift
  out=$(mc "$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 1 ] && [[ $out == *" $want"* ]] || fail "'mc $*': exit $rc, '$out' (want $want)"
}

log "write and read a file in node 2's /tmp as uid 1000"
mc --uid 1000 --gid 1000 write /tmp/mfs_hello "hello from node 1"
[ -f "$D/node2/tmp/mfs_hello" ] || fail "the file is not in node 2's /tmp"
[ ! -e "$D/node1/tmp/mfs_hello" ] || fail "the file landed in node 1's /tmp"
[ "$(cat "$D/node2/tmp/mfs_hello")" = "hello from node 1" ] || fail "wrong contents: $(cat "$D/node2/tmp/mfs_hello")"
[ "$(stat -c %u:%g "$D/node2/tmp/mfs_hello")" = 1000:1000 ] || fail "owner $(stat -c %u:%g "$D/node2/tmp/mfs_hello")"
[ "$(mc --uid 1000 --gid 1000 read /tmp/mfs_hello)" = "hello from node 1" ] || fail "read back"
out=$(mc --uid 1000 --gid 1000 stat /tmp/mfs_hello)
[ "$out" = "17 100644 1000 1000" ] || fail "stat: $out"
echo "changed on node 2" > "$D/node2/tmp/mfs_hello"
[ "$(mc --uid 1000 --gid 1000 read /tmp/mfs_hello)" = "changed on node 2" ] || fail "read after a change"

log "root is squashed to 65534"
mc write /tmp/mfs_root "x"
[ "$(stat -c %u "$D/node2/tmp/mfs_root")" = 65534 ] || fail "root's file is owned by $(stat -c %u "$D/node2/tmp/mfs_root")"

log "a session is a worker with the owner's credentials, not a guest"
# mfs_worker_uids: the real, effective, saved, fs uids of node 2's file servers (comm omx-mfs)
omxd2=$(json_get "$D/cluster.json" '[n["pid"] for n in j["nodes"] if n["id"] == 2][0]')
mfs_worker_uids() {
  local p
  for p in $(pgrep -x omx-mfs -P "$omxd2"); do awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$p/status"; done
}
mc --uid 1000 --gid 1000 --hold 3 stat /tmp >/dev/null &
BG_PIDS+=($!)
for _ in $(seq 50); do [ -n "$(mfs_worker_uids)" ] && break; sleep 0.1; done
[ "$(mfs_worker_uids)" = "1000 1000 1000 1000" ] || fail "worker uids: $(mfs_worker_uids)"
guests=$(x "$D" 2 "$OMX" control guests | json_get /dev/stdin 'j["guests"]')
[ "$guests" = 0 ] || fail "node 2 counts $guests guests during a file session"
wait "${BG_PIDS[-1]}"
mc --hold 3 stat /tmp >/dev/null &
BG_PIDS+=($!)
for _ in $(seq 50); do [ -n "$(mfs_worker_uids)" ] && break; sleep 0.1; done
[ "$(mfs_worker_uids)" = "65534 65534 65534 65534" ] || fail "root's worker uids: $(mfs_worker_uids)"
wait "${BG_PIDS[-1]}"

log "statfs: node 2's true figures"
read -r blocks bfree bavail frsize files < <(mc statfs /tmp)
read -r dblocks dbfree dfrsize dfiles < <(x "$D" 2 stat -f -c '%b %f %S %c' /tmp)
[ "$blocks" = "$dblocks" ] && [ "$frsize" = "$dfrsize" ] && [ "$files" = "$dfiles" ] ||
  fail "statfs $blocks $frsize $files, df on node 2: $dblocks $dfrsize $dfiles"
diff=$((bfree > dbfree ? bfree - dbfree : dbfree - bfree))
[ $((diff * 100)) -le "$blocks" ] || fail "free blocks $bfree vs $dbfree"

log "permission denied"
echo secret > "$D/node2/tmp/secret"
chmod 600 "$D/node2/tmp/secret"
expect_errno EACCES --uid 1000 --gid 1000 read /tmp/secret
expect_errno EACCES read /tmp/secret   # root, squashed
expect_errno EPERM --uid 1000 --gid 1000 unlink /tmp/mfs_root   # sticky /tmp: not 1000's file

log "exclusions"
expect_errno ENOENT --uid 1000 --gid 1000 stat /proc/self/status
expect_errno ENOENT --uid 1000 --gid 1000 stat /dev/null

log "mosctl nomfs on node 2: everything EACCES; mosctl mfs: served again"
x "$D" 2 "$OMX_BIN/mosctl" nomfs
expect_errno EACCES --uid 1000 --gid 1000 stat /tmp/mfs_hello
expect_errno EACCES --uid 1000 --gid 1000 write /tmp/mfs_other "no"
[ ! -e "$D/node2/tmp/mfs_other" ] || fail "nomfs let a write through"
x "$D" 2 "$OMX_BIN/mosctl" mfs
mc --uid 1000 --gid 1000 stat /tmp/mfs_hello >/dev/null || fail "mosctl mfs did not serve again"
mc --uid 1000 --gid 1000 unlink /tmp/mfs_hello
[ ! -e "$D/node2/tmp/mfs_hello" ] || fail "unlink"

log "mosctl expel ends file sessions too"
mc --uid 1000 --gid 1000 --hold 20 stat /tmp >/dev/null &
BG_PIDS+=($!)
for _ in $(seq 50); do [ -n "$(mfs_worker_uids)" ] && break; sleep 0.1; done
[ -n "$(mfs_worker_uids)" ] || fail "no file server for the held session"
x "$D" 2 "$OMX_BIN/mosctl" expel >/dev/null
for _ in $(seq 50); do [ -z "$(mfs_worker_uids)" ] && break; sleep 0.1; done
[ -z "$(mfs_worker_uids)" ] || fail "the file server outlived mosctl expel"
echo PASS
