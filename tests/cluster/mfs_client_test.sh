# The /mfs FUSE client (piece B of docs/mfs-dfsa-design.md): `omx cluster up --mfs` mounts /mfs
# in every node's mount namespace (not on the host). Through /mfs/N a node sees node N's files
# at once (no cache): contents and size of a file written on the owner, appends from two nodes,
# df of N's /, the usual file operations, N's permissions (nobody is refused), mosctl nomfs
# (EACCES, also in a session already open: its open file and lookups), a node that is gone (an error within 2 s, no hang), and the magic links here, home
# and selected, for an ordinary and for a migrated process (the deputy's forwarded readlink of
# /mfs/here answers the node the body runs on); the client restarted after a crash, a stopped
# client not hanging omxd, omx mfs umount and mount, a node cut off the network.
source "$(dirname "$0")/lib.sh"
need_root
[ -c /dev/fuse ] || skip "no /dev/fuse"

new_dir D
up "$D" --nodes 3 --mfs >/dev/null
c=$(cluster_index "$D")
# xt NODE SECONDS CMD...: a bounded command on a node
xt() { local n=$1 t=$2; shift 2; x "$D" "$n" timeout "$t" "$@"; }
for n in 1 2 3; do
  for i in $(seq 50); do
    xt "$n" 5 grep -q ' /mfs .*fuse.omxmfs' /proc/self/mountinfo && break
    [ "$i" -lt 50 ] || fail "node $n: /mfs not mounted ($(cat "$D/node$n/mfs.log" 2>/dev/null | tail -3))"
    sleep 0.1
  done
done
! grep -q 'fuse.omxmfs' /proc/self/mountinfo || fail "/mfs of a node leaked to the host"
st=$(xt 1 5 "$OMX" mfs status --json)
[[ $st == *'"running":true'* ]] || fail "omx mfs status: $st"

log "the /mfs root"
[ "$(xt 2 5 ls /mfs | tr '\n' ' ')" = "1 2 3 here home lastexec magic selected " ] ||
  fail "ls /mfs: $(xt 2 5 ls /mfs)"

log "mosctl nomfs on node 3: EACCES; mosctl mfs: served again (new sessions)"
echo three > "$D/node3/tmp/three"
xt 3 5 "$OMX" mosctl nomfs
out=$(xt 1 5 cat /mfs/3/tmp/three 2>&1) && fail "read under nomfs: $out"
[[ $out == *"Permission denied"* ]] || fail "under nomfs: $out"
xt 3 5 "$OMX" mosctl mfs
out=$(xt 1 5 setpriv --reuid=65534 --regid=65534 --clear-groups cat /mfs/3/tmp/three) || true
[ "$out" = three ] || fail "after mosctl mfs: '$out'"

log "mosctl nomfs reaches a session already open: its open file and new lookups get EACCES"
rm -f "$D/node1/tmp/nomfs.go" "$D/node1/tmp/nomfs.out"
xt 1 30 python3 -c '
import os, time
f = os.open("/mfs/3/tmp/three", os.O_RDONLY)
print("read", os.pread(f, 5, 0).decode().strip(), flush=True)
while not os.path.exists("/tmp/nomfs.go"): time.sleep(0.02)
for what, fn in (("pread", lambda: os.pread(f, 5, 0)), ("stat", lambda: os.stat("/mfs/3/tmp/three"))):
    try:
        fn(); print(what, "served", flush=True)
    except OSError as e:
        print(what, e.errno, flush=True)
' > "$D/node1/tmp/nomfs.out" 2>&1 & held=$!
for ((i = 0; i < 100; i++)); do grep -q '^read three' "$D/node1/tmp/nomfs.out" 2>/dev/null && break; sleep 0.05; done
grep -q '^read three' "$D/node1/tmp/nomfs.out" || fail "the held open did not read: $(cat "$D/node1/tmp/nomfs.out")"
xt 3 5 "$OMX" mosctl nomfs
touch "$D/node1/tmp/nomfs.go"
wait $held || true
[ "$(grep -E '^(pread|stat) ' "$D/node1/tmp/nomfs.out" | tr '\n' ' ')" = "pread 13 stat 13 " ] ||
  fail "after mosctl nomfs, the open session: $(cat "$D/node1/tmp/nomfs.out")"
grep -q 'mosctl nomfs: [1-9][0-9]* running session' "$D/node3/omxd.log" || fail "node 3 told no open session"
xt 3 5 "$OMX" mosctl mfs
out=$(xt 1 5 cat /mfs/3/tmp/three) || true
[ "$out" = three ] || fail "after mosctl mfs again: '$out'"

log "written on node 1, read through /mfs/1 on node 2 at once"
for i in $(seq 20); do
  xt 1 5 sh -c "echo line $i >> /tmp/grow"
  got=$(xt 2 5 sh -c 'stat -c %s /mfs/1/tmp/grow; tail -n 1 /mfs/1/tmp/grow' | tr '\n' ' ')
  want="$(stat -c %s "$D/node1/tmp/grow") line $i "
  [ "$got" = "$want" ] || fail "round $i: node 2 sees '$got', want '$want'"
done
xt 2 5 sh -c 'printf "from node 2" > /mfs/1/tmp/back'
[ "$(xt 1 5 cat /tmp/back)" = "from node 2" ] || fail "node 1 does not see node 2's write"

log "two writers on nodes 1 and 3 append to one file of node 2"
xt 1 30 sh -c 'for i in $(seq 200); do echo "n1 $i" >> /mfs/2/tmp/app; done' & w1=$!
xt 3 30 sh -c 'for i in $(seq 200); do echo "n3 $i" >> /mfs/2/tmp/app; done' & w3=$!
wait $w1 || fail "writer on node 1"
wait $w3 || fail "writer on node 3"
[ "$(wc -l < "$D/node2/tmp/app")" = 400 ] || fail "$(wc -l < "$D/node2/tmp/app") lines, want 400"
for n in 1 3; do
  [ "$(grep -c "^n$n [0-9]*$" "$D/node2/tmp/app")" = 200 ] || fail "lines of node $n missing or torn"
done

log "df: /mfs/2 has node 2's figures, /mfs none"
read -r b s < <(xt 1 5 stat -f -c '%b %S' /mfs/2)
read -r db ds < <(xt 2 5 stat -f -c '%b %S' /)
[ "$b $s" = "$db $ds" ] || fail "df /mfs/2: $b blocks of $s, node 2's /: $db of $ds"
[ "$(xt 1 5 stat -f -c %b /mfs)" = 0 ] || fail "df /mfs shows blocks"

log "file operations through /mfs/1 from node 2"
N1=$D/node1/tmp
xt 2 10 sh -e -c '
  cd /mfs/1/tmp
  mkdir d; echo hello > d/f; mv d/f d/g; ln -s g d/l
  [ "$(readlink d/l)" = g ] && [ "$(cat d/l)" = hello ]
  chmod 640 d/g; chown 1000:1000 d/g; truncate -s 3 d/g
  touch -m -d "2020-01-02 03:04:05" d/g
  mkdir e; rmdir e; echo x > gone; rm gone'
[ "$(stat -c '%a %u %g %s %Y' "$N1/d/g")" = "640 1000 1000 3 $(date -d '2020-01-02 03:04:05' +%s)" ] ||
  fail "d/g: $(stat -c '%a %u %g %s %Y' "$N1/d/g")"
[ "$(readlink "$N1/d/l")" = g ] && [ ! -e "$N1/e" ] && [ ! -e "$N1/gone" ] || fail "symlink/rmdir/rm"
[ "$(xt 2 5 cat /mfs/1/tmp/d/g)" = hel ] || fail "truncated contents"
out=$(xt 2 5 mv /mfs/1/tmp/d/g /mfs/2/tmp/g 2>&1 >/dev/null) || true  # EXDEV: mv copies
[ -e "$D/node2/tmp/g" ] && [ ! -e "$N1/d/g" ] || fail "mv across nodes: $out"

log "permissions are node 1's: nobody is refused"
echo secret > "$N1/secret"; chmod 600 "$N1/secret"
mkdir -m 755 "$N1/rootdir"
nob() { xt 2 5 setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
out=$(nob cat /mfs/1/tmp/secret 2>&1) && fail "nobody read a 0600 root file: $out"
[[ $out == *"Permission denied"* ]] || fail "nobody: $out"
out=$(nob touch /mfs/1/tmp/rootdir/x 2>&1) && fail "nobody wrote into a 0755 root dir"
[[ $out == *"Permission denied"* ]] || fail "nobody: $out"
nob sh -c 'echo mine > /mfs/1/tmp/nobodys' || fail "nobody cannot write its own file"
[ "$(stat -c %u "$N1/nobodys")" = 65534 ] || fail "nobody's file owned by $(stat -c %u "$N1/nobodys")"

log "magic links of an ordinary process"
[ "$(xt 2 5 readlink /mfs/here) $(xt 2 5 readlink /mfs/home)" = "2 2" ] || fail "here/home on node 2"
[ "$(xt 2 5 cat /mfs/home/tmp/app | wc -l)" = 400 ] || fail "/mfs/home/tmp/app"

log "selected: inherited by children forked after omx select, not before"
out=$(xt 1 10 sh -c '
  (sleep 0.6; readlink /mfs/selected) & sleep 0.2
  '"$OMX"' select 3; sleep 0.1
  readlink /mfs/selected; sh -c "readlink /mfs/selected"; wait')
[ "$(echo $out)" = "3 3 1" ] || fail "selected: '$(echo $out)' (want 3 3 1)"

log "magic links of a migrated process: the deputy's readlink answers the body's node"
cat > "$N1/here.py" <<'PY'
import os, sys, time
made = False
for _ in range(600):
    here = os.readlink("/mfs/here")
    print(here, os.readlink("/mfs/home"), flush=True)
    if here == "2" and not made:  # away: a magic create lands here, and magic then names it
        with open("/mfs/magic/tmp/magic_made", "w") as f:
            f.write("made away")
        with open("/mfs/magic/tmp/magic_made") as f:
            print("magic", f.read(), file=sys.stderr, flush=True)
        made = True
    time.sleep(0.1)
PY
out=$(xt 1 60 env PATH="$OMX_BIN:$PATH" sh -c 'cd /tmp; mosrun -L python3 here.py > here.out 2>&1 & p=$!
  sleep 1; migrate $p 2 || exit 9
  for i in $(seq 50); do grep -q "^magic made away$" here.out && break; sleep 0.1; done
  w=$(omx where $p); last=$(grep -E "^[0-9]+ [0-9]+$" here.out | tail -n 1); kill $p; echo "where=$w"; echo "$last"')
[[ $out == *"where=2"* ]] || fail "the process did not move: $out"
[[ $out == *$'\n2 1' ]] || fail "away, /mfs/here /mfs/home read: $out (want 2 1)"
head -n 1 "$N1/here.out" | grep -q '^1 1$' || fail "at home: $(head -n 1 "$N1/here.out")"
[ "$(cat "$D/node2/tmp/magic_made" 2>&1)" = "made away" ] || fail "magic create away: $(ls "$D"/node*/tmp)"
grep -q "^magic made away$" "$N1/here.out" || fail "magic read back away: $(grep magic "$N1/here.out")"

log "magic of an ordinary process: a create lands here"
xt 2 5 sh -c 'echo m > /mfs/magic/tmp/m_here; read -r v < /mfs/magic/tmp/m_here; [ "$v" = m ]' ||
  fail "magic on node 2"
[ -e "$D/node2/tmp/m_here" ] || fail "the magic create of node 2 did not land on node 2"

log "a node that is gone: an error within 2 s, no hang"
ip netns pids "omx${c}n3" | xargs -r kill -KILL
t0=$(date +%s%N)
out=$(xt 1 10 ls /mfs/3/tmp 2>&1) && fail "ls of a dead node worked: $out"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2500 ] || fail "the dead node took $ms ms to fail"
[ "$(xt 1 5 ls /mfs/2/tmp/app)" = /mfs/2/tmp/app ] || fail "node 2 no longer served"
for i in $(seq 150); do
  xt 1 5 "$OMX" control nodes | grep -q '"id":3,[^}]*"state":"down"' && break
  [ "$i" -lt 150 ] || fail "node 1 never saw node 3 down"
  sleep 0.1
done
sleep 1.2  # the client's node table follows omxd's within a second
t0=$(date +%s%N)
out=$(xt 1 10 ls /mfs/3/tmp 2>&1) && fail "ls of a down node worked: $out"
ms=$((($(date +%s%N) - t0) / 1000000))
[[ $out == *"Host is down"* ]] && [ "$ms" -lt 1000 ] || fail "down node: '$out' after $ms ms"
xt 1 5 ls /mfs | grep -qx 3 || fail "a down node is no longer listed in /mfs"
mfs_pid() { xt "$1" 5 "$OMX" mfs status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'; }
# mounted_within NODE TENTHS: /mfs/1 of NODE answers within TENTHS x 0.1 s
mounted_within() {
  for i in $(seq "$2"); do xt "$1" 2 stat /mfs/1/tmp >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

log "a client that dies is restarted by omxd, the stale mount cleared"
p=$(mfs_pid 2)
kill -KILL "$p"
mounted_within 2 60 || fail "node 2: /mfs not back 6 s after the client was killed"
[ "$(mfs_pid 2)" != "$p" ] || fail "same client pid"

log "a hung client (SIGSTOP) does not hang omxd"
p=$(mfs_pid 1)
kill -STOP "$p"
xt 1 3 "$OMX" control ping >/dev/null || { kill -CONT "$p"; fail "omxd stopped answering"; }
xt 1 3 "$OMX" ps >/dev/null || { kill -CONT "$p"; fail "omx ps hangs"; }
kill -CONT "$p"

log "omx mfs umount / mount"
xt 1 5 "$OMX" mfs umount
for i in $(seq 50); do xt 1 2 grep -q fuse.omxmfs /proc/self/mountinfo || break; sleep 0.1; done
! xt 1 2 grep -q fuse.omxmfs /proc/self/mountinfo || fail "still mounted after omx mfs umount"
[[ $(xt 1 5 "$OMX" mfs status) == *"not running"* ]] || fail "status after umount"
xt 1 5 "$OMX" mfs mount
mounted_within 1 50 || fail "node 1: /mfs not back after omx mfs mount"

log "a node cut off the network (its link down): EHOSTDOWN within ~2 s, then at once"
[ "$(xt 1 5 cat /mfs/2/tmp/app | wc -l)" = 400 ] || fail "node 2 through the new client"
ip netns exec "omx${c}n2" ip link set eth0 down
for round in 1 2; do
  t0=$(date +%s%N)
  out=$(xt 1 10 cat /mfs/2/tmp/app 2>&1) && fail "read from a cut-off node worked"
  ms=$((($(date +%s%N) - t0) / 1000000))
  limit=3500; [ $round = 1 ] || limit=1000
  [[ $out == *"Host is down"* ]] && [ "$ms" -lt $limit ] || fail "cut-off node, round $round: '$out' after $ms ms"
done
log "ok"
