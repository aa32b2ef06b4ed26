# A `migrate PID home` whose client goes away before the move completes must not hurt the
# process. The process runs on node 2 blocked in a forwarded read() (the deputy blocked at
# home), so the move home is deferred until the read ends; the `migrate` client is killed
# after 1 s (as a user's ^C, or the CLI's own 120 s limit, would end it). Then the script
# writes the line: the process must read it, come home, and live on normally (`omx where`
# answers 1 while it lingers 1 s, exit status 0).
#
# Guards a fixed engine bug (the diagnosis, as found): the supervisor dies and the process is SIGKILLed
# (137). strace of the supervisor when the deferred move completes:
#   write(7, "{\"move_bytes\":106496,\"move_ms\":1"..., 74) = -1 EPIPE (Broken pipe)
#   --- SIGPIPE {si_signo=SIGPIPE, si_code=SI_USER, si_pid=SUP, si_uid=0} ---
#   +++ killed by SIGPIPE +++
# finish_waiters -> write_reply_line writes with write() to the gone client; the supervisor
# keeps SIGPIPE's default action, so it dies, and PTRACE_O_EXITKILL kills every process of the
# tree (remote bodies are lost too). The CLI's own 120 s limit triggers it as well: a
# `migrate home` of a process blocked for over 120 s in a forwarded read kills it.
source "$(dirname "$0")/sem_lib.sh"

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

res=$(on_node "$D" 1 '
  mkfifo fifo.cg
  OMX_LOG=home:info OMX_SUPERVISOR_LOG=/tmp/sup.cg.log omx run --stats-json stats.cg -- "$P/zdtm_blocked" read hello 1000 > out.cg 2> err.cg < fifo.cg &
  pid=$!
  exec 3> fifo.cg
  started out.cg $pid || { kill -KILL $pid; exit; }
  move $pid 2 || { kill -KILL $pid; exit; }
  sup=$(awk "/^TracerPid:/ {print \$2}" /proc/$pid/status)
  migrate $pid home 2> migrate.cg.err &
  client=$!
  sleep 1
  kill -KILL $client
  wait $client 2>/dev/null
  echo hello >&3
  sleep 0.3
  echo "R where=$(omx where $pid 2>&1 | tr -d "\n" | tr " " _)"
  echo "R sup_state=$(awk "/^State:/ {print \$2}" /proc/$sup/status 2>/dev/null || echo gone)"
  wait $pid
  echo "R rc=$?"
')
echo "$res"
unset where sup_state rc
results "$res" "$T/out.cg" "$T/err.cg"
cat "$T/out.cg"
[ "$where" = 1 ] || bad "omx where said '$where' after the read, want 1 (home)"
[ "$sup_state" != Z ] && [ "$sup_state" != gone ] || bad "the home supervisor is dead (state $sup_state); last lines of its log: $(tail -2 "$T/sup.cg.log" | tr '\n' ' ')"
[ "$rc" = 0 ] || bad "exit status $rc, want 0 (137: SIGKILL, its supervisor died)"
[ "$(tail -1 "$T/out.cg")" = "done ok" ] || bad "no 'done ok'"
finish
