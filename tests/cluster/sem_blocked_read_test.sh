# A process migrated while it is blocked in a system call, then unblocked, behaves as if it
# had never moved (zdtm_blocked):
#   read             blocked in read(0) on an empty pipe (FIFO, writer: this script) at home,
#                    moved to node 2 while blocked, then the script writes a line: the read
#                    returns exactly that line (it is then forwarded: the deputy blocks at home).
#   nanosleep, clock_nanosleep, libc_sleep (glibc nanosleep = clock_nanosleep REALTIME),
#   abs_sleep (TIMER_ABSTIME)
#                    2000 ms sleeps, moved to node 2 500 ms in: the total must be 2000 ms
#                    within 100 ms. A relative sleep that restarts in full after the move
#                    would take ~2500 ms.
#   nanosleep-home   a 3000 ms nanosleep moved to node 2 at 500 ms and back home at 1500 ms.
# This script runs the modes in $SEM_BLOCKED_MODES (default: read); sem_blocked_sleep_test.sh
# runs the sleeps. Natively first (no moves).
source "$(dirname "$0")/sem_lib.sh"
MODES=(${SEM_BLOCKED_MODES:-read})

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

for mode in "${MODES[@]}"; do
  for mig in 0 1; do
    tag=$mode$mig
    log "$mode, $([ $mig = 1 ] && echo "moved while blocked" || echo natively)"
    res=$(on_node "$D" 1 '
      tag=$1 mig=$2 mode=$3
      rm -f fifo.$tag
      mkfifo fifo.$tag
      case $mode in
        read) args=(read "hello world") ;;
        nanosleep-home) args=(nanosleep 3000) ;;
        *) args=($mode 2000) ;;
      esac
      OMX_SUPERVISOR_LOG=/tmp/sup.$tag.log omx run --stats-json stats.$tag -- "$P/zdtm_blocked" "${args[@]}" > out.$tag 2> err.$tag < fifo.$tag &
      pid=$!
      exec 3> fifo.$tag
      started out.$tag $pid || { kill -KILL $pid; exit; }
      t0=$(date +%s%3N)
      sleep 0.5
      [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
      echo "R moved_at=$(($(date +%s%3N) - t0))"
      if [ $mode = nanosleep-home ]; then
        sleep 1
        [ "$mig" = 0 ] || move $pid home || { kill -KILL $pid; exit; }
        echo "R home_at=$(($(date +%s%3N) - t0))"
      elif [ $mode = read ]; then
        sleep 0.3
        [ "$mig" = 0 ] || echo "R where=$(omx where $pid)"
        echo "hello world" >&3
      fi
      wait $pid
      echo "R rc=$?"
    ' $tag $mig $mode)
    unset rc where moved_at home_at
    results "$res" "$T/out.$tag" "$T/err.$tag"
    grep -v '^ready' "$T/out.$tag" | sed 's/^/    /'
    echo "    (moves at +${moved_at}${home_at:+ and +$home_at} ms after ready)"
    [ "$rc" = 0 ] || { show "$T/err.$tag"; bad "$mode (migrated: $mig): exit status $rc: $(grep -v '^ready\|^done' "$T/out.$tag")"; }
    [ $mig = 0 ] && continue
    [ $mode != read ] || [ "$where" = 2 ] || bad "read: it ran on '$where' when the data came, want 2"
    check_stats "$T/stats.$tag" $([ $mode = nanosleep-home ] && echo 2 || echo 1) 0
  done
done
finish
