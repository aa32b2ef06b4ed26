#!/usr/bin/env bash
# DFSA on /mfs of the node a process runs on (docs/mfs-dfsa-design.md §3.3, §6): a process
# homed on node 1 that works on /mfs/2/... while it runs on node 2 makes those calls on node
# 2's own files, with no round trip home and none through FUSE. In the namespaced cluster
# every node's /tmp is private, so /mfs/2/tmp/X is node 2's /tmp/X only: where each call ran
# shows in which node's /tmp changed.
#   native    dfsa_copy on node 1, never moved, on /mfs/2/tmp/nat/{in,out}: the reference
#             (offsets, path calls, fd numbers of its late opens) and its output file.
#   mfs       the same on /mfs/2/tmp/m, moved to node 2 before it copies 4 MiB in 4 KiB
#             blocks: same output lines as native, node 2's out equals in, node 1's /tmp has
#             nothing of it; the fds opened at home are lent (as /tmp/m/...), path calls and
#             opens run on node 2 (its supervisor counts them as /mfs calls); forwarded calls a
#             handful.
#   other     the same on /mfs/1/tmp/o (node 1's files through /mfs: not local to node 2):
#             everything forwarded (> 2000 calls), output in node 1's /tmp: the baseline.
#   go_home   /mfs/2 again, half copied on node 2, `migrate PID home`, the second half at
#             home through /mfs/2: offsets continue, node 2's out is whole and right.
#   relative  the same with cwd /mfs/2/tmp/r (set at home) and relative paths: made absolute
#             with home's cwd (one forwarded getcwd), then local, even the go-file polls.
#   paths     python3, moved to node 2, then: /mfs/2/dev/null and a symlink /mfs/2/tmp/m/lnk
#             -> /tmp/m/in are forwarded, so they mean what home's /mfs says (ENOENT for
#             /dev/null, node 1's /tmp/m/in for the absolute symlink resolved at home);
#             /mfs/2/tmp/m/in and /mfs/here/tmp/m/in (home answers /mfs/here for the deputy
#             with node 2) read node 2's file, on node 2 (the guest's /mfs count grows).
#   owner     python3 as nobody (65534): node 2's root-only file and directory refuse it
#             (EACCES) on node 2, its own directory takes a file owned by 65534.
#   nomfs     python3 on node 2 holds /mfs/2/tmp/m/in open (lent here); mosctl nomfs on node 2:
#             the read on it, a stat and a new open all fail with EACCES, as through /mfs.
source "$(dirname "$0")/sem_lib.sh"
SIZE=$((4 << 20))
HALF=$((SIZE / 2))

new_dir D
up "$D" --nodes 2 --mfs >/dev/null
for n in 1 2; do
  for ((i = 0; ; i++)); do
    x "$D" "$n" timeout 5 grep -q ' /mfs .*fuse.omxmfs' /proc/self/mountinfo && break
    [ "$i" -lt 50 ] || fail "node $n: /mfs not mounted ($(tail -3 "$D/node$n/mfs.log" 2>/dev/null))"
    sleep 0.1
  done
done
head -c $SIZE /dev/urandom > "$D/in.ref"
prepare() {  # NODE DIR: in and an empty out under NODE's /tmp/DIR
  rm -rf "$D/node$1/tmp/$2"
  mkdir -p "$D/node$1/tmp/$2"
  cp "$D/in.ref" "$D/node$1/tmp/$2/in"
  : > "$D/node$1/tmp/$2/out"
}
# scenario (node 1): TAG IN OUT STEPS MOVES...: as dfsa_test.sh's (each step waits for go.TAG.K).
SCEN='
  tag=$1 in=$2 out=$3 steps=$4
  shift 4
  rm -f go.$tag.*
  omx run --stats-json stats.$tag -- "$P/dfsa_copy" "$in" "$out" 4096 $steps go.$tag > out.$tag 2> err.$tag < /dev/null &
  pid=$!
  started out.$tag $pid || { kill -KILL $pid; exit; }
  k=0
  for m in "$@"; do
    k=$((k + 1))
    [ "$m" = - ] || move $pid $m || { kill -KILL $pid; exit; }
    touch go.$tag.$k
    wait_for out.$tag "^step $k " 60 || { kill -KILL $pid; exit; }
  done
  wait_for out.$tag "^done" 10 || { kill -KILL $pid; exit; }
  touch go.$tag.end
  wait $pid
  echo "R rc=$?"
'
T=$D/node1/tmp
run_case() {  # TAG IN OUT STEPS MOVES...
  local tag=$1
  res=$(on_node "$D" 1 "$SCEN" "$@")
  unset rc
  results "$res" "$T/out.$tag" "$T/err.$tag"
  sed 's/^/    /' "$T/out.$tag"
  [ "$rc" = 0 ] || { show "$T/out.$tag" "$T/err.$tag"; bad "$tag: exit status $rc"; }
  for ((i = 0; i < 100; i++)); do [ -s "$T/stats.$tag" ] && break; sleep 0.05; done
  fwd=$(stat_of "$T/stats.$tag" forwarded_syscalls)
  echo "    forwarded system calls: $fwd"
}
# The lines that must equal the native run's, with the directory name taken out.
lines() { grep -v '^ready' "$T/out.$1"; }
mfs_calls() {  # the guest's count of /mfs/2 calls made on node 2, from its last summary line
  sed -n 's|.*(\([0-9]*\) of them on /mfs/2).*|\1|p' "$D/node2/omxd.log" | tail -1
}

log "native: never moved, through /mfs/2"
prepare 2 nat
run_case native /mfs/2/tmp/nat/in /mfs/2/tmp/nat/out 1 -
cmp -s "$D/node2/tmp/nat/out" "$D/in.ref" || bad "native: node 2's out differs from in"
[ -d "$D/node2/tmp/nat/out.dir" ] || bad "native: no out.dir on node 2"

log "mfs: moved to node 2, working on /mfs/2"
prepare 2 m
run_case mfs /mfs/2/tmp/m/in /mfs/2/tmp/m/out 1 2
fwd_mfs=$fwd
[ "$(lines mfs)" = "$(lines native)" ] || bad "mfs: output differs from the native run's"
cmp -s "$D/node2/tmp/m/out" "$D/in.ref" || bad "mfs: node 2's out differs from in (size $(stat -c %s "$D/node2/tmp/m/out"))"
[ ! -e "$T/m" ] || bad "mfs: node 1's /tmp/m exists"
[ -d "$D/node2/tmp/m/out.dir" ] && [ "$(cat "$D/node2/tmp/m/out.new" 2>/dev/null)" = "local open" ] ||
  bad "mfs: path calls or the open did not reach node 2's /tmp"
grep -q 'lent to the body as /tmp/m/in' "$D/node2/omxd.log" || bad "mfs: in was not lent as /tmp/m/in"
after=$(mfs_calls)
echo "    /mfs/2 calls made on node 2: ${after:-none}"
grep 'made here' "$D/node2/omxd.log" | sed 's/^/    /' 
[ -n "$after" ] && [ "$after" -ge 5 ] || bad "mfs: the guest made ${after:-no} /mfs calls here, want >= 5 (mkdir, rename, stat, access, 2 opens)"
[ "$fwd_mfs" -lt 300 ] || bad "mfs: $fwd_mfs forwarded calls, want a few (the go-file polls)"

log "other: /mfs/1 from node 2 (not local): forwarded"
prepare 1 o
run_case other /mfs/1/tmp/o/in /mfs/1/tmp/o/out 1 2
fwd_other=$fwd
[ "$(lines other)" = "$(lines native)" ] || bad "other: output differs from the native run's"
cmp -s "$D/node1/tmp/o/out" "$D/in.ref" || bad "other: node 1's out differs from in"
[ ! -e "$D/node2/tmp/o" ] || bad "other: node 2's /tmp/o exists"
[ "$fwd_other" -gt 2048 ] || bad "other: only $fwd_other forwarded calls"

log "go_home: half on node 2, then home, through /mfs/2"
prepare 2 g
run_case go_home /mfs/2/tmp/g/in /mfs/2/tmp/g/out 2 2 home
grep -q "^before 2 in=$HALF out=$HALF$" "$T/out.go_home" || bad "go_home: offsets at home after the move are not $HALF"
grep -q "^end in=$SIZE out=$SIZE outsize=$SIZE$" "$T/out.go_home" || bad "go_home: offsets/size at the end"
cmp -s "$D/node2/tmp/g/out" "$D/in.ref" || bad "go_home: node 2's out differs from in"
[ "$(cat "$D/node2/tmp/g/out.new" 2>/dev/null)" = "local open" ] || bad "go_home: out.new"

log "relative: cwd /mfs/2/tmp/r at home, relative paths (and go-file polls) while on node 2"
prepare 2 r
R=$D/node2/tmp/r
res=$(on_node "$D" 1 "cd /mfs/2/tmp/r; $SCEN" rel in out 1 2)
unset rc
results "$res" "$R/out.rel" "$R/err.rel"
sed 's/^/    /' "$R/out.rel"
[ "$rc" = 0 ] || { show "$R/err.rel"; bad "relative: exit status $rc"; }
for ((i = 0; i < 100; i++)); do [ -s "$R/stats.rel" ] && break; sleep 0.05; done
fwd_rel=$(stat_of "$R/stats.rel" forwarded_syscalls)
echo "    forwarded system calls: $fwd_rel"
[ "$(grep -v '^ready' "$R/out.rel")" = "$(lines native)" ] || bad "relative: output differs from the native run's"
cmp -s "$R/out" "$D/in.ref" || bad "relative: node 2's out differs from in"
[ -d "$R/out.dir" ] && [ "$(cat "$R/out.new" 2>/dev/null)" = "local open" ] || bad "relative: path calls or the open"
[ "$fwd_rel" -lt 40 ] || bad "relative: $fwd_rel forwarded calls, want a handful (even the polls run on node 2)"
echo "    /mfs/2 calls made on node 2: $(mfs_calls)"

log "paths: /mfs/2/dev/null and a symlink are forwarded, /mfs/2 and /mfs/here are local"
prepare 2 m
prepare 1 m
printf 'node1' > "$D/node1/tmp/m/in"
printf 'node2' > "$D/node2/tmp/m/in"
ln -s /tmp/m/in "$D/node2/tmp/m/lnk"
res=$(on_node "$D" 1 '
  omx run -- python3 -c "
import os, sys, time
print(\"ready\", flush=True)
while not os.path.exists(\"/tmp/go.x\"): time.sleep(0.02)
try:
    os.open(\"/mfs/2/dev/null\", os.O_RDONLY); print(\"devnull opened\")
except OSError as e: print(\"devnull\", e.errno)
print(\"stat\", os.path.exists(\"/mfs/2/dev/null\"))
print(\"lnk\", open(\"/mfs/2/tmp/m/lnk\").read())
print(\"direct\", open(\"/mfs/2/tmp/m/in\").read())
print(\"here\", open(\"/mfs/here/tmp/m/in\").read(), os.stat(\"/mfs/here/tmp/m/in\").st_size, flush=True)
" > out.x 2> err.x < /dev/null &
  pid=$!
  rm -f /tmp/go.x
  wait_for out.x "^ready" 20 || { kill -KILL $pid; exit; }
  move $pid 2 || { kill -KILL $pid; exit; }
  touch /tmp/go.x
  wait $pid
  echo "R rc=$?"')
unset rc
results "$res" "$T/out.x" "$T/err.x"
after=$(mfs_calls)
sed 's/^/    /' "$T/out.x"
[ "$rc" = 0 ] || { show "$T/err.x"; bad "paths: exit status $rc"; }
grep -qx "devnull 2" "$T/out.x" && grep -qx "stat False" "$T/out.x" || bad "paths: /mfs/2/dev/null was not ENOENT"
grep -qx "lnk node1" "$T/out.x" || bad "paths: the absolute symlink did not resolve at home"
grep -qx "direct node2" "$T/out.x" || bad "paths: /mfs/2/tmp/m/in did not read node 2's file"
grep -qx "here node2 5" "$T/out.x" || bad "paths: /mfs/here/tmp/m/in did not read node 2's file"
echo "    /mfs/2 calls made on node 2: ${after:-none}"
[ "${after:-0}" -ge 3 ] || bad "paths: the guest made ${after:-no} /mfs calls here, want >= 3 (two opens, a stat)"

log "owner: a process of nobody (65534) on /mfs/2: node 2's permissions, checked on node 2"
P2=$D/node2/tmp/perm
rm -rf "$P2" && mkdir -p "$P2/mine" "$P2/rodir"
echo s > "$P2/secret" && chmod 600 "$P2/secret"
chown 65534:65534 "$P2/mine"
chmod 755 "$P2" "$P2/rodir"
res=$(on_node "$D" 1 '
  mkdir -p u.dfsa && chown 65534:65534 u.dfsa && cd u.dfsa && rm -f go
  setpriv --reuid=65534 --regid=65534 --clear-groups omx run -- python3 -c "
import os, time
print(\"ready\", flush=True)
while not os.path.exists(\"/tmp/u.dfsa/go\"): time.sleep(0.02)
def t(what, fn):
    try:
        r = fn(); print(what, \"ok\" if r is None else r, flush=True)
    except OSError as e:
        print(what, e.errno, flush=True)
t(\"secret\", lambda: os.open(\"/mfs/2/tmp/perm/secret\", os.O_RDONLY) and None)
t(\"rodir\", lambda: os.open(\"/mfs/2/tmp/perm/rodir/x\", os.O_WRONLY | os.O_CREAT, 0o644) and None)
t(\"unlink\", lambda: os.unlink(\"/mfs/2/tmp/perm/secret\"))
def mine():
    f = os.open(\"/mfs/2/tmp/perm/mine/f\", os.O_WRONLY | os.O_CREAT, 0o644); os.write(f, b\"ok\"); os.close(f)
    return os.stat(\"/mfs/2/tmp/perm/mine/f\").st_uid
t(\"mine\", mine)
" > out 2> err < /dev/null &
  pid=$!
  wait_for out "^ready" 20 || { kill -KILL $pid; exit; }
  setpriv --reuid=65534 --regid=65534 --clear-groups migrate $pid 2 2>>mig.err
  echo "R where=$(omx where $pid)"
  touch go
  wait $pid
  echo "R rc=$?"')
unset rc where
results "$res" "$T/u.dfsa/out" "$T/u.dfsa/err"
sed 's/^/    /' "$T/u.dfsa/out"
[ "$where" = 2 ] || bad "owner: not moved to node 2 (where=$where; $(cat "$T/u.dfsa/mig.err" 2>/dev/null))"
[ "$rc" = 0 ] || { show "$T/u.dfsa/err"; bad "owner: exit status $rc"; }
[ "$(grep -E '^(secret|rodir|unlink|mine) ' "$T/u.dfsa/out" | tr '\n' ' ')" = "secret 13 rodir 13 unlink 13 mine 65534 " ] ||
  bad "owner: $(tr '\n' ' ' < "$T/u.dfsa/out") (want EACCES, EACCES, EACCES, a file of 65534)"
[ "$(cat "$P2/mine/f" 2>/dev/null)" = ok ] && [ -e "$P2/secret" ] && [ ! -e "$P2/rodir/x" ] || bad "owner: node 2's files"
echo "    /mfs/2 calls made on node 2: $(mfs_calls)"
[ "$(mfs_calls)" -ge 5 ] || bad "owner: the calls were not all made on node 2 (want 3 opens, unlink, stat)"

log "nomfs: mosctl nomfs on node 2 while the body holds a /mfs/2 file open there"
rm -f "$T/go.n"
res=$(on_node "$D" 1 '
  omx run -- python3 -c "
import os, time
print(\"ready\", flush=True)
while not os.path.exists(\"/tmp/go.n.1\"): time.sleep(0.02)
f = os.open(\"/mfs/2/tmp/m/in\", os.O_RDONLY)
print(\"before\", os.pread(f, 5, 0).decode(), flush=True)
while not os.path.exists(\"/tmp/go.n.2\"): time.sleep(0.02)
for what, fn in ((\"pread\", lambda: os.pread(f, 5, 0)), (\"stat\", lambda: os.stat(\"/mfs/2/tmp/m/in\")),
                 (\"open\", lambda: os.open(\"/mfs/2/tmp/m/in\", os.O_RDONLY))):
    try:
        fn(); print(what, \"served\", flush=True)
    except OSError as e:
        print(what, e.errno, flush=True)
os.close(f)
" > out.n 2> err.n < /dev/null &
  pid=$!
  rm -f /tmp/go.n.*
  wait_for out.n "^ready" 20 || { kill -KILL $pid; exit; }
  move $pid 2 || { kill -KILL $pid; exit; }
  touch /tmp/go.n.1
  wait_for out.n "^before" 20 || { kill -KILL $pid; exit; }
  echo "R nomfs=1"')
results "$res" "$T/out.n" "$T/err.n"
x "$D" 2 "$OMX" mosctl nomfs
touch "$T/go.n.2"
for ((i = 0; i < 200; i++)); do grep -q '^open ' "$T/out.n" 2>/dev/null && break; sleep 0.05; done
x "$D" 2 "$OMX" mosctl mfs
sed 's/^/    /' "$T/out.n"
grep -qx "before node2" "$T/out.n" || bad "nomfs: the open before nomfs did not read node 2's file"
[ "$(grep -E '^(pread|stat|open) ' "$T/out.n" | tr '\n' ' ')" = "pread 13 stat 13 open 13 " ] ||
  { bad "nomfs: after mosctl nomfs on node 2: $(tr '\n' ' ' < "$T/out.n") (want EACCES for all three)"; tail -20 "$D/node2/omxd.log"; }
grep -q "/mfs/2 calls are forwarded from now on" "$D/node2/omxd.log" || bad "nomfs: the guest was not told"

echo "forwarded calls: /mfs/2 moved $fwd_mfs, relative $fwd_rel, /mfs/1 moved $fwd_other"
finish
