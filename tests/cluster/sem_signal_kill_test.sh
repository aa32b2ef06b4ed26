# SIGKILL sent to the home pid while the process runs on node 2 kills it: the parent's wait
# sees SIGKILL (bash: 137), and nothing of it is left on node 2 (neither the body nor its
# guest supervisor: node 2's network namespace holds only what it held before the move).
# Two cases: the body computing (busy, no system calls), and the body waiting for a forwarded
# read() on an empty pipe (the deputy blocked at home). Natively first.
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp
before=$(netns_pids "$D" 2 | sort -n | tr '\n' ' ')

# scenario TAG MIGRATE PROG ARGS...
scenario() {
  on_node "$D" 1 'C='"$(cluster_index "$D")"'
    tag=$1 mig=$2
    shift 2
    mkfifo fifo.$tag
    omx run --stats-json stats.$tag -- "$@" > out.$tag 2> err.$tag < fifo.$tag &
    pid=$!
    exec 3> fifo.$tag   # the writer end stays open and empty: a read() blocks
    started out.$tag $pid || { kill -KILL $pid; exit; }
    [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
    echo "R pid=$pid"
    sleep 0.3
    [ "$mig" = 0 ] || echo "R where=$(omx where $pid)"
    for p in $(ip netns pids omx${C}n2); do
      case $(cat /proc/$p/comm) in zdtm_*) echo "R body=$p";; esac
    done
    kill -KILL $pid
    wait $pid
    echo "R rc=$?"
  ' "$@"
}

for what in busy blocked; do
  for mig in 0 1; do
    tag=$what$mig
    log "SIGKILL, $what, $([ $mig = 1 ] && echo "migrated to node 2" || echo natively)"
    if [ $what = busy ]; then
      res=$(scenario $tag $mig "$P/zdtm_signals" -t 100)
    else
      res=$(scenario $tag $mig "$P/zdtm_blocked" read)
    fi
    echo "$res"
    unset rc pid where body
    results "$res" "$T/out.$tag" "$T/err.$tag"
    [ "$rc" = 137 ] || { show "$T/out.$tag" "$T/err.$tag"; fail "wait gave $rc, want 137 (SIGKILL)"; }
    pid_gone "$pid" || fail "pid $pid still exists"
    [ $mig = 1 ] || continue
    [ "$where" = 2 ] || fail "it ran on '$where' before the kill, want 2"
    [ -n "$body" ] || fail "no body of it found on node 2 before the kill"
    check_stats "$T/stats.$tag" 1 0
    for ((i = 0; i < 100; i++)); do
      now=$(netns_pids "$D" 2 | sort -n | tr '\n' ' ')
      [ "$now" != "$before" ] || break
      sleep 0.05
    done
    [ "$now" = "$before" ] || {
      ps -o pid,stat,comm,args -p "$(echo $now | tr ' ' ,)" >&2 || true
      fail "5 s after SIGKILL node 2 holds pids '$now', it held '$before' before the move"
    }
    pid_gone "$body" || fail "its body (pid $body) still runs on node 2"
  done
done
echo PASS
