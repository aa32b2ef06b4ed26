# ^C typed on the controlling terminal while the process runs on node 2 *blocked in a read of
# that terminal* (a forwarded call: the deputy is blocked in read() at home) must end it at
# once, as natively: SIGINT at its default action, the shell sees 130. zdtm_blocked read has
# no handler; sem_pty.py --dies types ^C and gives it 2 s. Natively first.
#
# Guards a fixed engine bug (the diagnosis, as found): migrated, ^C is ignored; the process dies (130) only
# when a line is typed. Same cause as sem_eintr_test.sh: the signal is held while the
# forwarded read() runs at home, and the deputy's read restarts.
source "$(dirname "$0")/sem_lib.sh"
PTY=$(cd "$(dirname "$0")" && pwd)/sem_pty.py

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

for mig in 0 1; do
  log "^C while blocked reading the terminal, $([ $mig = 1 ] && echo "migrated to node 2" || echo natively)"
  res=$(on_node "$D" 1 'python3 "$1" --dies "$2" stats.ttyb$2 "$P/zdtm_blocked" read' "$PTY" $mig)
  echo "$res"
  unset rc where died_ms
  results "$res"
  [ "$died_ms" != no ] || bad "(migrated: $mig) still alive 2 s after ^C; it ended (status $rc) only when a line was typed"
  [ "$rc" = 130 ] || bad "(migrated: $mig) exit status $rc, want 130 (SIGINT)"
  [ $mig = 0 ] || check_stats "$T/stats.ttyb1" 1 0
done
finish
