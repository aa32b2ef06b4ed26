# EINTR and SA_RESTART as natively (zdtm_eintr): a read() on an empty pipe (a FIFO whose writer
# is this script, at home) is interrupted by SIGUSR1, which has a handler. Without SA_RESTART
# the read returns -1/EINTR as soon as the handler has run; with SA_RESTART the handler runs
# at once and the read goes on, returning "hello" when the script writes it 500 ms later.
# Third case, term (no handler): SIGTERM at its default action ends the blocked read and the
# process at once (bash: 143), before any data is written.
# Each case: natively, on node 2 (the read is forwarded: the deputy blocks at home), and after
# a round trip to node 2 and back home.
#
# Guards a fixed engine bug (the diagnosis, as found): on node 2 all three cases behave as if the signal
# came only when the data did. Seen: norestart "handler +829 ms, read returned 6" (natively
# "handler +331 ms, read returned -1 (EINTR) +331 ms"); restart: handler at +811 ms instead of
# +305 ms; term: alive 0.5 s after SIGTERM, killed only when "hello" was written. Cause: the
# deputy suppresses every signal but SIGSTOP (Deputy::on_stop, "an interrupted call
# restarts"), so the kernel restarts its read() at home; the guest queues the forwarded signal
# with tgkill while the body sits in the seccomp stop of the forwarded call
# (Guest::forward/queue_signal), so the handler (or the default action) runs only after the
# reply. Native semantics need the deputy's call to end with the kernel's -ERESTART* code and
# the body to get it as its syscall result with the signal pending, so that the remote
# kernel's own restart logic (SA_RESTART, ERESTARTNOHAND...) applies.
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp
where_name=(natively "on node 2" "back home after node 2")

for mode in norestart restart term; do
  for mig in 0 1 2; do
    tag=$mode$mig
    log "$mode, ${where_name[mig]}"
    res=$(on_node "$D" 1 '
      tag=$1 mig=$2 mode=$3
      trap "" PIPE  # (writing "hello" after the term case has no reader)
      rm -f go fifo.$tag
      mkfifo fifo.$tag
      OMX_SUPERVISOR_LOG=/tmp/sup.$tag.log omx run --stats-json stats.$tag -- "$P/zdtm_eintr" $mode > out.$tag 2> err.$tag < fifo.$tag &
      pid=$!
      exec 3> fifo.$tag
      started out.$tag $pid || { kill -KILL $pid; exit; }
      [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
      [ "$mig" != 2 ] || move $pid home || { kill -KILL $pid; exit; }
      touch go
      wait_for out.$tag "^reading" || { kill -KILL $pid; exit; }
      sleep 0.3
      if [ $mode = term ]; then
        kill -TERM $pid
        for ((i = 0; i < 50; i++)); do kill -0 $pid 2>/dev/null || break; sleep 0.01; done
        kill -0 $pid 2>/dev/null && echo "R alive_after_term=1"
      else
        kill -USR1 $pid
      fi
      sleep 0.5
      [ "$mig" != 1 ] || echo "R where=$(omx where $pid)"
      echo hello >&3 2>/dev/null
      wait $pid
      echo "R rc=$?"
    ' $tag $mig $mode)
    echo "$res"
    unset rc where alive_after_term
    results "$res" "$T/out.$tag" "$T/err.$tag"
    cat "$T/out.$tag"
    if [ $mode = term ]; then
      [ "$rc" = 143 ] || bad "term ${where_name[mig]}: wait gave $rc, want 143 (SIGTERM)"
      [ -z "${alive_after_term:-}" ] || bad "term ${where_name[mig]}: still alive 0.5 s after SIGTERM (it died only when the data came)"
      [ $mig = 0 ] || check_stats "$T/stats.$tag" $mig 0
      continue
    fi
    [ "$rc" = 0 ] || { show "$T/err.$tag"; bad "zdtm_eintr $mode ${where_name[mig]}: exit status $rc: $(grep -v '^ready\|^reading\|^done' "$T/out.$tag" | tr '\n' ';')"; }
    [ $mig != 1 ] || [ "$where" = 2 ] || bad "$mode: it ran on '$where' when the data came, want 2"
    [ $mig = 0 ] || check_stats "$T/stats.$tag" $mig 0
  done
done
finish
