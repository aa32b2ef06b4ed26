# Faults the program raises itself while it runs on node 2 are delivered there, as natively:
#   segv         SIGSEGV (SEGV_MAPERR at NULL, SEGV_ACCERR on a read-only page) caught by a
#                SA_SIGINFO handler that checks si_code/si_addr and siglongjmps; it goes on
#                and exits 0, without ever going home.
#   fpe          an integer division by zero, SIGFPE unhandled: the parent's wait sees SIGFPE
#                (bash: 136), and nothing is left on node 2.
#   fpe-handled  the same with a handler: FPE_INTDIV, siglongjmp, exit 0.
# (zdtm_faults). Core dumps are off (ulimit -c 0) in both runs. Natively first.
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp
before=$(netns_pids "$D" 2 | sort -n | tr '\n' ' ')

for mode in segv fpe fpe-handled; do
  for mig in 0 1; do
    tag=$mode$mig
    log "$mode, $([ $mig = 1 ] && echo "migrated to node 2" || echo natively)"
    res=$(on_node "$D" 1 '
      tag=$1 mig=$2 mode=$3
      ulimit -c 0
      rm -f go
      omx run --stats-json stats.$tag -- "$P/zdtm_faults" $mode > out.$tag 2> err.$tag &
      pid=$!
      started out.$tag $pid || { kill -KILL $pid; exit; }
      [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
      touch go
      wait $pid
      echo "R rc=$?"
    ' $tag $mig $mode)
    echo "$res"
    unset rc
    results "$res" "$T/out.$tag" "$T/err.$tag"
    cat "$T/out.$tag"
    case $mode in
      fpe)
        [ "$rc" = 136 ] || { show "$T/err.$tag"; fail "wait gave $rc, want 136 (SIGFPE)"; }
        grep -qx dividing "$T/out.$tag" || fail "it did not reach the division"
        ;;
      *)
        [ "$rc" = 0 ] || { show "$T/err.$tag"; fail "exit status $rc, want 0"; }
        [ "$(tail -1 "$T/out.$tag")" = "done ok" ] || fail "no 'done ok'"
        [ $mode != segv ] || [ "$(grep -c '^segv' "$T/out.$tag")" = 10 ] || fail "want 10 'segv N' lines"
        ;;
    esac
    if [ $mig = 1 ]; then
      check_stats "$T/stats.$tag" 1 0
      diff <(grep -v '^ready' "$T/out.${mode}0") <(grep -v '^ready' "$T/out.$tag") ||
        fail "output differs from the native run"
      for ((i = 0; i < 100; i++)); do
        now=$(netns_pids "$D" 2 | sort -n | tr '\n' ' ')
        [ "$now" != "$before" ] || break
        sleep 0.05
      done
      [ "$now" = "$before" ] || fail "node 2 holds pids '$now' after the end, it held '$before'"
    fi
  done
done
echo PASS
