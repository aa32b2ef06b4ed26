# Job-control stops while the process runs on node 2, as natively: each signal of
# $SEM_STOP_SIGS (default: STOP) is sent to the home pid and, 1 s later, SIGCONT. The parent
# (wait_reporter: waitpid with WUNTRACED|WCONTINUED) must see "stopped SIG" and then
# "continued"; while stopped, the home pid must stay stopped (ps state T, or t: the supervisor
# traces it) and the program must make no progress: no CPU time used where it runs (the home
# pid natively, its body on node 2 when migrated) and, when it prints ticks, at most one tick
# line (one write may have been under way when the signal came, natively too). After SIGCONT
# it must go on (still on node 2). Natively first.
#
# The program is zdtm_signals, which handles none of these signals, spinning without system
# calls (-b), or with $SEM_STOP_TICK_MS set, printing a tick line that often (-t): its writes
# are forwarded, so with a small value one is nearly always under way at home when the signal
# comes. Variants: sem_signal_tstp_test.sh (TSTP TTIN TTOU), sem_signal_stop_inflight_test.sh
# (STOP with a tick every millisecond).
source "$(dirname "$0")/sem_lib.sh"
SIGS=(${SEM_STOP_SIGS:-STOP})
MODE=(-b)
[ -z "${SEM_STOP_TICK_MS:-}" ] || MODE=(-t "$SEM_STOP_TICK_MS")

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp
C=$(cluster_index "$D")

scenario() {
  on_node "$D" 1 'C='"$C"'
    tag=$1 mig=$2 mode=$3
    shift 3
    ticks() { grep -c "^tick" out.$tag; }
    cpu() {  # utime + stime (clock ticks) of whatever runs the program: home pid or body
      local p
      if [ "$mig" = 0 ]; then awk "{print \$14 + \$15}" /proc/$pid/stat; return; fi
      for p in $(ip netns pids omx${C}n2); do
        [ "$(cat /proc/$p/comm)" = zdtm_signals ] && awk "{print \$14 + \$15}" /proc/$p/stat
      done
    }
    # one_stop SIG N: SIG (the N-th stop), 1 s stopped, SIGCONT, 0.5 s running.
    one_stop() {
      local sig=$1 n=$2 i states=""
      sleep 0.3
      kill -$sig $pid
      for ((i = 0; i < 100; i++)); do [ "$(grep -c "^stopped" rep.$tag)" -ge $n ] && break; sleep 0.02; done
      echo "R stopped$n=$(printf %q "$(grep "^stopped" rep.$tag | sed -n ${n}p | cut -d" " -f1-2)")"
      sleep 0.1
      local n1=$(ticks) c1=$(cpu)
      for ((i = 0; i < 5; i++)); do states+=$(ps -o stat= -p $pid | cut -c1); sleep 0.2; done
      local n2=$(ticks) c2=$(cpu)
      echo "R states$n=$states ticks_while_stopped$n=$((n2 - n1)) cpu_while_stopped$n=$((c2 - c1))"
      kill -CONT $pid
      for ((i = 0; i < 100; i++)); do [ "$(grep -c "^continued" rep.$tag)" -ge $n ] && break; sleep 0.02; done
      echo "R continued$n=$(grep -c "^continued" rep.$tag)"
      sleep 0.5
      echo "R cpu_after_cont$n=$(($(cpu) - c2))"
      [ "$mig" = 0 ] || echo "R where$n=$(omx where $pid)"
    }
    "$P/wait_reporter" sh -c "exec omx run --stats-json stats.$tag -- \"\$0\" $mode > out.$tag 2> err.$tag" \
      "$P/zdtm_signals" > rep.$tag &
    rep=$!
    wait_for rep.$tag "^child" || exit
    pid=$(sed -n "s/^child //p" rep.$tag)
    started out.$tag $pid || { kill -KILL $pid; exit; }
    [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
    n=0
    for sig in "$@"; do one_stop $sig $((++n)); done
    kill -TERM $pid
    wait $rep
    echo "R end=$(printf %q "$(tail -1 rep.$tag | cut -d" " -f1-2)")"
  ' "$@"
}

for mig in 0 1; do
  tag=s$mig
  log "${SIGS[*]} each followed by CONT, program: zdtm_signals ${MODE[*]}, $([ $mig = 1 ] && echo "migrated to node 2" || echo natively)"
  unset end
  for ((n = 1; n <= ${#SIGS[@]}; n++)); do
    unset stopped$n continued$n states$n ticks_while_stopped$n cpu_while_stopped$n cpu_after_cont$n where$n
  done
  res=$(scenario $tag $mig "${MODE[*]}" "${SIGS[@]}")
  echo "$res"
  results "$res" "$T/rep.$tag" "$T/err.$tag"
  for ((n = 1; n <= ${#SIGS[@]}; n++)); do
    sig="SIG${SIGS[n - 1]} (#$n)"
    want="stopped $(kill -l "${SIGS[n - 1]}")"
    s=stopped$n c=continued$n st=states$n t=ticks_while_stopped$n cs=cpu_while_stopped$n
    ca=cpu_after_cont$n w=where$n
    [ "${!s:-}" = "$want" ] || bad "$sig: parent saw '${!s:-}', want '$want'"
    [[ "${!st:-}" =~ ^[Tt]{5}$ ]] ||
      bad "$sig: home pid's ps states while stopped '${!st:-}', want T or t each time (S: the deputy is running, not stopped)"
    [ "${!t:-0}" -le 1 ] || bad "$sig: ${!t} tick lines while stopped, want at most 1"
    [ "${!cs:-x}" -le 1 ] 2>/dev/null || bad "$sig: ${!cs:-?} CPU ticks used while stopped, want 0"
    [ "${!c:-0}" -ge $n ] || bad "$sig: parent saw ${!c:-0} 'continued', want $n"
    [ "${!ca:-0}" -ge 5 ] || bad "$sig: ${!ca:-0} CPU ticks in 0.5 s after SIGCONT, want >= 5"
    [ $mig = 0 ] || [ "${!w:-}" = 2 ] || bad "$sig: ran on '${!w:-}' after SIGCONT, want 2"
  done
  [ "${end:-}" = "exited 0" ] || bad "end: parent saw '${end:-}', want 'exited 0'"
  [ $mig = 0 ] || check_stats "$T/stats.$tag" 1 0
  [ ${#ERRS[@]} = 0 ] || show "$T/rep.$tag"
done
finish
