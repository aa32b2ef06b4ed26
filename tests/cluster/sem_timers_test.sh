# ITIMER_REAL and alarm() across migrations fire at the right time, within TOL ms (default 50):
# armed at home and moved to node 2 while running, armed on node 2 (one-shot alarm, periodic
# setitimer), armed on node 2 and brought home while running, alarm armed at home and moved
# (zdtm_timers checks each delay itself and that the move happened before the expiry). The
# native run gets the same marker files at the same moments, without moves.
source "$(dirname "$0")/sem_lib.sh"
TOL=${SEM_TIMER_TOLERANCE_MS:-50}

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

for mig in 0 1; do
  tag=t$mig
  log "timers, $([ $mig = 1 ] && echo "moved during them" || echo natively), tolerance $TOL ms"
  res=$(on_node "$D" 1 '
    tag=$1 mig=$2
    go() {  # go NODE FILE: (migrated run) move there; then create FILE
      [ "$mig" = 0 ] || move $pid $1 || { kill -KILL $pid; exit; }
      touch $2
    }
    rm -f m1 h4 m5
    OMX_SUPERVISOR_LOG=/tmp/sup.$tag.log omx run --stats-json stats.$tag -- "$P/zdtm_timers" $3 > out.$tag 2> err.$tag &
    pid=$!
    started out.$tag $pid || { kill -KILL $pid; exit; }
    wait_for out.$tag "^armed 1" || { kill -KILL $pid; exit; }
    sleep 0.3; go 2 m1
    wait_for out.$tag "^armed 4" 20 || { kill -KILL $pid; exit; }
    sleep 0.3; go home h4
    wait_for out.$tag "^armed 5" 10 || { kill -KILL $pid; exit; }
    sleep 0.3; go 2 m5
    wait $pid
    echo "R rc=$?"
  ' $tag $mig $TOL)
  echo "$res"
  unset rc
  results "$res" "$T/out.$tag" "$T/err.$tag"
  cat "$T/out.$tag"
  if [ "$rc" != 0 ]; then
    [ $mig = 0 ] || { echo "moves:"; grep -E "now runs|is home" "$T/sup.$tag.log" || true; }
    show "$T/err.$tag"
    fail "zdtm_timers exited $rc (its phases are above)"
  fi
  [ $mig = 0 ] || check_stats "$T/stats.$tag" 3 0
done
echo PASS
