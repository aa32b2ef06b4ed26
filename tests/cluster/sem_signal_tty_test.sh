# ^C typed on the controlling terminal while the process runs on node 2 reaches its SIGINT
# handler as natively: the terminal driver at home signals the foreground process group (the
# deputy), and the handler sees si_code SI_KERNEL, si_pid 0, si_uid 0. The program runs on a
# pseudo-terminal made by sem_pty.py; natively first, then migrated.
source "$(dirname "$0")/sem_lib.sh"
PTY=$(cd "$(dirname "$0")" && pwd)/sem_pty.py

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp

for mig in 0 1; do
  log "^C on the terminal, $([ $mig = 1 ] && echo "migrated to node 2" || echo natively)"
  res=$(on_node "$D" 1 'python3 "$1" "$2" stats.tty$2 "$P/zdtm_signals"' "$PTY" $mig)
  echo "$res"
  unset rc where int_line
  results "$res"
  [ "$int_line" = "got SIGINT pid=0 uid=0 code=128 val=0" ] ||
    fail "SIGINT handler saw '$int_line', want 'got SIGINT pid=0 uid=0 code=128 val=0' (SI_KERNEL)"
  [ "$rc" = 0 ] || fail "exit status $rc, want 0 (SIGTERM handled after ^C)"
  [ $mig = 0 ] || check_stats "$T/stats.tty1" 1 0
done
echo PASS
