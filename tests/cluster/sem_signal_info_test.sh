# Signals sent to the home pid while the process runs on node 2 reach its SA_SIGINFO handlers
# with the sender's siginfo, exactly as natively: si_pid is the sender's pid, si_uid its real
# uid (one sender with real uid 12345, others root), si_code SI_USER for kill() and SI_QUEUE
# with the value for sigqueue() (procps kill -q). Then the same with SIGTERM at its default action: the
# process dies by SIGTERM and its parent's wait sees it (WIFSIGNALED, WTERMSIG 15; bash: 143),
# and nothing is left on node 2. Each case runs natively first, then migrated; the lines must agree. After coming
# home, handlers and siginfo must still be right.
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

# handled TAG MIGRATE: USR1 from uid 12345, USR2 queued with value 42 from root (on node 2 when
# MIGRATE is 1), then (brought home first) HUP from uid 12345 and TERM from root.
handled() {
  on_node "$D" 1 '
    tag=$1 mig=$2
    omx run --stats-json stats.$tag -- "$P/zdtm_signals" > out.$tag 2> err.$tag &
    pid=$!
    started out.$tag $pid || { kill -KILL $pid; exit; }
    [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
    s1=$(sender 12345 10 $pid)
    wait_for out.$tag "got SIGUSR1" || { kill -KILL $pid; exit; }
    s2=$(sh -c "echo \$\$; exec /usr/bin/kill -q 42 -USR2 $pid")
    wait_for out.$tag "got SIGUSR2" || { kill -KILL $pid; exit; }
    [ "$mig" = 0 ] || echo "R where_after=$(omx where $pid)"
    [ "$mig" = 0 ] || move $pid home || { kill -KILL $pid; exit; }
    s4=$(sender 12345 1 $pid)
    wait_for out.$tag "got SIGHUP" || { kill -KILL $pid; exit; }
    s3=$(sender 0 15 $pid)
    wait $pid
    echo "R rc=$? pid=$pid s1=$s1 s2=$s2 s3=$s3 s4=$s4"
  ' "$1" "$2"
}

# unhandled TAG MIGRATE: SIGTERM at its default action; the parent is wait_reporter (it prints
# "signaled SIG core=C": WIFSIGNALED, WTERMSIG) run by the scenario's shell (whose wait sees
# its status).
unhandled() {
  on_node "$D" 1 '
    tag=$1 mig=$2
    "$P/wait_reporter" sh -c "exec omx run --stats-json stats.$tag -- \"\$0\" -n > out.$tag 2> err.$tag" \
      "$P/zdtm_signals" > rep.$tag &
    rep=$!
    wait_for rep.$tag "^child" || exit
    pid=$(sed -n "s/^child //p" rep.$tag)
    started out.$tag $pid || { kill -KILL $pid; exit; }
    [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
    kill -TERM $pid
    wait $rep
    echo "R end=$(printf %q "$(tail -1 rep.$tag | cut -d" " -f1-3)")"
    # and as the shell sees it, the program being its own child
    omx run -- "$P/zdtm_signals" -n > out2.$tag 2>&1 &
    pid=$!
    started out2.$tag $pid || { kill -KILL $pid; exit; }
    [ "$mig" = 0 ] || move $pid 2 || { kill -KILL $pid; exit; }
    kill -TERM $pid
    wait $pid
    echo "R rc=$?"
  ' "$1" "$2"
}

for mig in 0 1; do
  tag=h$mig
  log "handled signals, $([ $mig = 1 ] && echo "migrated to node 2" || echo natively)"
  res=$(handled $tag $mig)
  echo "$res"
  unset rc where_after
  results "$res" "$T/out.$tag" "$T/err.$tag"
  cat "$T/out.$tag"
  want1="got SIGUSR1 pid=$s1 uid=12345 code=0 val=0"
  want2="got SIGUSR2 pid=$s2 uid=0 code=-1 val=42"
  want3="got SIGTERM pid=$s3 uid=0 code=0 val=0"
  want4="got SIGHUP pid=$s4 uid=12345 code=0 val=0"
  grep -qxF "$want1" "$T/out.$tag" || fail "want '$want1'"
  grep -qxF "$want2" "$T/out.$tag" || fail "want '$want2'"
  grep -qxF "$want3" "$T/out.$tag" || fail "want '$want3'"
  grep -qxF "$want4" "$T/out.$tag" || fail "want '$want4'"
  [ "$(tail -1 "$T/out.$tag")" = "done ok" ] || fail "no 'done ok'"
  [ "$rc" = 0 ] || fail "exit status $rc, want 0"
  if [ $mig = 1 ]; then
    [ "$where_after" = 2 ] || fail "after the signals it ran on '$where_after', want 2"
    check_stats "$T/stats.$tag" 2 0
    # The lines must be those of the native run but for the pids.
    diff <(sed 's/pid=[0-9]*/pid=X/' "$T/out.h0" | grep -v '^ready') \
         <(sed 's/pid=[0-9]*/pid=X/' "$T/out.h1" | grep -v '^ready') || fail "differs from the native run"
  fi
done

for mig in 0 1; do
  tag=u$mig
  log "SIGTERM at its default action, $([ $mig = 1 ] && echo "migrated to node 2" || echo natively)"
  res=$(unhandled $tag $mig)
  echo "$res"
  unset rc end
  results "$res" "$T/out.$tag" "$T/err.$tag"
  [ "$end" = "signaled 15 core=0" ] || { show "$T/rep.$tag" "$T/err.$tag"; fail "the parent saw '$end', want 'signaled 15 core=0'"; }
  [ "$rc" = 143 ] || { show "$T/out2.$tag"; fail "bash's wait gave $rc, want 143 (SIGTERM)"; }
  if [ $mig = 1 ]; then
    check_stats "$T/stats.$tag" 1 0
    sleep 0.5
    left=$(procs_named "$D" 2 zdtm_signals)
    [ -z "$left" ] || fail "still on node 2 after SIGTERM: pids $left"
  fi
done
echo PASS
