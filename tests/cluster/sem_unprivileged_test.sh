# An ordinary user (here uid/gid 65534, nobody) migrates their own process, without root and
# without the cluster key: omxd's channel broker opens the channel for them and states who
# they are (migrate/channel_broker.h). Checks:
#   - `omx run`, `migrate PID 2`, `omx where`, `migrate PID home` work as that user, and the
#     program (zdtm_files: files opened before and after the move, cwd, pid/ppid, heap; it
#     verifies itself) exits 0 with its output intact, natively and migrated;
#   - the body on node 2 runs as 65534/65534 with no supplementary groups, not as root;
#   - another user (65533) may not migrate it (exit 3, permission denied), root may;
#   - the user cannot get the cluster key from omxd ("key" op refused).
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

scenario() {
  on_node "$D" 1 '
    mig=$1
    U="setpriv --reuid=65534 --regid=65534 --clear-groups"
    mkdir -p u.$mig && chown 65534:65534 u.$mig && cd u.$mig
    $U omx run --stats-json stats -- "$P/zdtm_files" 300 > out 2> err &
    pid=$!
    started out $pid || { kill -KILL $pid; exit; }
    if [ "$mig" = 1 ]; then
      $U migrate $pid 2 2>>mig.err; echo "R mig_rc=$?"
      echo "R where=$($U omx where $pid)"
      for b in $(ip netns pids omx'"$(cluster_index "$D")"'n2); do
        [ "$(cat /proc/$b/comm 2>/dev/null)" = zdtm_files ] || continue
        ids=$(sed -n "s/^\(Uid\|Gid\|Groups\):[[:space:]]*//p" /proc/$b/status | tr -s "\t " "//" | tr "\n" " ")
        echo "R body_ids=$(printf %q "$ids")"
      done
      setpriv --reuid=65533 --regid=65533 --clear-groups migrate $pid home 2>>other.err
      echo "R other_rc=$?"
      echo "R other_err=$(printf %q "$(head -1 other.err)")"
      $U migrate $pid home 2>>mig.err; echo "R back_rc=$?"
      migrate $pid 2 2>>mig.err; echo "R root_rc=$?"
    fi
    wait $pid
    echo "R rc=$?"
    $U omx control key > key.out 2>&1; echo "R key_rc=$?"
    # The broker drops garbage and refuses unknown nodes with a reason; omxd lives on.
    $U /usr/bin/python3 - "$OMX_CONTROL.broker" <<"PY" > broker.out 2>&1; echo "R broker_rc=$?"
import socket, struct, sys
addr = sys.argv[1].replace("@", "\0", 1)
def ask(payload):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(addr)
    s.send(payload)
    r = s.recv(4096)
    return r[0], r[5:].decode(errors="replace")
for p in (b"garbage", struct.pack("<II", 9, 2), struct.pack("<II", 1, 77)):
    print(*ask(p))
PY
    echo "R broker_out=$(printf %q "$(tr "\n" "|" < broker.out)")"
    echo "R alive=$(omx control ping >/dev/null && echo yes)"
    echo "R key_out=$(printf %q "$(head -1 key.out)")"
  ' "$@"
}

for mig in 0 1; do
  log "zdtm_files run by uid 65534, $([ $mig = 1 ] && echo "migrated to node 2 and back by that user" || echo natively)"
  res=$(scenario $mig)
  echo "$res"
  unset rc mig_rc where body_ids other_rc back_rc root_rc key_rc
  results "$res" "$T/u.$mig/out" "$T/u.$mig/err"
  [ "$rc" = 0 ] || { show "$T/u.$mig/out" "$T/u.$mig/err" "$T/u.$mig/mig.err"; bad "mig=$mig: zdtm_files exited $rc, want 0"; }
  [ "$key_rc" = 1 ] || bad "the user's \"key\" request exited $key_rc, want 1 (refused)"
  case $key_out in *"only given to root"*) ;; *) bad "key op answered '$key_out'" ;; esac
  [ "$broker_rc" = 0 ] || bad "broker probe failed: $broker_out"
  m="1 malformed request (this omxd speaks broker version 1)"
  [ "$broker_out" = "$m|$m|1 node 77 is not in the cluster map|" ] || bad "broker answered '$broker_out'"
  [ "$alive" = yes ] || bad "omxd on node 1 died after the broker probes"
  [ $mig = 1 ] || continue
  [ "$mig_rc" = 0 ] || { show "$T/u.$mig/mig.err"; bad "the user's migrate to node 2 exited $mig_rc"; }
  [ "$where" = 2 ] || bad "omx where said '$where', want 2"
  [ "$body_ids" = "65534/65534/65534/65534 65534/65534/65534/65534  " ] ||
    bad "the body on node 2 runs with '$body_ids', want uid and gid 65534 and no groups"
  [ "$other_rc" = 3 ] || bad "another user's migrate exited $other_rc, want 3"
  case $other_err in *"permission denied"*) ;; *) bad "another user's migrate said '$other_err'" ;; esac
  [ "$back_rc" = 0 ] || bad "the user's migrate home exited $back_rc"
  [ "$root_rc" = 0 ] || bad "root's migrate of the user's process exited $root_rc"
  check_stats "$T/u.$mig/stats" 3 0  # to 2, home, to 2 again (root)
done
finish
