# A process started with mosrun on node 1 is moved to node 2 while it writes to its stdout and
# to a file in its cwd (node 1's private /tmp), then brought home. Its output must be complete
# and in order, its files must be on node 1 only, `omx where` must follow it, and it must pass
# its own checks of pid, ppid, cwd, heap and file contents (exit 0).
source "$(dirname "$0")/lib.sh"
need_root
PROG=$OMX_TEST_PROGRAMS/zdtm_files
export PATH=$OMX_BIN:$PATH

new_dir D
up "$D" --nodes 2 >/dev/null
log "mosrun on node 1, migrate to 2, then home"
res=$(x "$D" 1 bash -c '
  cd /tmp
  mosrun -L "$0" 150 > /tmp/out.txt 2> /tmp/err.txt &
  pid=$!
  sleep 0.4
  migrate "$pid" 2 || echo "migrate-2-failed"
  remote=$(omx where "$pid")
  sleep 0.4
  migrate "$pid" home || echo "migrate-home-failed"
  home=$(omx where "$pid")
  wait "$pid"; rc=$?
  echo "rc=$rc pid=$pid remote=$remote home=$home"
' "$PROG")
echo "$res"
last=$(echo "$res" | tail -1)
eval "$last"
T1=$D/node1/tmp T2=$D/node2/tmp
cat "$T1/err.txt" >&2 || true
[ "$rc" = 0 ] || fail "zdtm_files exited $rc (its stderr is above)"
[ "$remote" = 2 ] || fail "omx where said '$remote' after migrate 2"
[ "$home" = 1 ] || fail "omx where said '$home' after migrate home"
[ "$(grep -c '^line ' "$T1/out.txt")" = 150 ] || fail "stdout has $(grep -c '^line ' "$T1/out.txt") lines, want 150"
seq 0 149 | sed 's/^/line /' | diff - <(grep '^line ' "$T1/out.txt") >/dev/null || fail "stdout lines out of order"
[ "$(tail -1 "$T1/out.txt")" = "done ok" ] || fail "last line: $(tail -1 "$T1/out.txt")"
[ "$(wc -l < "$T1/zdtm_files.$pid.log")" = 150 ] || fail "log file on node 1 incomplete"
[ "$(cat "$T1/zdtm_files.$pid.done")" = done ] || fail "file created while away is not on node 1"
! ls "$T2" | grep -q zdtm_files || fail "files landed on node 2: $(ls "$T2")"
echo PASS
